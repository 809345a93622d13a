using System.Runtime.CompilerServices;

namespace CrystalActors.Crystals.Matching;

/// <summary>Settings of <see cref="CreativityReward"/>.</summary>
public sealed record CreativityRewardOptions
{
    private readonly int _amdK = AverageMinimumDistance.DefaultK;

    /// <summary>Number of neighbours in the AMD fingerprint of the fallback (default 100, Chemeleon2's value).</summary>
    public int AmdK
    {
        get => _amdK;
        init => _amdK = value is >= 1 and <= 1000 ? value : throw new ArgumentOutOfRangeException(nameof(AmdK), value, "AmdK must lie in 1..1000");
    }

    /// <summary>Clip the fallback AMD distance (Å) into [0, 1] (default true). Chemeleon2 does not clip (its docs
    /// call the reward "already in [0, 1]", which holds for almost all same-formula pairs); clipping guarantees that
    /// partial credit never exceeds the full reward of 1. Set false for Chemeleon2's raw values.</summary>
    public bool ClipFallback { get; init; } = true;
}

/// <summary>
/// Per-structure outcome of <see cref="CreativityReward.Compute"/>: the reward and the unique/novel flags of the
/// DNG table. Percentages are over the batch (NaN for an empty batch, like numpy's nanmean).
/// </summary>
public sealed record CreativityResult(IReadOnlyList<double> Rewards, IReadOnlyList<bool> IsUnique, IReadOnlyList<bool> IsNovel)
{
    public int Count => Rewards.Count;

    /// <summary>Percentage of structures that are unique within the batch (Chemeleon2's <c>avg_unique</c> × 100).</summary>
    public double UniquePct => Percent(IsUnique);

    /// <summary>Percentage of structures that match no reference (Chemeleon2's <c>avg_novel</c> × 100).</summary>
    public double NovelPct => Percent(IsNovel);

    /// <summary>Percentage that are both unique and novel (the "U.N." column).</summary>
    public double UniqueNovelPct => Count == 0 ? double.NaN : 100.0 * IsUnique.Where((u, i) => u && IsNovel[i]).Count() / Count;

    public double MeanReward => Count == 0 ? double.NaN : Rewards.Average();

    private static double Percent(IReadOnlyList<bool> flags) => flags.Count == 0 ? double.NaN : 100.0 * flags.Count(f => f) / flags.Count;
}

/// <summary>
/// Chemeleon2's <c>CreativityReward</c> (github.com/hspark1212/chemeleon2, <c>src/rl_module/components.py</c>, with the
/// <c>unique</c> and <c>novel</c> metrics of <c>src/utils/metrics.py</c>), read from its source:
/// <list type="bullet">
/// <item><b>unique</b>: pymatgen <c>StructureMatcher().group_structures(batch)</c>; a structure is unique when it leads
/// its group, i.e. no earlier group leader of the same reduced formula fits it (<see cref="StructureMatcher.GroupStructures"/>).
/// The first copy of a duplicated structure is unique, later copies are not.</item>
/// <item><b>novel</b>: no reference structure of the same reduced formula fits it (<c>fit(reference, structure)</c>;
/// <see cref="NoveltyIndex.IsNovel"/>).</item>
/// <item><b>reward</b>: 1 when unique and novel; 0 when neither; otherwise (exactly one of the two) the AMD distance
/// (k = 100, Chebyshev, Å) from the structure to its closest other structure of the same reduced formula among the
/// references and the whole batch, ignoring zero distances (Chemeleon2: <c>dists[dists &gt; 0].min()</c> over
/// <c>[gen] + refs_by_formula[formula]</c>, where that list holds the references and all generated structures).</item>
/// </list>
/// Differences from Chemeleon2: the fallback is clipped into [0, 1] unless <see cref="CreativityRewardOptions.ClipFallback"/>
/// is false; when every candidate is at AMD distance 0 (Chemeleon2 would raise on an empty minimum) the reward is 0;
/// the AMD is computed from the structure directly rather than through a P1 CIF file (same invariant, no rounding of
/// coordinates to the CIF's digits); the matcher is this library's <see cref="StructureMatcher"/> (checked against
/// pymatgen's, see its documentation). Reduced cells (in the matcher) and AMDs (here) are cached per
/// <see cref="Structure"/> object, so references are prepared once however many batches meet them.
/// </summary>
public sealed class CreativityReward
{
    private readonly ConditionalWeakTable<Structure, double[]> _amd = new();

    public CreativityReward(NoveltyIndex reference, CreativityRewardOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reference);
        Reference = reference;
        Options = options ?? new CreativityRewardOptions();
    }

    public NoveltyIndex Reference { get; }
    public CreativityRewardOptions Options { get; }
    public StructureMatcher Matcher => Reference.Matcher;

    /// <summary>Rewards and unique/novel flags for one batch of generated structures, in batch order.</summary>
    public CreativityResult Compute(IReadOnlyList<Structure> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int n = batch.Count;
        var unique = new bool[n];
        foreach (var group in Matcher.GroupStructures(batch)) unique[group[0]] = true;
        var novel = new bool[n];
        for (int i = 0; i < n; i++) novel[i] = Reference.IsNovel(batch[i]);

        var rewards = new double[n];
        var formulas = batch.Select(s => s.Composition.ReducedFormula).ToArray();
        for (int i = 0; i < n; i++)
        {
            if (unique[i] && novel[i]) rewards[i] = 1.0;
            else if (!unique[i] && !novel[i]) rewards[i] = 0.0;
            else
            {
                var candidates = Reference.GetByFormula(formulas[i])
                    .Concat(Enumerable.Range(0, n).Where(j => j != i && formulas[j] == formulas[i]).Select(j => batch[j]));
                rewards[i] = NearestAmdDistance(batch[i], candidates);
            }
        }
        return new CreativityResult(rewards, unique, novel);
    }

    /// <summary>The fallback: smallest non-zero AMD (Chebyshev) distance from <paramref name="structure"/> to
    /// <paramref name="candidates"/>, clipped per <see cref="CreativityRewardOptions.ClipFallback"/>; 0 when there is none.</summary>
    public double NearestAmdDistance(Structure structure, IEnumerable<Structure> candidates)
    {
        ArgumentNullException.ThrowIfNull(structure);
        ArgumentNullException.ThrowIfNull(candidates);
        var own = Amd(structure);
        double best = double.PositiveInfinity;
        foreach (var c in candidates)
        {
            double d = AverageMinimumDistance.ChebyshevDistance(own, Amd(c));
            if (d > 0 && d < best) best = d;
        }
        if (double.IsPositiveInfinity(best)) return 0.0;
        return Options.ClipFallback ? Math.Clamp(best, 0.0, 1.0) : best;
    }

    private double[] Amd(Structure s) => _amd.GetValue(s, x => AverageMinimumDistance.Compute(x, Options.AmdK));
}
