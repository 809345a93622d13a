using CrystalActors.Crystals;
using CrystalActors.Learning.Environments.Clusters;
using CrystalActors.Models.Clusters;
using CrystalActors.Models.Relaxation;

namespace CrystalActors.Learning.Clusters;

/// <summary>
/// The RL agent as a search at an energy-evaluation budget: PPO on the bag-and-canvas environment for
/// <c>trainFraction</c> of the budget (one single point per placement), then the distinct final clusters it built
/// (fingerprint-deduplicated, lowest energy first) are relaxed with FIRE until the budget is spent.
/// </summary>
public static class RlPlacementSearch
{
    public static ClusterSearchResult Run(IClusterPotential potential, Molecule seedCluster, IReadOnlyList<Element> bag,
        ClusterEnvironmentOptions envOptions, ClusterPpoOptions ppoOptions, ClusterRelaxOptions relax, long budget, double trainFraction,
        int seed, double isomerTolerance = 0.05, Action<PpoIterationStats>? onIteration = null, double? isomerEnergyTolerance = null)
    {
        var counter = new CountingPotential(potential);
        var curve = new List<SearchPoint>();
        List<CompletedEpisode> episodes;
        using (var ppo = new ClusterPpo(ppoOptions, envOptions.Rules, seed))
        {
            episodes = ppo.Train(counter, seedCluster, bag, envOptions, (long)(trainFraction * budget), s =>
            {
                onIteration?.Invoke(s);
            }).ToList();
        }
        // distinct unrelaxed candidates, lowest first
        var candidates = new IsomerSet(isomerTolerance, isomerEnergyTolerance);
        foreach (var e in episodes) candidates.Add(e.Cluster, e.Energy);
        var b = new Budget(counter, budget);
        var minima = new IsomerSet(isomerTolerance, isomerEnergyTolerance);
        double best = double.PositiveInfinity;
        foreach (var c in candidates.Isomers)
        {
            var r = b.Relax(relax, c.Molecule);
            if (r is null) break;
            if (!double.IsFinite(r.FinalEnergy)) continue;
            minima.Add(r.Final, r.FinalEnergy);
            best = Math.Min(best, r.FinalEnergy);
            curve.Add(new(counter.Evaluations, best));
        }
        if (minima.Count == 0) throw new InvalidOperationException($"the agent built no valid cluster within {budget} evaluations");
        return new ClusterSearchResult("rl", minima, counter.Evaluations, curve) { Candidates = candidates.Count, Episodes = episodes.Count };
    }
}
