using CrystalActors.Crystals;
using CrystalActors.Learning.Clusters;
using CrystalActors.Learning.Environments.Clusters;
using CrystalActors.Models.Clusters;
using CrystalActors.Models.Relaxation;

namespace CrystalActors.Learning.Tests.Clusters;

/// <summary>The baselines on a Lennard-Jones test double.</summary>
public class ClusterSearchTests
{
    private static readonly Element Ga = Element.FromSymbol("Ga");

    [Fact]
    public void BasinHopping_RandomLj13_FindsTheIcosahedronMinimum()
    {
        // σ = 1: a random 13-atom cluster grown with distances in [0.9, 1.4]
        var start = ClusterEnvironment.RandomCluster(Ga, 13, new PlacementRules { MinDistance = 0.9, MaxDistance = 1.4 }, new Random(1));
        var opts = new BasinHoppingOptions { Temperature = 0.8, StepSize = 0.4, Relax = new ClusterRelaxOptions { Fmax = 1e-3, MaxSteps = 1000 } };
        var r = BasinHopping.Run(new LennardJonesPotential(), start, budget: 40_000, opts, seed: 5);
        Assert.Equal(ReferenceClusters.Lj13MinimumEnergy, r.Best.Energy, 3);
        Assert.True(r.Evaluations <= 40_000);
        Assert.Equal(r.Best.Energy, r.Curve[^1].BestEnergy);
        Assert.True(r.Minima.Count > 1); // it visited other minima too
    }

    [Fact]
    public void RandomPlacementSearch_Lj4FromTriangle_FindsTheTetrahedronWithinBudget()
    {
        double rm = Math.Pow(2, 1.0 / 6);
        var tri = new Molecule([Ga, Ga, Ga], [Vec3.Zero, new(rm, 0, 0), new(rm / 2, rm * Math.Sqrt(3) / 2, 0)]);
        var r = RandomPlacementSearch.Run(new LennardJonesPotential(), tri, [Ga], new PlacementRules { MinDistance = 0.9, MaxDistance = 1.4 },
            new ClusterRelaxOptions { Fmax = 1e-4, MaxSteps = 500 }, budget: 2000, seed: 2);
        Assert.Equal(-6.0, r.Best.Energy, 4); // the LJ4 tetrahedron: 6 bonds of −ε
        Assert.True(r.Evaluations <= 2000);
    }
}
