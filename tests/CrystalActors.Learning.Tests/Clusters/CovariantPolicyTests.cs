using CrystalActors.Crystals;
using CrystalActors.Learning.Clusters;
using CrystalActors.Learning.Environments.Clusters;
using CrystalActors.Models.Clusters;
using CrystalActors.Torch;
using CrystalActors.Torch.Nn;

namespace CrystalActors.Learning.Tests.Clusters;

/// <summary>Real spherical harmonics, the rotation covariance of the actor-critic, and a PPO smoke run.</summary>
public class CovariantPolicyTests
{
    private static readonly Element Ga = Element.FromSymbol("Ga");

    private static Mat3 Rotation(double ax, double ay, double az)
    {
        var rx = new Mat3(1, 0, 0, 0, Math.Cos(ax), -Math.Sin(ax), 0, Math.Sin(ax), Math.Cos(ax));
        var ry = new Mat3(Math.Cos(ay), 0, Math.Sin(ay), 0, 1, 0, -Math.Sin(ay), 0, Math.Cos(ay));
        var rz = new Mat3(Math.Cos(az), -Math.Sin(az), 0, Math.Sin(az), Math.Cos(az), 0, 0, 0, 1);
        return rz * ry * rx;
    }

    private static Molecule Ga5() => new(Enumerable.Repeat(Ga, 5),
        [new(0, 0, 0), new(2.61, 0.1, -0.05), new(1.2, 2.3, 0.2), new(1.4, 0.9, 2.2), new(-0.9, 1.8, 1.7)]);

    private static double Legendre(int l, double x)
    {
        double p0 = 1, p1 = x;
        if (l == 0) return p0;
        for (int k = 2; k <= l; k++) (p0, p1) = (p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k);
        return p1;
    }

    [Fact]
    public void RealSphericalHarmonics_DegreeOne_IsTheNormalisedCartesianDirection()
    {
        var y = RealSphericalHarmonics.Evaluate(new Vec3(0.3, -1.2, 0.7), 1);
        var u = new Vec3(0.3, -1.2, 0.7) / new Vec3(0.3, -1.2, 0.7).Length;
        double k = Math.Sqrt(3 / (4 * Math.PI));
        Assert.Equal(0.5 / Math.Sqrt(Math.PI), y[0], 12);
        Assert.Equal(k * u.Y, y[1], 12); // m = −1
        Assert.Equal(k * u.Z, y[2], 12); // m = 0
        Assert.Equal(k * u.X, y[3], 12); // m = +1
    }

    [Fact]
    public void RealSphericalHarmonics_AdditionTheorem_HoldsForEveryDegree()
    {
        var rng = new Random(4);
        for (int trial = 0; trial < 20; trial++)
        {
            var u = ClusterEnvironment.RandomUnitVector(rng);
            var v = ClusterEnvironment.RandomUnitVector(rng);
            var yu = RealSphericalHarmonics.Evaluate(u, 6);
            var yv = RealSphericalHarmonics.Evaluate(v, 6);
            for (int l = 0; l <= 6; l++)
            {
                double s = 0;
                for (int m = -l; m <= l; m++) s += yu[l * l + l + m] * yv[l * l + l + m];
                Assert.Equal((2 * l + 1) / (4 * Math.PI) * Legendre(l, u.Dot(v)), s, 10);
            }
        }
    }

    [Fact]
    public void RealSphericalHarmonics_AreOrthonormalOnTheSphere()
    {
        var grid = RealSphericalHarmonics.FibonacciSphere(20_000);
        int n = RealSphericalHarmonics.Count(4);
        var gram = new double[n, n];
        foreach (var p in grid)
        {
            var y = RealSphericalHarmonics.Evaluate(p, 4);
            for (int a = 0; a < n; a++)
                for (int b = 0; b < n; b++) gram[a, b] += y[a] * y[b] * 4 * Math.PI / grid.Length;
        }
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++) Assert.Equal(a == b ? 1.0 : 0.0, gram[a, b], 3);
    }

    /// <summary>A policy whose direction head is scaled up, so the direction density is far from uniform.</summary>
    private static CovariantActorCritic PeakedPolicy(CovariantPolicyOptions? options = null, double scale = 3.0)
    {
        Torch.Torch.ManualSeed(11);
        var policy = new CovariantActorCritic(options ?? new CovariantPolicyOptions(), new PlacementRules());
        using (NoGradScope.Enter())
            foreach (var (name, p) in policy.NamedParameters().Where(kv => kv.Key.StartsWith("direction.")))
                p.Mul_(scale);
        return policy;
    }

    [Fact]
    public void Policy_RotatedCanvas_RotatesThePlacementDistribution()
    {
        using var policy = PeakedPolicy();
        var canvas = Ga5();
        var obs = ClusterObservation.Build(canvas, 1.0, policy.Options);
        var actions = policy.Act([obs, obs, obs, obs], new Random(1));
        var r = Rotation(0.7, -1.3, 2.9);
        var rotated = canvas.Transformed(r).Translated(new Vec3(3, -1, 2));
        var robs = ClusterObservation.Build(rotated, 1.0, policy.Options);
        foreach (var a in actions)
        {
            double lp = policy.LogProbability(obs, a);
            Assert.Equal(a.LogProb, lp, 4); // the sampler's log-probability equals the evaluated one
            var ra = a with { Direction = r * a.Direction, Position = rotated.Positions[a.Focus] + a.Distance * (r * a.Direction) };
            Assert.Equal(lp, policy.LogProbability(robs, ra), 3);
            // the new atom lands at the rotated (and translated) position
            Assert.True((r * a.Position + new Vec3(3, -1, 2)).ApproxEquals(ra.Position, 1e-9));
            // the same action WITHOUT rotating the direction has a different density: the test is not vacuous
            var wrong = a with { Direction = a.Direction };
            Assert.True(Math.Abs(policy.LogProbability(robs, wrong) - lp) > 1e-2 || a.Direction.ApproxEquals(r * a.Direction, 1e-3));
        }
    }

    [Fact]
    public void Policy_Density_IntegratesToOneOverFocusDistanceAndDirection()
    {
        using var policy = PeakedPolicy(new CovariantPolicyOptions { DistanceBins = 4, SphereGrid = 1024 }, scale: 5.0);
        var obs = ClusterObservation.Build(Ga5(), 1.0, policy.Options);
        var grid = RealSphericalHarmonics.FibonacciSphere(1501); // not the policy's own grid
        double total = 0, range = 0;
        using var scope = DisposeScope.Open();
        using var ng = NoGradScope.Enter();
        for (int f = 0; f < obs.NumAtoms; f++)
            for (int bin = 0; bin < policy.Options.DistanceBins; bin++)
            {
                double d = policy.Rules.MinDistance + policy.BinWidth * (bin + 0.5);
                var acts = grid.Select(u => new ClusterAction(f, bin, d, u, Vec3.Zero, 0, 0)).ToArray();
                var lp = policy.Evaluate(Enumerable.Repeat(obs, grid.Length).ToArray(), acts).LogProb.To(ScalarType.Float64).ToArray<double>();
                range = Math.Max(range, lp.Max() - lp.Min());
                // ∫ π dΩ over the bin's width w: Σ_u exp(log π) (4π/K) · w
                total += lp.Sum(Math.Exp) * 4 * Math.PI / grid.Length * policy.BinWidth;
            }
        Assert.Equal(1.0, total, 3);
        Assert.True(range > 0.5, $"direction log-density range {range}: the density should not be uniform");
    }

    [Fact]
    public void Policy_ActAndEvaluate_LeaveNoLiveTensors()
    {
        using var policy = PeakedPolicy(new CovariantPolicyOptions { Hidden = 16, SphereGrid = 256 });
        var obs = ClusterObservation.Build(Ga5(), 1.0, policy.Options);
        policy.Act([obs], new Random(0)); // warm-up
        long before = Torch.Torch.LiveTensors;
        var a = policy.Act([obs, obs], new Random(1));
        policy.LogProbability(obs, a[0]);
        using (var scope = DisposeScope.Open()) policy.Evaluate([obs, obs], a).LogProb.Sum().Backward();
        policy.ZeroGrad();
        Assert.Equal(before, Torch.Torch.LiveTensors);
    }

    [Fact]
    public void Ppo_Lj6FromSquareSeed_MeanReturnImproves()
    {
        // LJ with σ = 2.5 Å (pair minimum 2.81 Å, inside the default 2.0–3.6 Å rules); seed = a square of 4 atoms
        double rm = Math.Pow(2, 1.0 / 6) * 2.5;
        var seed = new Molecule(Enumerable.Repeat(Ga, 4), [new(0, 0, 0), new(rm, 0, 0), new(0, rm, 0), new(rm, rm, 0)]);
        var potential = new CountingPotential(new LennardJonesPotential(sigma: 2.5));
        var stats = new List<PpoIterationStats>();
        using var ppo = new ClusterPpo(new ClusterPpoOptions { EpisodesPerIteration = 16, LearningRate = 3e-3, Policy = new CovariantPolicyOptions { Hidden = 32, SphereGrid = 512 } },
            new PlacementRules(), seed: 3);
        var done = ppo.Train(potential, seed, [Ga, Ga], new ClusterEnvironmentOptions(), budget: 16 * 2 * 25 + 2, onIteration: stats.Add);
        Assert.True(stats.Count >= 20);
        Assert.True(potential.Evaluations <= 16 * 2 * 25 + 2);
        double early = stats.Take(5).Average(s => s.MeanReturn), late = stats.TakeLast(5).Average(s => s.MeanReturn);
        Assert.True(late > early + 0.3, $"mean return {early:F3} → {late:F3}");
        Assert.NotEmpty(done);
    }
}
