namespace CrystalActors.Crystals.Io;

/// <summary>
/// One row of the MP-20 data set (JSONL form of ../shared/data/mp20). <see cref="Structure"/> is null for rows
/// without coordinates (the train "nocoords" split); <see cref="Lattice"/> and <see cref="Species"/> are always set.
/// Energies in eV, band gap in eV.
/// </summary>
public sealed record Mp20Record
{
    public required int Index { get; init; }
    /// <summary>1-based line of the file where the record starts (null when not read from a file), so that a fault
    /// found later, in the work on the record, can still name its place.</summary>
    public int? Line { get; init; }
    public required string MaterialId { get; init; }
    public required Lattice Lattice { get; init; }
    public required IReadOnlyList<Element> Species { get; init; }
    public Structure? Structure { get; init; }
    public double? BandGap { get; init; }
    public double? FormationEnergyPerAtom { get; init; }
    public double? BulkModulus { get; init; }
    public double? MagDensity { get; init; }
    /// <summary>spglib space group number at symprec 0.1, as stored in the data set.</summary>
    public int? SpacegroupNumber { get; init; }
    public string? PrettyFormula { get; init; }

    public int NumAtoms => Species.Count;
    public Composition Composition => Composition.FromSpecies(Species);
}
