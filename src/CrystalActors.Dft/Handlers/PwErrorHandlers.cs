using CrystalActors.Dft.Input;

namespace CrystalActors.Dft.Handlers;

/// <summary>A change to the next attempt's settings: a short name (for reports), why, and the new settings.</summary>
public sealed record PwFix(string Name, string Description, PwParameters Next);

/// <summary>Bounds on how far the handlers may go.</summary>
public sealed record PwHandlerOptions
{
    /// <summary>mixing_beta is multiplied by this on each non-convergence (aiida's delta_factor_mixing_beta).</summary>
    public double MixingBetaFactor { get; init; } = 0.8;
    /// <summary>mixing_beta is never lowered below this.</summary>
    public double MinMixingBeta { get; init; } = 0.1;
    /// <summary>At most this many mixing_beta reductions per job.</summary>
    public int MaxMixingBetaReductions { get; init; } = 3;
    /// <summary>Starting magnetisation given to every species when switching to nspin = 2.</summary>
    public double StartingMagnetization { get; init; } = 0.5;
    /// <summary>First smearing: Gaussian with this width (Ry), as the reference reruns used.</summary>
    public double GaussianDegaussRy { get; init; } = 0.001;
    /// <summary>Second smearing: Marzari-Vanderbilt cold smearing with this width (Ry), for metals the narrow Gaussian cannot converge.</summary>
    public double ColdDegaussRy { get; init; } = 0.02;
    /// <summary>nbnd grows by this factor (and at least 4 bands) when too few bands were used.</summary>
    public double NbndIncreaseFactor { get; init; } = 1.3;
    public int MaxNbndIncreases { get; init; } = 2;
    /// <summary>Diagonalisation algorithms tried in turn after a Cholesky / S-matrix / eigenvector failure.</summary>
    public IReadOnlyList<string> DiagonalizationCycle { get; init; } = ["david", "ppcg", "cg"];
}

/// <summary>
/// Turns a failed attempt into the next attempt's settings, in the manner of custodian's handlers and
/// aiida-quantumespresso's PwBaseWorkChain. Pure: the decision depends only on the class, the current settings
/// and the fixes already applied in this job. Returns null when nothing sensible is left to try.
/// </summary>
public sealed class PwErrorHandlers(PwHandlerOptions? options = null)
{
    public const string SpinPolarisedSmearing = "spin_polarised_smearing";
    public const string ColdSmearing = "cold_smearing";
    public const string ReduceMixingBeta = "reduce_mixing_beta";
    public const string MoreBands = "more_bands";
    public const string FewerBands = "fewer_bands";
    public const string NextDiagonalization = "next_diagonalization";
    public const string RetryUnchanged = "retry_unchanged";
    public const string NoSymmetry = "no_symmetry";

    public PwHandlerOptions Options { get; } = options ?? new PwHandlerOptions();

    /// <param name="cls">Class of the attempt that just ended.</param>
    /// <param name="current">Its settings.</param>
    /// <param name="appliedFixes">Names of the fixes already applied in this job, in order.</param>
    /// <param name="cell">The crystal (for the plane-wave limit on bands).</param>
    /// <param name="valenceElectrons">Valence electrons of the cell.</param>
    public PwFix? Propose(DftFailureClass cls, PwParameters current, IReadOnlyList<string> appliedFixes, DftCell cell, double valenceElectrons)
    {
        switch (cls)
        {
            case DftFailureClass.ChargeWrongSmearingNeeded:
            case DftFailureClass.MetallicUnderFixedOccupations:
                return current.IsSmearing ? null : Smear(current, cls);

            case DftFailureClass.ScfNotConverged:
            case DftFailureClass.ScfStagnated:
                // Under fixed occupations a stalled SCF is most often a metal (even electron count) sloshing
                // charge between bands at the Fermi level: smearing cures that, mixing does not.
                if (!current.IsSmearing) return Smear(current, cls);
                if (current.DegaussRy < Options.ColdDegaussRy && !appliedFixes.Contains(ColdSmearing))
                    return new PwFix(ColdSmearing,
                        $"{Describe(cls)} with {current.Smearing} {current.DegaussRy} Ry: Marzari-Vanderbilt smearing {Options.ColdDegaussRy} Ry",
                        current with { Smearing = "marzari-vanderbilt", DegaussRy = Options.ColdDegaussRy });
                return LowerMixing(current, appliedFixes, cls);

            case DftFailureClass.TooFewBands:
            {
                if (appliedFixes.Count(f => f == MoreBands) >= Options.MaxNbndIncreases) return null;
                int occupied = (int)Math.Ceiling(valenceElectrons / 2 - 1e-9);
                int now = current.Nbnd ?? occupied;
                int next = Math.Max((int)Math.Ceiling(now * Options.NbndIncreaseFactor), now + 4);
                int max = PlaneWaveBasis.MaxBands(cell, current.EcutWfcRy, current.Diagonalization);
                next = Math.Min(next, Math.Max(max, now));
                if (next <= now) return null;
                return new PwFix(MoreBands, $"too few bands: nbnd {now} -> {next}", current with { Nbnd = next });
            }

            case DftFailureClass.TooManyBands:
            {
                int occupied = (int)Math.Ceiling(valenceElectrons / 2 - 1e-9);
                int now = current.Nbnd ?? 0;
                int max = PlaneWaveBasis.MaxBands(cell, current.EcutWfcRy, current.Diagonalization);
                int next = Math.Max(occupied + 1, Math.Min(max, (int)(now * 0.7)));
                if (now == 0 || next >= now) return null;
                return new PwFix(FewerBands, $"basis too small for nbnd {now}: nbnd -> {next}", current with { Nbnd = next });
            }

            case DftFailureClass.DiagonalizationFailure:
            {
                var cycle = Options.DiagonalizationCycle;
                int i = -1;
                for (int j = 0; j < cycle.Count; j++) if (cycle[j] == current.Diagonalization) i = j;
                if (i < 0 || i + 1 >= cycle.Count) return null;
                return new PwFix(NextDiagonalization, $"diagonalisation failure: {current.Diagonalization} -> {cycle[i + 1]}",
                    current with { Diagonalization = cycle[i + 1] });
            }

            case DftFailureClass.SymmetryError:
                return current.NoSymmetry ? null
                    : new PwFix(NoSymmetry, "symmetry analysis failed: nosym = .true.", current with { NoSymmetry = true });

            case DftFailureClass.Unknown:
                // A crash without any message (MPI start-up, a killed rank, memory pressure) is usually transient:
                // one unchanged retry, then it is recorded.
                return appliedFixes.Contains(RetryUnchanged) ? null
                    : new PwFix(RetryUnchanged, "crash without an error message: retry once unchanged", current);

            case DftFailureClass.OutputMismatch:
                // The output read was not this input's (a shared or reused file): a fault of the plumbing, not of the
                // crystal, so the one unchanged retry a job gets is worth it.
                return appliedFixes.Contains(RetryUnchanged) ? null
                    : new PwFix(RetryUnchanged, "output does not match the input: retry once unchanged", current);

            default:
                // Wall time, cancellation, input errors and unphysical results (pw.x's deterministic answer for
                // this input, its summary having matched) are recorded, not retried.
                return null;
        }
    }

    private PwFix Smear(PwParameters current, DftFailureClass cls)
    {
        // pw.x refuses nspin = 2 with fixed occupations unless the total moment is fixed, which would impose a
        // guess; so spin polarisation and (narrow) smearing are switched on together, as the reference reruns did.
        return new PwFix(SpinPolarisedSmearing,
            $"{Describe(cls)}: nspin 2, starting_magnetization {Options.StartingMagnetization}, gaussian smearing {Options.GaussianDegaussRy} Ry",
            current with
            {
                Nspin = 2,
                StartingMagnetization = Options.StartingMagnetization,
                TotMagnetization = null,
                Occupations = "smearing",
                Smearing = "gaussian",
                DegaussRy = Options.GaussianDegaussRy,
            });
    }

    private PwFix? LowerMixing(PwParameters current, IReadOnlyList<string> appliedFixes, DftFailureClass cls)
    {
        if (appliedFixes.Count(f => f == ReduceMixingBeta) >= Options.MaxMixingBetaReductions) return null;
        double next = Math.Round(Math.Max(Options.MinMixingBeta, current.MixingBeta * Options.MixingBetaFactor), 6);
        if (next >= current.MixingBeta) return null;
        return new PwFix(ReduceMixingBeta, $"{Describe(cls)}: mixing_beta {current.MixingBeta} -> {next}", current with { MixingBeta = next });
    }

    private static string Describe(DftFailureClass cls) => cls switch
    {
        DftFailureClass.ChargeWrongSmearingNeeded => "charge is wrong (smearing needed)",
        DftFailureClass.MetallicUnderFixedOccupations => "metallic under fixed occupations",
        DftFailureClass.ScfNotConverged => "SCF not converged",
        DftFailureClass.ScfStagnated => "SCF stagnated",
        _ => cls.ToString(),
    };
}
