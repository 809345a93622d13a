using CrystalActors.Crystals;
using CrystalActors.Learning.Environments.Clusters;
using CrystalActors.Models.Clusters;

namespace CrystalActors.Learning.Tests.Clusters;

/// <summary>The bag-and-canvas MDP: placement rules, rewards, termination, batched stepping.</summary>
public class ClusterEnvironmentTests
{
    internal static readonly Element Ga = Element.FromSymbol("Ga");
    private static readonly double RMin = Math.Pow(2, 1.0 / 6) * 2.5; // LJ dimer minimum at σ = 2.5 Å: 2.806 Å

    private static Molecule Dimer() => new([Ga, Ga], [Vec3.Zero, new(RMin, 0, 0)]);

    private static ClusterEnvironment Env(int bag, ClusterRewardMode mode = ClusterRewardMode.Delta, CountingPotential? p = null) =>
        new(p ?? new CountingPotential(new LennardJonesPotential(sigma: 2.5)), Dimer(), Enumerable.Repeat(Ga, bag).ToArray(),
            new ClusterEnvironmentOptions { RewardMode = mode, InvalidPenalty = -0.6 });

    [Theory]
    [InlineData(1.0, 0, 0, PlacementCheck.TooClose)]     // 1 Å from atom 0
    [InlineData(-5.0, 0, 0, PlacementCheck.TooFar)]      // 5 Å from the nearest atom
    [InlineData(-2.8, 0, 0, PlacementCheck.Valid)]
    public void Step_PlacementRules_AcceptOrRejectWithPenalty(double x, double y, double z, PlacementCheck expected)
    {
        var env = Env(2);
        var s = env.Step(new Vec3(x, y, z));
        Assert.Equal(expected, s.Check);
        if (expected == PlacementCheck.Valid)
        {
            Assert.False(s.Done);
            Assert.Equal(3, env.Canvas.NumAtoms);
            Assert.Single(env.Bag);
        }
        else
        {
            Assert.True(s.Done);
            Assert.Equal(-0.6, s.Reward);
            Assert.Null(s.Energy);
            Assert.Equal(2, env.Canvas.NumAtoms); // rejected: the canvas is unchanged
        }
    }

    [Fact]
    public void Step_EquilateralTriangle_RewardIsTheBindingEnergyOfTheNewAtom()
    {
        var env = Env(1);
        var apex = new Vec3(RMin / 2, RMin * Math.Sqrt(3) / 2, 0);
        var s = env.Step(apex);
        Assert.True(s.Done); // the bag is empty
        // two new bonds at the pair minimum (−ε each) plus the far-field nothing: ΔE = −2ε, reward +2ε
        Assert.Equal(2.0, s.Reward, 10);
        Assert.Equal(-3.0, s.Energy!.Value, 10);
        Assert.Throws<InvalidOperationException>(() => env.Step(apex));
        env.Reset();
        Assert.Equal(2, env.Canvas.NumAtoms);
    }

    [Fact]
    public void Step_FinalRewardMode_GivesTheSameReturnAsDelta()
    {
        Vec3[] moves = [new(RMin / 2, RMin * Math.Sqrt(3) / 2, 0), new(RMin / 2, RMin * Math.Sqrt(3) / 6, RMin * Math.Sqrt(2.0 / 3))];
        double Return(ClusterRewardMode mode)
        {
            var env = Env(2, mode);
            return moves.Sum(m => env.Step(m).Reward);
        }
        var finalEnv = Env(2, ClusterRewardMode.Final);
        Assert.Equal(0.0, finalEnv.Step(moves[0]).Reward);
        Assert.Equal(Return(ClusterRewardMode.Delta), Return(ClusterRewardMode.Final), 10);
        Assert.Equal(5.0, Return(ClusterRewardMode.Delta), 10); // tetrahedron: 6 bonds − 1 in the seed
    }

    [Fact]
    public void StepAll_BatchOfEnvironments_OneEnergyEvaluationPerValidPlacement()
    {
        var p = new CountingPotential(new LennardJonesPotential(sigma: 2.5));
        var envs = Enumerable.Range(0, 3).Select(_ => Env(1, p: p)).ToArray();
        long before = p.Evaluations;
        var steps = ClusterEnvironment.StepAll(envs, [new(-2.8, 0, 0), new(0.5, 0, 0), new(RMin + 2.8, 0, 0)]);
        Assert.Equal(2, p.Evaluations - before);
        Assert.Equal([PlacementCheck.Valid, PlacementCheck.TooClose, PlacementCheck.Valid], steps.Select(s => s.Check));
        Assert.Equal(steps[0].Reward, steps[2].Reward, 10); // mirror-image placements
    }

    [Fact]
    public void RandomCluster_AlwaysSatisfiesThePlacementRules()
    {
        var rules = new PlacementRules();
        var m = ClusterEnvironment.RandomCluster(Ga, 13, rules, new Random(3));
        Assert.Equal(13, m.NumAtoms);
        for (int i = 0; i < m.NumAtoms; i++)
        {
            double nearest = Enumerable.Range(0, m.NumAtoms).Where(j => j != i).Min(j => m.Distance(i, j));
            Assert.InRange(nearest, rules.MinDistance, rules.MaxDistance);
        }
    }
}
