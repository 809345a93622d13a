namespace CrystalActors.Dft.Parsing;

/// <summary>
/// What one pw.x run printed, reduced to the quantities the DFT service uses. Every value is null when the
/// output does not contain it (a truncated or failed run), never a made-up default; NaN when pw.x printed the line
/// but not a number ('NaN', or '****' for a value too large for its field).
/// </summary>
public sealed record PwOutput
{
    /// <summary>Rydberg to electron-volt, as QE 6.7 defines it (constants.f90: AUTOEV / 2, CODATA 2018).</summary>
    public const double RydbergToEv = 13.605693122994;

    /// <summary>Bohr radius in Å, as QE 6.7 defines it (constants.f90: BOHR_RADIUS_ANGS, CODATA 2018).</summary>
    public const double BohrRadiusAngstrom = 0.529177210903;

    /// <summary>Final total energy from the '!' line, Ry. Null unless the SCF converged.</summary>
    public double? TotalEnergyRy { get; init; }

    public double? TotalEnergyEv => TotalEnergyRy * RydbergToEv;

    /// <summary>Highest occupied level, eV (fixed occupations line, or derived from eigenvalues vs the Fermi energy).</summary>
    public double? HomoEv { get; init; }

    /// <summary>Lowest unoccupied level, eV.</summary>
    public double? LumoEv { get; init; }

    /// <summary>LUMO - HOMO as printed, eV; negative for a metal forced into fixed occupations.</summary>
    public double? RawGapEv => HomoEv is { } h && LumoEv is { } l ? l - h : null;

    /// <summary>Band gap, eV, never negative: 0 for a metal (negative raw gap, or bands crossing the Fermi level).</summary>
    public double? BandGapEv { get; init; }

    /// <summary>Fermi energy, eV (smearing runs; for two Fermi energies the mean of up and down).</summary>
    public double? FermiEnergyEv { get; init; }

    /// <summary>Spin-up and spin-down Fermi energies when pw.x printed two (fixed total magnetisation), eV.</summary>
    public (double Up, double Down)? SpinFermiEnergiesEv { get; init; }

    /// <summary>True when pw.x printed 'convergence has been achieved' and the final energy.</summary>
    public bool Converged { get; init; }

    /// <summary>True when pw.x printed 'convergence NOT achieved' (electron_maxstep exhausted).</summary>
    public bool ConvergenceNotAchieved { get; init; }

    /// <summary>SCF iterations of the last SCF cycle (counted from 'iteration #' lines when the number overflowed).</summary>
    public int ScfIterations { get; init; }

    /// <summary>The 'estimated scf accuracy' of each iteration, Ry, in order.</summary>
    public IReadOnlyList<double> ScfAccuraciesRy { get; init; } = [];

    /// <summary>Total magnetisation, Bohr magneton per cell (last printed value; spin-polarised runs only).</summary>
    public double? TotalMagnetization { get; init; }

    /// <summary>Absolute magnetisation, Bohr magneton per cell.</summary>
    public double? AbsoluteMagnetization { get; init; }

    /// <summary>Wall time pw.x reported for itself ('PWSCF : ... WALL'), seconds.</summary>
    public double? WallTimeSeconds { get; init; }

    /// <summary>Number of electrons pw.x counted from the pseudopotentials.</summary>
    public double? NumberOfElectrons { get; init; }

    /// <summary>Number of Kohn-Sham states (nbnd) actually used.</summary>
    public int? NumberOfBands { get; init; }

    /// <summary>True when the output ends with 'JOB DONE.'.</summary>
    public bool JobDone { get; init; }

    /// <summary>The %%%% error blocks (deduplicated; MPI ranks print the same one), in order of appearance.</summary>
    public IReadOnlyList<PwError> Errors { get; init; } = [];

    /// <summary>Eigenvalues of the last printed band structure, eV: [spin][k][band]. Empty when not printed.</summary>
    public IReadOnlyList<IReadOnlyList<IReadOnlyList<double>>> EigenvaluesEv { get; init; } = [];

    /// <summary>What pw.x printed of its input (atoms, species, cell, positions), to check the output against the job.</summary>
    public PwInputEcho InputEcho { get; init; } = PwInputEcho.Empty;

    /// <summary>Lines the parser could not make sense of in a context that mattered (e.g. a torn number).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>All error text joined, for logs and the error classifier.</summary>
    public string ErrorText => string.Join("\n", Errors.Select(e => e.ToString()));
}

/// <summary>One error block: 'Error in routine ROUTINE (CODE):' followed by the message.</summary>
public sealed record PwError(string Routine, int Code, string Message)
{
    public override string ToString() => $"Error in routine {Routine} ({Code}): {Message}";
}
