namespace CrystalActors.Dft.Handlers;

/// <summary>Why a pw.x attempt did not give a usable result (custodian / aiida-quantumespresso style taxonomy).</summary>
public enum DftFailureClass
{
    /// <summary>The attempt gave a converged, physically usable result.</summary>
    None,
    /// <summary>'charge is wrong: smearing is needed': odd electron count, or a magnetic / metallic system, under fixed occupations.</summary>
    ChargeWrongSmearingNeeded,
    /// <summary>Converged under fixed occupations with LUMO below HOMO: a metal forced into an insulator's occupations.</summary>
    MetallicUnderFixedOccupations,
    /// <summary>'convergence NOT achieved': electron_maxstep exhausted.</summary>
    ScfNotConverged,
    /// <summary>Stopped by the live monitor: the SCF accuracy stagnated or oscillated.</summary>
    ScfStagnated,
    /// <summary>'too few bands', or the highest band of a smearing run is still partly occupied.</summary>
    TooFewBands,
    /// <summary>'more bands than PWs!' / 'too many bands, or too few plane waves'.</summary>
    TooManyBands,
    /// <summary>Cholesky / S-matrix / eigenvector failures of the iterative diagonalisation.</summary>
    DiagonalizationFailure,
    /// <summary>pw.x's symmetry analysis broke on a (slightly distorted) cell, e.g. 'd_matrix: D_S (l=2) ... not orthogonal'.</summary>
    SymmetryError,
    /// <summary>Killed at the wall-time limit.</summary>
    WallTimeExceeded,
    /// <summary>Cancelled by the caller.</summary>
    Cancelled,
    /// <summary>pw.x rejected the input or could not read a file.</summary>
    InputError,
    /// <summary>Anything else: a crash without a recognised message, or no energy in the output.</summary>
    Unknown,

    // Appended, not sorted in: the JSON-lines result cache stores a class by its number.

    /// <summary>The output does not describe the job's input (atom count, species, cell or positions differ, or a converged run did not print them).</summary>
    OutputMismatch,
    /// <summary>A converged run printed values no crystal has: a non-finite energy or level, |E| per atom or a band gap out of range.</summary>
    UnphysicalResult,
}
