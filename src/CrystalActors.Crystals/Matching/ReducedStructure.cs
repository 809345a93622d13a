namespace CrystalActors.Crystals.Matching;

/// <summary>
/// A structure prepared for matching, as pymatgen's StructureMatcher prepares it: reduced to its primitive cell
/// (when the matcher's <see cref="StructureMatcherOptions.PrimitiveCell"/> is set), put in its Niggli cell, fractional
/// coordinates wrapped into [0, 1), sites ordered by atomic number (the reduced cell's own site order, which pymatgen's
/// choice of anchor site depends on, is remembered). Made by <see cref="StructureMatcher.Reduce"/>;
/// preparing once and matching many times is how <see cref="NoveltyIndex"/> and <see cref="CreativityReward"/> stay fast.
/// </summary>
public sealed class ReducedStructure
{
    internal ReducedStructure(Structure source, Structure reduced)
    {
        Source = source;
        var order = Enumerable.Range(0, reduced.NumSites).OrderBy(i => reduced.Sites[i].Species.Z).ToArray(); // stable
        Structure = new Structure(reduced.Lattice, order.Select(i => reduced.Sites[i] with { FracCoords = reduced.Sites[i].FracCoords.WrapUnit() }), reduced.Id);
        Matrix = Structure.Lattice.Matrix;
        Frac = Structure.FracCoords.ToArray();
        ReducedFormula = source.Composition.ReducedFormula;
        var starts = new List<int>();
        for (int i = 0; i < Structure.NumSites; i++)
            if (i == 0 || Structure.Sites[i].Species != Structure.Sites[i - 1].Species) starts.Add(i);
        starts.Add(Structure.NumSites);
        BlockStarts = starts.ToArray();
        // pymatgen anchors translations on the first site, in its own site order (which the reduction keeps), of the
        // least frequent element; near the tolerance the outcome can depend on that choice, so keep it.
        var counts = reduced.Composition;
        int minCount = counts.Counts.Min(c => c.Count);
        int firstRare = Enumerable.Range(0, reduced.NumSites).First(i => counts[reduced.Sites[i].Species] == minCount);
        AnchorSite = Array.IndexOf(order, firstRare);
    }

    /// <summary>The structure this was made from.</summary>
    public Structure Source { get; }

    /// <summary>The reduced cell: primitive, Niggli-reduced, sites sorted by atomic number, coordinates in [0, 1).</summary>
    public Structure Structure { get; }

    /// <summary>pymatgen's reduced formula of the source ("NaCl"), the key that pre-groups structures.</summary>
    public string ReducedFormula { get; }

    public int NumSites => Frac.Length;

    internal Mat3 Matrix { get; }
    internal Vec3[] Frac { get; }

    /// <summary>Sites of one element are contiguous: block b spans [BlockStarts[b], BlockStarts[b + 1]).</summary>
    internal int[] BlockStarts { get; }

    internal int NumBlocks => BlockStarts.Length - 1;

    /// <summary>Index (in this structure's sorted order) of the site pymatgen would anchor translations on: the first
    /// site, in the reduced cell's own order, of an element with the fewest sites.</summary>
    internal int AnchorSite { get; }

    internal int BlockOf(int site)
    {
        int b = 0;
        while (BlockStarts[b + 1] <= site) b++;
        return b;
    }

    /// <summary>True when both have the same element in each block and the same block sizes (same composition
    /// and same number of sites).</summary>
    internal bool HasSameBlocks(ReducedStructure other)
    {
        if (other.NumSites != NumSites || other.BlockStarts.Length != BlockStarts.Length) return false;
        for (int b = 0; b < NumBlocks; b++)
        {
            if (BlockStarts[b] != other.BlockStarts[b]) return false;
            if (Structure.Sites[BlockStarts[b]].Species != other.Structure.Sites[BlockStarts[b]].Species) return false;
        }
        return true;
    }

    public override string ToString() => $"ReducedStructure {ReducedFormula} ({NumSites} sites, from {Source.NumSites})";
}
