using CrystalActors.Crystals;
using CrystalActors.Crystals.Neighbors;

namespace CrystalActors.Learning.Environments.Skeletons;

/// <summary>The best design found by <see cref="OptimumSearch"/>.</summary>
public sealed record OptimumResult(
    double Reward, double GapEv, string Formula, IReadOnlyList<string> Species,
    int SiteClasses, long ClassAssignments, bool ExhaustiveOverClasses, long Evaluated);

/// <summary>
/// The best terminal reward reachable on a design task under a fixed gap model: the yardstick of the
/// pipeline paper's Exp. 1 ("the greedy policy reaches the optimum"). The space (|vocabulary|^sites, 21^10 for
/// the default skeleton) is too large to enumerate, so the search runs in two stages:
/// <list type="number">
/// <item>every assignment that gives one element to each class of equivalent sites (sites whose sorted
/// neighbour distances agree: symmetry-equivalent sites always do), exhaustively when there are at most
/// <c>maxClassAssignments</c> of them, else a seeded uniform sample of that many;</item>
/// <item>from the best few, steepest-ascent local search over single-site changes until no change improves.</item>
/// </list>
/// The gap reward is bounded by 1, so stage 1 stops early once a design reaches it within <see cref="BoundTolerance"/>.
/// Crystals with more than <see cref="OnlineReward.MaxDistinctElements"/> elements are never candidates (their reward is
/// the penalty). Pure: the gap model is a function from assignments (vocabulary index per site) to gaps.
/// </summary>
public static class OptimumSearch
{
    /// <summary>Rewards within this of the upper bound 1 end the search early.</summary>
    public const double BoundTolerance = 1e-6;

    public static OptimumResult Run(
        DesignTask task, Func<IReadOnlyList<int[]>, double[]> gapsOf, double beta,
        long maxClassAssignments = 200_000, int localStarts = 8, int seed = 0, int batchSize = 2048, Action<string>? progress = null)
    {
        int sites = task.Skeleton.NumSites, v = task.Vocabulary.Count;
        var classOf = SiteClasses(task.Skeleton.Lattice, task.Skeleton.FracCoords);
        int k = classOf.Max() + 1;
        double total = Math.Pow(v, k);
        bool exhaustive = total <= maxClassAssignments;
        long count = exhaustive ? (long)total : maxClassAssignments;
        long evaluated = 0;
        var top = new List<(double Reward, double Gap, int[] Assignment)>();

        double Reward(double gap) => OnlineReward.GapReward(gap, task.TargetGapEv, beta);
        static bool Eligible(int[] a) => a.Distinct().Count() <= OnlineReward.MaxDistinctElements;

        void Evaluate(List<int[]> candidates)
        {
            if (candidates.Count == 0) return;
            var gaps = gapsOf(candidates);
            evaluated += candidates.Count;
            for (int i = 0; i < candidates.Count; i++)
            {
                double r = Reward(gaps[i]);
                if (top.Count < localStarts || r > top[^1].Reward)
                {
                    top.Add((r, gaps[i], candidates[i]));
                    top.Sort((x, y) => y.Reward.CompareTo(x.Reward));
                    if (top.Count > localStarts) top.RemoveAt(top.Count - 1);
                }
            }
        }

        // Stage 1: one element per site class.
        var rng = new Random(seed);
        var pending = new List<int[]>(batchSize);
        var perClass = new int[k];
        for (long n = 0; n < count; n++)
        {
            if (exhaustive)
            {
                long x = n;
                for (int c = 0; c < k; c++, x /= v) perClass[c] = (int)(x % v);
            }
            else
            {
                for (int c = 0; c < k; c++) perClass[c] = rng.Next(v);
            }
            var assignment = new int[sites];
            for (int s = 0; s < sites; s++) assignment[s] = perClass[classOf[s]];
            if (!Eligible(assignment)) continue;
            pending.Add(assignment);
            if (pending.Count == batchSize)
            {
                Evaluate(pending);
                pending = new List<int[]>(batchSize);
                progress?.Invoke($"class assignments: {n + 1}/{count}, best reward {top[0].Reward:F4}");
                // The gap reward is at most 1 (gap exactly on target): nothing can beat a design that reaches it.
                if (top[0].Reward >= 1 - BoundTolerance) break;
            }
        }
        Evaluate(pending);

        // Stage 2: steepest ascent over single-site changes from each of the best starts.
        var best = top[0];
        foreach (var start in top.ToList())
        {
            var current = start;
            while (true)
            {
                var neighbours = new List<int[]>();
                for (int s = 0; s < sites; s++)
                    for (int e = 0; e < v; e++)
                    {
                        if (e == current.Assignment[s]) continue;
                        var a = (int[])current.Assignment.Clone();
                        a[s] = e;
                        if (Eligible(a)) neighbours.Add(a);
                    }
                var gaps = gapsOf(neighbours);
                evaluated += neighbours.Count;
                int arg = -1;
                double argReward = current.Reward;
                for (int i = 0; i < neighbours.Count; i++)
                {
                    double r = Reward(gaps[i]);
                    if (r > argReward + 1e-12) (arg, argReward) = (i, r);
                }
                if (arg < 0) break;
                current = (argReward, gaps[arg], neighbours[arg]);
            }
            if (current.Reward > best.Reward) best = current;
            progress?.Invoke($"local search from a start of reward {start.Reward:F4}: {current.Reward:F4}");
        }

        var species = best.Assignment.Select(i => task.Vocabulary[i]).ToArray();
        var formula = Composition.FromSpecies(species).ReducedFormula;
        return new OptimumResult(best.Reward, best.Gap, formula, species.Select(e => e.Symbol).ToArray(), k, (long)Math.Min(total, long.MaxValue),
            exhaustive, evaluated);
    }

    /// <summary>
    /// Classes of sites with the same environment: the sorted distances to all neighbours within <paramref name="cutoff"/>
    /// (Å), compared to <paramref name="tolerance"/>. Symmetry-equivalent sites always share a class; class ids are
    /// 0, 1, ... in order of first site.
    /// </summary>
    public static int[] SiteClasses(Lattice lattice, IReadOnlyList<Vec3> fracCoords, double cutoff = 6.0, double tolerance = 1e-3)
    {
        var neighbours = NeighborSearch.FindNeighbors(lattice, fracCoords.ToArray(), cutoff);
        var distances = Enumerable.Range(0, fracCoords.Count).Select(_ => new List<double>()).ToArray();
        for (int i = 0; i < neighbours.Count; i++) distances[neighbours.Centers[i]].Add(neighbours.Distances[i]);
        foreach (var d in distances) d.Sort();
        var classOf = new int[fracCoords.Count];
        var representatives = new List<List<double>>();
        for (int s = 0; s < fracCoords.Count; s++)
        {
            int c = representatives.FindIndex(r => r.Count == distances[s].Count && r.Zip(distances[s], (a, b) => Math.Abs(a - b) <= tolerance).All(close => close));
            if (c < 0)
            {
                c = representatives.Count;
                representatives.Add(distances[s]);
            }
            classOf[s] = c;
        }
        return classOf;
    }
}
