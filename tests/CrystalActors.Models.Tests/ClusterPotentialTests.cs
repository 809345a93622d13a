using CrystalActors.Crystals;
using CrystalActors.Models.Clusters;
using CrystalActors.Models.M3gnet;
using CrystalActors.Models.Relaxation;

namespace CrystalActors.Models.Tests;

/// <summary>Energy models of clusters in free space: Lennard-Jones (the test double), M3GNet without periodic images
/// (equal to the periodic code in a vacuum box), and FIRE without a cell filter.</summary>
public class ClusterPotentialTests
{
    private static readonly Element Ga = Element.FromSymbol("Ga");

    private static Molecule Ga5() => new(Enumerable.Repeat(Ga, 5),
        [new(0, 0, 0), new(2.61, 0.1, -0.05), new(1.2, 2.3, 0.2), new(1.4, 0.9, 2.2), new(-0.9, 1.8, 1.7)]);

    [Fact]
    public void LennardJones_DimerAtMinimum_HasEnergyMinusEpsilonAndNoForce()
    {
        var lj = new LennardJonesPotential(epsilon: 2.0, sigma: 1.5);
        var r = lj.Compute(new Molecule([Ga, Ga], [Vec3.Zero, new(Math.Pow(2, 1.0 / 6) * 1.5, 0, 0)]));
        Assert.Equal(-2.0, r.Energy, 12);
        Assert.True(r.MaxForce < 1e-12);
    }

    [Fact]
    public void LennardJones_Forces_AreMinusTheNumericalGradient()
    {
        var lj = new LennardJonesPotential(sigma: 2.4);
        var m = Ga5();
        var f = lj.Compute(m).Forces;
        var x = m.FlatPositions();
        const double h = 1e-6;
        for (int k = 0; k < x.Length; k++)
        {
            var xp = (double[])x.Clone(); xp[k] += h;
            var xm = (double[])x.Clone(); xm[k] -= h;
            double g = (lj.Compute(m.WithPositions(xp)).Energy - lj.Compute(m.WithPositions(xm)).Energy) / (2 * h);
            Assert.Equal(-g, f[k], 6);
        }
    }

    [Fact]
    public void ClusterRelaxer_PerturbedLj13Icosahedron_ReachesTheKnownMinimum()
    {
        var start = ReferenceClusters.Icosahedron13(Ga, 1.2);
        var rng = new Random(7);
        start = start.WithPositions(start.FlatPositions().Select(v => v + 0.05 * (rng.NextDouble() - 0.5)).ToArray());
        var counter = new CountingPotential(new LennardJonesPotential());
        var r = new ClusterRelaxer(counter, new ClusterRelaxOptions { Fmax = 1e-4, MaxSteps = 2000 }).Relax(start);
        Assert.True(r.Converged);
        Assert.Equal(ReferenceClusters.Lj13MinimumEnergy, r.FinalEnergy, 4);
        Assert.Equal(r.Evaluations, counter.Evaluations);
        Assert.Equal(r.Steps + 1, r.Evaluations);
    }

    /// <summary>A distorted Ga6 octahedron: every pair within M3GNet's 4 Å three-body cutoff.</summary>
    private static Molecule Ga6()
    {
        const double h = 1.84; // edge ≈ 2.6 Å, diagonals ≈ 3.7 Å
        Vec3[] p = [new(h, 0, 0), new(-h, 0.05, 0), new(0.1, h, 0), new(0, -h, -0.08), new(0.03, 0, h), new(-0.06, 0.04, -h)];
        return new Molecule(Enumerable.Repeat(Ga, 6), p);
    }

    [Fact]
    public void M3gnet_ClusterInFreeSpace_EqualsPeriodicCodeInAVacuumBox()
    {
        // float64 weights, so that the comparison is not limited by float32 rounding of positions ~12 Å from the origin
        using var pot = M3gnetPotential.Load(M3gnetTestData.WeightsPath(M3gnetTestData.MpWeights), Torch.ScalarType.Float64);
        var m = Ga6();
        Assert.True(new IsomerFingerprint(m).SortedDistances[^1] < pot.Model.Config.ThreeBodyCutoff);
        var free = pot.Compute(m);
        var box = pot.Compute(m.InBox(25.0)); // 25 Å edge: the cluster (≈ 4 Å across) sees no image within the 5 Å cutoff
        Assert.Equal(box.Energy, free.Energy, 1e-9);
        for (int i = 0; i < free.Forces.Length; i++) Assert.Equal(box.Forces[i], free.Forces[i], 1e-8);
        Assert.All(free.Stress, s => Assert.Equal(0.0, s));
        Assert.True(free.MaxForce > 0.01); // a real, unrelaxed configuration: the comparison is not of zeros
        // the default float32 model agrees to float32 rounding
        using var pot32 = M3gnetPotential.Load(M3gnetTestData.WeightsPath(M3gnetTestData.MpWeights));
        Assert.Equal(box.Energy, pot32.Compute(m).Energy, 1e-4);
        Assert.Equal(box.Energy, pot32.Compute(m.InBox(25.0)).Energy, 1e-4);
    }

    /// <summary>With bonds longer than the three-body cutoff, matgl's index quirks (see ThreeBodyIndex) make the
    /// energy depend on edge order: the free-space graph (matgl's molecule order, row-major) and the box graph
    /// (pymatgen's order) then differ by ~1e-5 eV, as matgl's own two paths do.</summary>
    [Fact]
    public void M3gnet_ClusterWithLongBonds_MatchesVacuumBoxWithinTheEdgeOrderQuirk()
    {
        using var pot = M3gnetPotential.Load(M3gnetTestData.WeightsPath(M3gnetTestData.MpWeights), Torch.ScalarType.Float64);
        var m = Ga5();
        var free = pot.Compute(m);
        var box = pot.Compute(m.InBox(25.0));
        Assert.Equal(box.Energy, free.Energy, 1e-4);
        for (int i = 0; i < free.Forces.Length; i++) Assert.Equal(box.Forces[i], free.Forces[i], 1e-3);
        // forces are −∂E/∂x: a small step along them lowers the energy
        var moved = m.WithPositions(m.FlatPositions().Select((x, k) => x + 0.01 * free.Forces[k]).ToArray());
        Assert.True(pot.Compute(moved).Energy < free.Energy);
    }

    /// <summary>A graph with no edges (one atom, or atoms beyond the cutoff) once failed in the backward pass of the
    /// native AddGatheredPair (a zero-row gradient came back [n, 0]).</summary>
    [Fact]
    public void M3gnet_IsolatedAtomsWithoutEdges_HaveAFiniteEnergyAndNoForce()
    {
        using var pot = M3gnetPotential.Load(M3gnetTestData.WeightsPath(M3gnetTestData.MpWeights));
        var one = pot.Compute(new Molecule([Ga], [Vec3.Zero]));
        var two = pot.Compute(new Molecule([Ga, Ga], [Vec3.Zero, new(10, 0, 0)]));
        Assert.True(double.IsFinite(one.Energy));
        Assert.Equal(2 * one.Energy, two.Energy, 4);
        Assert.All(two.Forces, f => Assert.Equal(0.0, f));
    }

    [Fact]
    public void M3gnet_BatchOfClusters_EqualsOneAtATime()
    {
        using var pot = M3gnetPotential.Load(M3gnetTestData.WeightsPath(M3gnetTestData.MpWeights));
        var cp = new M3gnetClusterPotential(pot);
        var a = Ga5();
        var b = ReferenceClusters.Icosahedron13(Ga, 2.7);
        var batch = cp.Compute([a, b]);
        Assert.Equal(cp.Compute(a).Energy, batch[0].Energy, 4);
        Assert.Equal(cp.Compute(b).Energy, batch[1].Energy, 4);
    }

    [Fact]
    public void ClusterRelaxer_M3gnetGa5_LowersEnergyBelowForceThreshold()
    {
        using var pot = M3gnetPotential.Load(M3gnetTestData.WeightsPath(M3gnetTestData.MpWeights));
        var r = new ClusterRelaxer(new M3gnetClusterPotential(pot), new ClusterRelaxOptions { Fmax = 0.05, MaxSteps = 400 }).Relax(Ga5());
        Assert.True(r.Converged, $"not converged after {r.Steps} steps");
        Assert.True(r.FinalEnergy < r.InitialEnergy);
    }
}
