using CrystalActors.Dft.Input;
using CrystalActors.Dft.Parsing;

namespace CrystalActors.Dft.Handlers;

/// <summary>How an attempt ended, as seen from outside pw.x.</summary>
public enum PwTermination
{
    /// <summary>The process exited by itself (any exit code).</summary>
    Exited,
    /// <summary>Killed at the wall-time limit.</summary>
    WallTime,
    /// <summary>Killed because the live monitor saw the SCF stagnate or oscillate.</summary>
    MonitorStopped,
    /// <summary>Killed because the caller cancelled.</summary>
    Cancelled,
}

/// <summary>The verdict on one attempt: its class and a one-line reason for logs and reports.</summary>
public sealed record PwDiagnosis(DftFailureClass Class, string Detail)
{
    public bool IsSuccess => Class == DftFailureClass.None;
}

/// <summary>
/// Classifies a finished attempt from its parsed output, the crystal it was run for, exit code and how it ended.
/// Pure; the order of the checks matters: an external kill explains a missing energy better than anything in the
/// truncated output, and an output that describes another crystal explains nothing about this one.
/// </summary>
public static class PwErrorClassifier
{
    // Substrings of pw.x 6.x error messages (lower case), checked in this order.
    private static readonly (string Needle, DftFailureClass Class)[] ErrorPatterns =
    [
        ("d_matrix", DftFailureClass.SymmetryError),
        ("symmetry operation is not orthogonal", DftFailureClass.SymmetryError),
        ("charge is wrong", DftFailureClass.ChargeWrongSmearingNeeded),
        ("smearing is needed", DftFailureClass.ChargeWrongSmearingNeeded),
        ("too few bands", DftFailureClass.TooFewBands),
        ("more bands than pws", DftFailureClass.TooManyBands),
        ("too many bands, or too few plane waves", DftFailureClass.TooManyBands),
        ("cholesky", DftFailureClass.DiagonalizationFailure),
        ("s matrix not positive definite", DftFailureClass.DiagonalizationFailure),
        ("eigenvectors failed to converge", DftFailureClass.DiagonalizationFailure),
        ("too many bands are not converged", DftFailureClass.DiagonalizationFailure),
        ("cdiaghg", DftFailureClass.DiagonalizationFailure),
        ("rdiaghg", DftFailureClass.DiagonalizationFailure),
    ];

    private static readonly string[] DiagonalizationRoutines = ["cdiaghg", "rdiaghg", "cegterg", "regterg", "ppcg", "ccgdiagg", "rcgdiagg"];

    /// <param name="cell">The crystal the job wrote into the input, which the output's summary must repeat.</param>
    public static PwDiagnosis Classify(PwOutput output, DftCell cell, PwTermination termination, int? exitCode, PwParameters parameters, string? monitorReason = null)
    {
        switch (termination)
        {
            case PwTermination.Cancelled:
                return new(DftFailureClass.Cancelled, "cancelled by the caller");
            case PwTermination.WallTime:
                return new(DftFailureClass.WallTimeExceeded, $"killed at the wall-time limit after {output.ScfIterations} SCF iterations");
            case PwTermination.MonitorStopped:
                return new(DftFailureClass.ScfStagnated, monitorReason ?? "SCF accuracy stagnated");
        }

        // A converged run must show it computed this crystal; one that stopped early is judged on what it printed.
        if (PwOutputCheck.Mismatch(output.InputEcho, cell, requireComplete: output.Converged) is { } mismatch)
            return new(DftFailureClass.OutputMismatch, mismatch);

        foreach (var error in output.Errors)
        {
            string text = (error.Routine + ": " + error.Message).ToLowerInvariant();
            foreach (var (needle, cls) in ErrorPatterns)
                if (text.Contains(needle, StringComparison.Ordinal)) return new(cls, error.ToString());
            if (DiagonalizationRoutines.Contains(error.Routine.ToLowerInvariant()))
                return new(DftFailureClass.DiagonalizationFailure, error.ToString());
        }
        if (output.Errors.Count > 0)
        {
            var e = output.Errors[0];
            bool input = e.Routine is "read_namelists" or "readpp" or "iosys" or "card_atomic_species" or "read_cards"
                         || e.Message.Contains("file", StringComparison.OrdinalIgnoreCase) && e.Message.Contains("not", StringComparison.OrdinalIgnoreCase);
            return new(input ? DftFailureClass.InputError : DftFailureClass.Unknown, e.ToString());
        }

        if (output.ConvergenceNotAchieved)
            return new(DftFailureClass.ScfNotConverged, $"convergence NOT achieved after {output.ScfIterations} iterations");

        if (output.Converged)
        {
            if (PwOutputCheck.Unphysical(output, cell.NumSites) is { } unphysical)
                return new(DftFailureClass.UnphysicalResult, unphysical);
            if (!parameters.IsSmearing && output.RawGapEv is < 0)
                return new(DftFailureClass.MetallicUnderFixedOccupations,
                    $"LUMO {output.LumoEv:F4} eV below HOMO {output.HomoEv:F4} eV under fixed occupations");
            if (parameters.IsSmearing && HighestBandTooLow(output, parameters) is { } margin)
                return new(DftFailureClass.TooFewBands, $"highest band only {margin:F3} eV above the Fermi energy");
            return new(DftFailureClass.None, $"converged in {output.ScfIterations} iterations");
        }

        return new(DftFailureClass.Unknown, exitCode is { } c && c != 0
            ? $"pw.x exited with code {c} without an error message"
            : "no final energy in the output");
    }

    /// <summary>
    /// A smearing run needs empty bands above the Fermi level (else the highest band is partly occupied and the
    /// occupations are wrong). Returns the margin when the lowest top-band eigenvalue lies within 3 smearing widths
    /// (or 0.1 eV) of the Fermi energy, else null.
    /// </summary>
    private static double? HighestBandTooLow(PwOutput output, PwParameters p)
    {
        if (output.FermiEnergyEv is not { } ef || output.EigenvaluesEv.Count == 0) return null;
        double top = output.EigenvaluesEv.SelectMany(s => s).Min(k => k[^1]);
        double width = Math.Max(0.1, 3 * (p.DegaussRy ?? 0) * PwOutput.RydbergToEv);
        double margin = top - ef;
        return margin < width ? margin : null;
    }
}
