using System.Text.Json.Serialization;

namespace CrystalActors.Learning.Offline;

/// <summary>The DFT verdicts on one skeleton: the generated crystal's and the true crystal's (same protocol).</summary>
/// <param name="GeneratedGapEv">null when the generated crystal's DFT failed.</param>
/// <param name="TrueGapEv">null when the true crystal's DFT failed.</param>
public sealed record DftPair(string MaterialId, double? GeneratedGapEv, double? GeneratedEnergyPerAtomEv, double? TrueGapEv, double? TrueEnergyPerAtomEv);

/// <summary>
/// The offline paper's post-simulation metrics (Govindarajan et al. 2024, Fig. 2, Table 3): EMD between the generated
/// and true DFT band-gap distributions and between the total-energy-per-atom distributions, ν = % of generated crystals
/// whose DFT gap lies in p̂ ± 0.25 eV, κ = % of generated crystals in that range whose true crystal (same skeleton) is
/// not, % DFT success, mean gap and energy. Percentages of ν and κ are over the pairs where both DFT runs succeeded.
/// </summary>
public sealed record PostSimulationMetrics(
    [property: JsonPropertyName("emd_gap_ev")] double? EmdGapEv,
    [property: JsonPropertyName("emd_energy_ev_per_atom")] double? EmdEnergyEvPerAtom,
    [property: JsonPropertyName("in_target_pct")] double? InTargetPct,
    [property: JsonPropertyName("kappa_pct")] double? KappaPct,
    [property: JsonPropertyName("dft_success_pct")] double? DftSuccessPct,
    [property: JsonPropertyName("dft_n")] int DftN,
    [property: JsonPropertyName("mean_gap_ev")] double? MeanGapEv,
    [property: JsonPropertyName("mean_energy_ev_per_atom")] double? MeanEnergyEvPerAtom,
    [property: JsonPropertyName("true_in_target_pct")] double? TrueInTargetPct)
{
    /// <summary>Half-width of the target window around p̂ (eV), as in the paper.</summary>
    public const double Window = 0.25;

    public static PostSimulationMetrics Compute(IReadOnlyList<DftPair> pairs, double targetGapEv)
    {
        var genGaps = pairs.Where(p => p.GeneratedGapEv is not null).Select(p => p.GeneratedGapEv!.Value).ToArray();
        var genE = pairs.Where(p => p.GeneratedEnergyPerAtomEv is not null).Select(p => p.GeneratedEnergyPerAtomEv!.Value).ToArray();
        var trueGaps = pairs.Where(p => p.TrueGapEv is not null).Select(p => p.TrueGapEv!.Value).ToArray();
        var trueE = pairs.Where(p => p.TrueEnergyPerAtomEv is not null).Select(p => p.TrueEnergyPerAtomEv!.Value).ToArray();
        var both = pairs.Where(p => p.GeneratedGapEv is not null && p.TrueGapEv is not null).ToList();
        bool In(double gap) => Math.Abs(gap - targetGapEv) <= Window;
        double? Pct(int count, int of) => of == 0 ? null : 100.0 * count / of;
        return new PostSimulationMetrics(
            genGaps.Length > 0 && trueGaps.Length > 0 ? Wasserstein1(genGaps, trueGaps) : null,
            genE.Length > 0 && trueE.Length > 0 ? Wasserstein1(genE, trueE) : null,
            Pct(both.Count(p => In(p.GeneratedGapEv!.Value)), both.Count),
            Pct(both.Count(p => In(p.GeneratedGapEv!.Value) && !In(p.TrueGapEv!.Value)), both.Count),
            Pct(genGaps.Length, pairs.Count),
            pairs.Count,
            genGaps.Length == 0 ? null : genGaps.Average(),
            genE.Length == 0 ? null : genE.Average(),
            Pct(both.Count(p => In(p.TrueGapEv!.Value)), both.Count));
    }

    /// <summary>
    /// The 1-D Wasserstein (earth mover's) distance between two empirical distributions with equal weights per
    /// sample, ∫ |F_a(x) − F_b(x)| dx (scipy.stats.wasserstein_distance).
    /// </summary>
    public static double Wasserstein1(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count == 0 || b.Count == 0) throw new ArgumentException("both samples need at least one value");
        var sa = a.OrderBy(x => x).ToArray();
        var sb = b.OrderBy(x => x).ToArray();
        var all = sa.Concat(sb).OrderBy(x => x).ToArray();
        double distance = 0;
        int ia = 0, ib = 0;
        for (int k = 0; k < all.Length - 1; k++)
        {
            // CDFs just right of all[k]: the share of each sample <= all[k].
            while (ia < sa.Length && sa[ia] <= all[k]) ia++;
            while (ib < sb.Length && sb[ib] <= all[k]) ib++;
            distance += Math.Abs((double)ia / sa.Length - (double)ib / sb.Length) * (all[k + 1] - all[k]);
        }
        return distance;
    }

    /// <summary>
    /// <paramref name="n"/> of <paramref name="candidates"/> chosen reproducibly by <paramref name="seed"/> (a seeded
    /// shuffle, then the first n, kept in input order); all of them when n is larger.
    /// </summary>
    public static IReadOnlyList<T> Choose<T>(IReadOnlyList<T> candidates, int n, ulong seed)
    {
        if (n >= candidates.Count) return candidates;
        var order = Enumerable.Range(0, candidates.Count).ToArray();
        var rng = new SplitMix64(seed);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order.Take(n).OrderBy(i => i).Select(i => candidates[i]).ToList();
    }
}
