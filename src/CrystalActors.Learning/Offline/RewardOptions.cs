namespace CrystalActors.Learning.Offline;

/// <summary>
/// The terminal reward of crystal-design (Govindarajan et al. 2024):
/// <c>r = a1 · g_E + a2 · exp(−(gap − p̂)² / β)</c> with <c>g_E = exp(−E_form / b1)</c> from the formation energy per
/// atom, or <c>g_E = log10(−E_tot)</c> when a DFT total energy is known. Only the last step of an episode is rewarded.
/// </summary>
public sealed record RewardOptions
{
    /// <summary>Weight of the energy term a1 (default 1).</summary>
    public double Alpha1 { get; init; } = 1.0;
    /// <summary>Weight of the band-gap term a2 (default 10).</summary>
    public double Alpha2 { get; init; } = 10.0;
    /// <summary>Energy scale b1 in eV/atom of g_E = exp(−E_form / b1) (default 5).</summary>
    public double B1 { get; init; } = 5.0;
    /// <summary>Width β in eV² of the band-gap Gaussian (default 3).</summary>
    public double Beta { get; init; } = 3.0;
    /// <summary>Target band gap p̂ in eV (default 1.12, silicon's gap).</summary>
    public double TargetBandGap { get; init; } = 1.12;

    /// <summary>The reward of a finished crystal.</summary>
    /// <param name="formationEnergyPerAtom">E_form in eV/atom (used when <paramref name="totalEnergy"/> is null).</param>
    /// <param name="bandGap">Band gap in eV.</param>
    /// <param name="totalEnergy">DFT total energy in eV (negative), or null.</param>
    public double Reward(double formationEnergyPerAtom, double bandGap, double? totalEnergy = null)
    {
        double energyTerm;
        if (totalEnergy is double eTot && !double.IsNaN(eTot))
        {
            if (eTot >= 0) throw new ArgumentOutOfRangeException(nameof(totalEnergy), eTot, "a total energy must be negative for log10(-E_tot)");
            energyTerm = Math.Log10(-eTot);
        }
        else
        {
            energyTerm = Math.Exp(-formationEnergyPerAtom / B1);
        }
        double d = bandGap - TargetBandGap;
        return Alpha1 * energyTerm + Alpha2 * Math.Exp(-d * d / Beta);
    }

    public void Validate()
    {
        if (!(B1 > 0)) throw new ArgumentOutOfRangeException(nameof(B1), B1, "b1 must be positive");
        if (!(Beta > 0)) throw new ArgumentOutOfRangeException(nameof(Beta), Beta, "beta must be positive");
        if (!double.IsFinite(Alpha1) || !double.IsFinite(Alpha2)) throw new ArgumentOutOfRangeException(nameof(Alpha1), "reward weights must be finite");
        if (!double.IsFinite(TargetBandGap)) throw new ArgumentOutOfRangeException(nameof(TargetBandGap), TargetBandGap, "p-hat must be finite");
    }
}
