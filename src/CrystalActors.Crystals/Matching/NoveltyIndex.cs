namespace CrystalActors.Crystals.Matching;

/// <summary>
/// A reference set of crystals (e.g. MP-20 train+val+test) indexed by pymatgen reduced formula, so that novelty
/// checks only run the <see cref="StructureMatcher"/> against references of the same reduced composition (the
/// pre-grouping Chemeleon2's <c>Metrics._novel</c> does with <c>_ref_structures_by_formula</c>). References are reduced
/// lazily, the first time a structure of their formula is queried, and the reduction is cached by the matcher.
/// Thread-safe once built.
/// </summary>
public sealed class NoveltyIndex
{
    private readonly Dictionary<string, Structure[]> _byFormula;

    /// <param name="reference">The reference crystals.</param>
    /// <param name="matcher">The matcher deciding "same structure"; pymatgen's defaults when null.</param>
    public NoveltyIndex(IEnumerable<Structure> reference, StructureMatcher? matcher = null)
    {
        ArgumentNullException.ThrowIfNull(reference);
        Matcher = matcher ?? new StructureMatcher();
        var groups = new Dictionary<string, List<Structure>>();
        int count = 0;
        foreach (var s in reference)
        {
            ArgumentNullException.ThrowIfNull(s, nameof(reference));
            string f = s.Composition.ReducedFormula;
            if (!groups.TryGetValue(f, out var list)) groups[f] = list = [];
            list.Add(s);
            count++;
        }
        _byFormula = groups.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        Count = count;
    }

    public StructureMatcher Matcher { get; }

    /// <summary>Number of reference crystals.</summary>
    public int Count { get; }

    /// <summary>Number of distinct reduced formulas among the references.</summary>
    public int FormulaCount => _byFormula.Count;

    /// <summary>True when some reference has this pymatgen reduced formula ("NaCl").</summary>
    public bool ContainsFormula(string reducedFormula) => _byFormula.ContainsKey(reducedFormula);

    /// <summary>References whose reduced formula is <paramref name="reducedFormula"/> (empty when none).</summary>
    public IReadOnlyList<Structure> GetByFormula(string reducedFormula) =>
        _byFormula.TryGetValue(reducedFormula, out var list) ? list : [];

    /// <summary>The first reference (in insertion order) of the same reduced formula that the matcher fits to
    /// <paramref name="structure"/> (<c>Fit(reference, structure)</c>, the argument order of Chemeleon2's novelty
    /// check), or null.</summary>
    public Structure? FindMatch(Structure structure)
    {
        ArgumentNullException.ThrowIfNull(structure);
        if (!_byFormula.TryGetValue(structure.Composition.ReducedFormula, out var candidates)) return null;
        var reduced = Matcher.Reduce(structure);
        foreach (var r in candidates)
            if (Matcher.Fit(Matcher.Reduce(r), reduced)) return r;
        return null;
    }

    /// <summary>True when no reference of the same reduced formula matches <paramref name="structure"/>.</summary>
    public bool IsNovel(Structure structure) => FindMatch(structure) is null;
}
