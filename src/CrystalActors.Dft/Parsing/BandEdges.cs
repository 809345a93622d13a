namespace CrystalActors.Dft.Parsing;

/// <summary>
/// Band edges of a smearing run from its eigenvalues and Fermi energy, by the band-count criterion (as the
/// reference runs did): within a spin channel the system is insulating only if every k-point has the same
/// number of bands at or below the Fermi energy. A channel where that count varies has a band crossing the
/// Fermi level, so the gap is 0.
/// </summary>
public sealed record BandEdges(double? ValenceBandMaximumEv, double? ConductionBandMinimumEv, double BandGapEv, bool IsMetal)
{
    /// <param name="eigenvaluesEv">[spin][k][band], eV, bands ascending within each k.</param>
    /// <param name="fermiEv">Common Fermi energy, eV.</param>
    /// <param name="spinFermiEv">Separate up/down Fermi energies (fixed total magnetisation), eV.</param>
    public static BandEdges FromEigenvalues(
        IReadOnlyList<IReadOnlyList<IReadOnlyList<double>>> eigenvaluesEv, double? fermiEv, (double Up, double Down)? spinFermiEv)
    {
        double vbm = double.NegativeInfinity, cbm = double.PositiveInfinity;
        bool metal = false;
        for (int s = 0; s < eigenvaluesEv.Count; s++)
        {
            double ef = spinFermiEv is { } two ? (s == 0 ? two.Up : two.Down)
                : fermiEv ?? throw new ArgumentException("a Fermi energy is required", nameof(fermiEv));
            int? occupiedCount = null;
            foreach (var k in eigenvaluesEv[s])
            {
                int n = k.Count(e => e <= ef);
                occupiedCount ??= n;
                if (n != occupiedCount) metal = true;
                if (n > 0) vbm = Math.Max(vbm, k[n - 1]);
                if (n < k.Count) cbm = Math.Min(cbm, k[n]);
            }
        }
        double? v = double.IsFinite(vbm) ? vbm : null;
        double? c = double.IsFinite(cbm) ? cbm : null;
        double gap = metal || v is null || c is null ? 0.0 : Math.Max(0.0, c.Value - v.Value);
        return new BandEdges(v, c, gap, metal || gap == 0.0);
    }
}
