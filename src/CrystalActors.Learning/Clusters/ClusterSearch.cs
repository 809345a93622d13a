using CrystalActors.Crystals;
using CrystalActors.Learning.Environments.Clusters;
using CrystalActors.Models.Clusters;
using CrystalActors.Models.Relaxation;

namespace CrystalActors.Learning.Clusters;

/// <summary>One point of a search's learning curve: energy evaluations spent so far and the lowest energy found.</summary>
public readonly record struct SearchPoint(long Evaluations, double BestEnergy);

/// <summary>What a cluster search found: the distinct relaxed minima (lowest first), the evaluations spent and the
/// best-so-far curve.</summary>
public sealed record ClusterSearchResult(string Method, IsomerSet Minima, long Evaluations, IReadOnlyList<SearchPoint> Curve)
{
    public Isomer Best => Minima.Isomers[0];
    /// <summary>RL only: valid episodes built and distinct unrelaxed candidates among them.</summary>
    public int Episodes { get; init; }
    public int Candidates { get; init; }
}

/// <summary>Shared budget bookkeeping: every energy evaluation (single point or FIRE step) counts, and a relaxation is
/// cut short so that the total never exceeds the budget.</summary>
internal sealed class Budget(CountingPotential potential, long limit)
{
    public CountingPotential Potential { get; } = potential;
    public long Limit { get; } = limit;
    public long Remaining => Limit - Potential.Evaluations;
    public bool Exhausted => Remaining <= 0;

    public ClusterRelaxation? Relax(ClusterRelaxOptions options, Molecule start)
    {
        if (Remaining < 1) return null;
        var o = options with { MaxSteps = (int)Math.Min(options.MaxSteps, Remaining - 1) };
        return new ClusterRelaxer(Potential, o).Relax(start);
    }
}

/// <summary>Settings of <see cref="BasinHopping"/>.</summary>
public sealed record BasinHoppingOptions
{
    /// <summary>Metropolis temperature kT in energy units (default 0.1 eV; use ~0.8 ε for Lennard-Jones).</summary>
    public double Temperature { get; init; } = 0.1;
    /// <summary>Each hop displaces every atom uniformly in a cube of half-width this (Å; default 0.4).</summary>
    public double StepSize { get; init; } = 0.4;
    public ClusterRelaxOptions Relax { get; init; } = new();
    /// <summary>Distance tolerance of the isomer fingerprint (Å; default 0.05).</summary>
    public double IsomerTolerance { get; init; } = 0.05;
    /// <summary>Energy tolerance of the isomer test (eV; default none).</summary>
    public double? IsomerEnergyTolerance { get; init; }
}

/// <summary>
/// Basin hopping (Wales &amp; Doye 1997): relax the start, then repeatedly displace all atoms at random, relax with FIRE
/// and accept the new minimum by the Metropolis rule at temperature kT, until the energy-evaluation budget is spent.
/// Every minimum visited goes into the isomer set.
/// </summary>
public static class BasinHopping
{
    public static ClusterSearchResult Run(IClusterPotential potential, Molecule start, long budget, BasinHoppingOptions options, int seed)
    {
        var rng = new Random(seed);
        var budgetT = new Budget(new CountingPotential(potential), budget);
        var minima = new IsomerSet(options.IsomerTolerance, options.IsomerEnergyTolerance);
        var curve = new List<SearchPoint>();
        var r0 = budgetT.Relax(options.Relax, start) ?? throw new ArgumentException("a budget of at least one evaluation is needed", nameof(budget));
        var current = r0.Final;
        double eCur = r0.FinalEnergy, best = eCur;
        minima.Add(current, eCur);
        curve.Add(new(budgetT.Potential.Evaluations, best));
        while (!budgetT.Exhausted)
        {
            var x = current.FlatPositions();
            for (int i = 0; i < x.Length; i++) x[i] += options.StepSize * (2 * rng.NextDouble() - 1);
            var r = budgetT.Relax(options.Relax, current.WithPositions(x));
            if (r is null) break;
            double e = r.FinalEnergy;
            if (!double.IsFinite(e)) continue;
            minima.Add(r.Final, e);
            if (e < eCur || rng.NextDouble() < Math.Exp(-(e - eCur) / options.Temperature))
            {
                current = r.Final.Centered();
                eCur = e;
            }
            best = Math.Min(best, e);
            curve.Add(new(budgetT.Potential.Evaluations, best));
        }
        return new ClusterSearchResult("basin-hopping", minima, budgetT.Potential.Evaluations, curve);
    }
}

/// <summary>
/// Random placement search: the seed plus one bag atom at a uniformly random valid position
/// (<see cref="ClusterEnvironment.RandomValidPosition"/>, repeated for every bag atom), relaxed with FIRE; repeated
/// until the energy-evaluation budget is spent.
/// </summary>
public static class RandomPlacementSearch
{
    public static ClusterSearchResult Run(IClusterPotential potential, Molecule seedCluster, IReadOnlyList<Element> bag, PlacementRules rules,
        ClusterRelaxOptions relax, long budget, int seed, double isomerTolerance = 0.05, double? isomerEnergyTolerance = null)
    {
        var rng = new Random(seed);
        var b = new Budget(new CountingPotential(potential), budget);
        var minima = new IsomerSet(isomerTolerance, isomerEnergyTolerance);
        var curve = new List<SearchPoint>();
        double best = double.PositiveInfinity;
        while (!b.Exhausted)
        {
            var m = seedCluster;
            foreach (var e in bag) m = m.WithAtom(e, ClusterEnvironment.RandomValidPosition(m, rules, rng));
            var r = b.Relax(relax, m);
            if (r is null) break;
            if (!double.IsFinite(r.FinalEnergy)) continue;
            minima.Add(r.Final, r.FinalEnergy);
            best = Math.Min(best, r.FinalEnergy);
            curve.Add(new(b.Potential.Evaluations, best));
        }
        return new ClusterSearchResult("random", minima, b.Potential.Evaluations, curve);
    }
}
