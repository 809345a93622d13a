using System.Text.Json.Serialization;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Validity;

namespace CrystalActors.Learning.Rewards;

/// <summary>
/// Chemeleon2's de-novo-generation table for a set of generated crystals: unique and novel (structure matcher against
/// the reference), mean energy above the hull with the metastable (≤ 0.1 eV/atom) and stable (≤ 0) shares, SMACT
/// composition validity, and structure / composition diversity as the Fréchet distance between the generated and
/// reference embeddings (lower = closer to the reference distribution). Percentages are of all generated crystals;
/// e_above_hull_mean_ev averages the crystals whose energy was computed.
/// </summary>
public sealed record DngTable(
    [property: JsonPropertyName("n")] int N,
    [property: JsonPropertyName("unique_pct")] double UniquePct,
    [property: JsonPropertyName("novel_pct")] double NovelPct,
    [property: JsonPropertyName("e_above_hull_mean_ev")] double? EAboveHullMeanEv,
    [property: JsonPropertyName("metastable_pct")] double MetastablePct,
    [property: JsonPropertyName("stable_pct")] double StablePct,
    [property: JsonPropertyName("msun_pct")] double MsunPct,
    [property: JsonPropertyName("sun_pct")] double SunPct,
    [property: JsonPropertyName("smact_valid_pct")] double SmactValidPct,
    [property: JsonPropertyName("structure_diversity")] double? StructureDiversity,
    [property: JsonPropertyName("composition_diversity")] double? CompositionDiversity,
    [property: JsonPropertyName("energy_failed")] int EnergyFailed)
{
    public const double MetastableEv = 0.1;

    /// <summary>The table from a scored batch (creativity, energy and embeddings computed) and the scorer's reference embeddings.</summary>
    public static DngTable From(RewardBatch b, MmdReference? structureReference, MmdReference? compositionReference)
    {
        int n = b.Count;
        if (n == 0) throw new ArgumentException("no generated crystals to evaluate");
        double Pct(Func<int, bool> f) => 100.0 * Enumerable.Range(0, n).Count(f) / n;
        var unique = b.Unique ?? throw new InvalidOperationException("creativity was not computed");
        var novel = b.Novel!;
        var e = b.EnergyAboveHullEv ?? throw new InvalidOperationException("energies above the hull were not computed");
        bool Meta(int i) => e[i] is { } v && double.IsFinite(v) && v <= MetastableEv;
        bool Stable(int i) => e[i] is { } v && double.IsFinite(v) && v <= 0;
        var finite = e.Where(v => v is { } x && double.IsFinite(x)).Select(v => v!.Value).ToList();
        double? Fd(double[][]? gen, MmdReference? r) => gen is { Length: >= 2 } && r is not null ? Diversity.FrechetDistance(gen, r.Reference) : null;
        return new DngTable(n, Pct(i => unique[i]), Pct(i => novel[i]), finite.Count > 0 ? finite.Average() : null,
            Pct(Meta), Pct(Stable), Pct(i => unique[i] && novel[i] && Meta(i)), Pct(i => unique[i] && novel[i] && Stable(i)),
            Pct(i => SmactValidity.IsValid(b.Structures[i])),
            Fd(b.StructureFeatures, structureReference), Fd(b.CompositionFeatures, compositionReference), n - finite.Count);
    }

    /// <summary>Every input the table needs, as reward components (weights irrelevant: only the inputs are used).</summary>
    public static CompositeReward Inputs() => CompositeReward.FromOptions(
        new[] { "creativity", "energy", "structure_diversity", "composition_diversity" }.Select(k => new RewardComponentOptions { Kind = k }).ToList(), 0, 1);
}
