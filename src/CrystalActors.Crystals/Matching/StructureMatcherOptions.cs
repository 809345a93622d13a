using CrystalActors.Crystals.Symmetry;

namespace CrystalActors.Crystals.Matching;

/// <summary>
/// Tolerances of <see cref="StructureMatcher"/>. The defaults are pymatgen's <c>StructureMatcher()</c> defaults
/// (ltol 0.2, stol 0.3, angle_tol 5°, primitive_cell and scale on, attempt_supercell off, species comparator),
/// the setting CDVAE/DiffCSP/Chemeleon2 use for uniqueness and novelty. A value outside its range throws
/// <see cref="ArgumentOutOfRangeException"/> naming the property.
/// </summary>
public sealed record StructureMatcherOptions
{
    /// <summary>pymatgen's defaults.</summary>
    public static readonly StructureMatcherOptions Default = new();

    private readonly double _ltol = 0.2, _stol = 0.3, _angleTol = 5.0, _primitiveTolerance = CellReduction.DefaultPrimitiveSymprec;

    /// <summary>Fractional tolerance on lattice vector lengths (default 0.2): a vector of length l matches a target
    /// length L when 1/(1 + ltol) &lt; l/L &lt; 1 + ltol. Range (0, 1].</summary>
    public double Ltol
    {
        get => _ltol;
        init => _ltol = value > 0 && value <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Ltol), value, "Ltol must lie in (0, 1]");
    }

    /// <summary>Site tolerance (default 0.3), as a fraction of the average free length per atom (V/n)^(1/3) of the
    /// averaged, volume-scaled lattice. Range (0, 1].</summary>
    public double Stol
    {
        get => _stol;
        init => _stol = value > 0 && value <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Stol), value, "Stol must lie in (0, 1]");
    }

    /// <summary>Tolerance on lattice angles in degrees (default 5). Range (0, 30].</summary>
    public double AngleTol
    {
        get => _angleTol;
        init => _angleTol = value > 0 && value <= 30 ? value : throw new ArgumentOutOfRangeException(nameof(AngleTol), value, "AngleTol must lie in (0, 30] degrees");
    }

    /// <summary>Reduce both structures to primitive cells before matching (default true). Without it, a supercell never
    /// matches its primitive cell (attempt_supercell is not implemented).</summary>
    public bool PrimitiveCell { get; init; } = true;

    /// <summary>Scale both lattices to the same volume, the geometric mean of the two (default true).</summary>
    public bool Scale { get; init; } = true;

    /// <summary>Tolerance (Å) of the primitive-cell search (default 0.25 Å, pymatgen's <c>get_primitive_structure</c>
    /// tolerance; spglib's symprec when <see cref="PrimitiveAlgorithm"/> is <see cref="PrimitiveCellAlgorithm.Spglib"/>).
    /// Range (0, 1].</summary>
    public double PrimitiveTolerance
    {
        get => _primitiveTolerance;
        init => _primitiveTolerance = value > 0 && value <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(PrimitiveTolerance), value, "PrimitiveTolerance must lie in (0, 1] Å");
    }

    /// <summary>How the primitive cell is found (default <see cref="PrimitiveCellAlgorithm.Pymatgen"/>).</summary>
    public PrimitiveCellAlgorithm PrimitiveAlgorithm { get; init; } = PrimitiveCellAlgorithm.Pymatgen;
}

/// <summary>Primitive-cell search used by <see cref="StructureMatcher"/>.</summary>
public enum PrimitiveCellAlgorithm
{
    /// <summary>pymatgen's own <c>get_primitive_structure</c> (per-axis tolerance, sub-lattice enumeration), ported;
    /// the reference behaviour, and fast.</summary>
    Pymatgen,

    /// <summary>spglib's standardised primitive cell (<see cref="CellReduction.FindPrimitive"/>, Cartesian tolerance).
    /// Slower (a full symmetry search, tens of ms, whenever a pure translation may exist) and it reduces some distorted
    /// cells that pymatgen keeps, so a few pairs match differently.</summary>
    Spglib,
}
