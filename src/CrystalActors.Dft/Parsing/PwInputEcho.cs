namespace CrystalActors.Dft.Parsing;

/// <summary>
/// What pw.x repeats of its input in the run summary: atom count, species, lattice and positions. A result is
/// credited to a crystal only when this matches the crystal the job wrote (<see cref="Handlers.PwOutputCheck"/>),
/// so another run's output can never pass as this one's. Every part is null or empty when it was not printed.
/// </summary>
public sealed record PwInputEcho
{
    public static readonly PwInputEcho Empty = new();

    /// <summary>'number of atoms/cell'.</summary>
    public int? NumberOfAtoms { get; init; }

    /// <summary>Labels of the 'atomic species ... valence mass pseudopotential' table, in type order.</summary>
    public IReadOnlyList<string> SpeciesLabels { get; init; } = [];

    /// <summary>
    /// The lattice parameter alat, bohr: celldm(1) (six decimals) when it agrees with the 'lattice parameter (alat)'
    /// line (four decimals), else that line.
    /// </summary>
    public PrintedNumber? AlatBohr { get; init; }

    /// <summary>The crystal axes a(1), a(2), a(3) as rows, Cartesian, in units of alat; empty unless all three were read.</summary>
    public IReadOnlyList<IReadOnlyList<PrintedNumber>> AxesAlat { get; init; } = [];

    /// <summary>The 'positions (alat units)' table, in site order.</summary>
    public IReadOnlyList<PwEchoSite> Sites { get; init; } = [];

    /// <summary>True when nothing of the input was printed (pw.x stopped before its summary).</summary>
    public bool IsEmpty => NumberOfAtoms is null && SpeciesLabels.Count == 0 && AlatBohr is null && AxesAlat.Count == 0 && Sites.Count == 0;
}

/// <summary>One site of the summary: its species label and Cartesian position in units of alat.</summary>
public sealed record PwEchoSite(string Label, IReadOnlyList<PrintedNumber> TauAlat);

/// <summary>
/// A number as pw.x printed it in a fixed Fortran format: its value and <see cref="Step"/>, one unit of its last
/// printed digit (0.0001 for '8.9017'), so the true value lies within half a step. NaN for a field that is not a
/// number ('NaN', or '****' where the value overflowed the field).
/// </summary>
public readonly record struct PrintedNumber(double Value, double Step)
{
    /// <summary>Half a step: the most the printed value can differ from the one pw.x held.</summary>
    public double Rounding => Step / 2;
}
