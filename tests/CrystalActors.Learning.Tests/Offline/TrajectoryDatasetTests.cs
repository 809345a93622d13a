using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Learning.Offline;
using CrystalActors.Torch;

namespace CrystalActors.Learning.Tests.Offline;

public class TrajectoryDatasetTests
{
    internal static Mp20Record RockSalt()
    {
        const double a = 5.64; // conventional NaCl cell (Å); Na-Cl = a/2
        var lattice = new Lattice(new[] { new[] { 0, a / 2, a / 2 }, new[] { a / 2, 0, a / 2 }, new[] { a / 2, a / 2, 0.0 } });
        var species = new[] { Element.FromSymbol("Na"), Element.FromSymbol("Cl") };
        var structure = Structure.FromSpecies(lattice, species, new[] { new Vec3(0, 0, 0), new Vec3(0.5, 0.5, 0.5) }, "test-NaCl");
        return new Mp20Record
        {
            Index = 0, MaterialId = "test-NaCl", Lattice = lattice, Species = species, Structure = structure,
            BandGap = 5.0, FormationEnergyPerAtom = -2.0, SpacegroupNumber = 225,
        };
    }

    [Fact]
    public void Build_TwoAtomRockSalt_GivesTwoEpisodesOfTwoSteps()
    {
        var ds = TrajectoryDataset.Build(new[] { RockSalt() });
        Assert.Equal(1, ds.CrystalCount);
        Assert.Equal(2, ds.NumSites(0));
        Assert.Equal(new byte[] { (byte)ActionVocabulary.ActionIndexOf(Element.FromSymbol("Na")), (byte)ActionVocabulary.ActionIndexOf(Element.FromSymbol("Cl")) },
            ds.Actions(0).ToArray());
        // Start sites floor(k*2/2) = 0, 1: orders (0, 1) and (1, 0).
        Assert.Equal(2, ds.EpisodeCount);
        Assert.Equal(new byte[] { 0, 1 }, ds.Order(0).ToArray());
        Assert.Equal(new byte[] { 1, 0 }, ds.Order(1).ToArray());
        Assert.Equal(4, ds.TransitionCount);
        // Octahedral coordination: 6 Na-Cl bonds, both directions, each 2.82 Å long.
        Assert.Equal(12, ds.NumEdges(0));
        Assert.All(ds.EdgeDistance, d => Assert.Equal(2.82, d, 4));
        Assert.All(ds.EdgeFeature, f => Assert.Equal(Math.Exp(-0.5 * 2.82 * 2.82), f, 4));
        Assert.Equal(6, ds.EdgeSrc.Count(s => s == 0));
        Assert.Equal(new float[] { 5.64f / MathF.Sqrt(2), 5.64f / MathF.Sqrt(2), 5.64f / MathF.Sqrt(2), 60, 60, 60, 225 },
            ds.Globals.Select(g => MathF.Round(g, 4)).ToArray(), new ToleranceComparer(1e-3f));
    }

    [Fact]
    public void BatchBuilder_RockSaltEpisode_FillsOneSitePerStepAndRewardsOnlyTheLast()
    {
        var ds = TrajectoryDataset.Build(new[] { RockSalt() });
        var reward = new RewardOptions();
        var rewards = TransitionBatchBuilder.TerminalRewards(ds, reward);
        Assert.Equal((float)reward.Reward(-2.0, 5.0), rewards[0], 5);
        var builder = new TransitionBatchBuilder(ds, conditioned: true, 1.12, rewards);
        using var scope = DisposeScope.Open();
        var b = builder.Build(new[] { 0, 1 }); // episode 0 (order 0, 1): steps 0 and 1
        int na = ActionVocabulary.ActionIndexOf(Element.FromSymbol("Na")), cl = ActionVocabulary.ActionIndexOf(Element.FromSymbol("Cl"));
        const long U = ActionVocabulary.UnfilledNodeType, F = ActionVocabulary.FocusNodeType;
        // The site being filled is marked: state 0 fills site 0, state 1 site 1; the next state of step 0 focuses site 1,
        // the next state of the last step has no focus.
        Assert.Equal(new long[] { F, U, na, F }, b.State.NodeTypes.ToArray<long>());
        Assert.Equal(new long[] { na, F, na, cl }, b.Next.NodeTypes.ToArray<long>());
        Assert.Equal(new long[] { 0, 1 }, b.State.Focus.ToArray<long>());
        Assert.Equal(new long[] { 1, TrajectoryDataset.NoFocus }, b.Next.Focus.ToArray<long>());
        Assert.Equal(new long[] { na, cl }, b.Actions.ToArray<long>());
        Assert.Equal(new float[] { 0, 1 }, b.Dones.ToArray<float>());
        Assert.Equal(new float[] { 0, rewards[0] }, b.Rewards.ToArray<float>());
        // Second graph's edges are offset by the first graph's 2 nodes.
        var src = b.State.Graph.EdgeSrc.ToArray<long>();
        Assert.All(src.Skip(12), s => Assert.True(s >= 2));
        Assert.Equal(new long[] { 0, 0, 1, 1 }, b.State.Graph.NodeGraph.ToArray<long>());
        Assert.Equal(8, b.State.Globals.Size(1));
        Assert.Equal(1.12f, b.State.Globals.ToArray<float>()[7], 5);
    }

    [Fact]
    public void Build_TwentyAtomCrystal_FiveBreadthFirstOrdersCoverEverySite()
    {
        var record = TestData.Mp20Records(1, r => r.MaterialId == "mp-39712").Single();
        Assert.Equal(20, record.NumAtoms);
        var ds = TrajectoryDataset.Build(new[] { record });
        Assert.Equal(5, ds.EpisodeCount);
        Assert.Equal(100, ds.TransitionCount);
        var starts = new[] { 0, 4, 8, 12, 16 }; // floor(k * 20 / 5)
        for (int e = 0; e < 5; e++)
        {
            var order = ds.Order(e).ToArray();
            Assert.Equal(starts[e], order[0]);
            Assert.Equal(Enumerable.Range(0, 20), order.Select(x => (int)x).OrderBy(x => x));
        }
        // Every directed edge has its reverse with the same length; bonds are physical lengths.
        int n = ds.NumEdges(0);
        Assert.True(n > 40 && n % 2 == 0, $"{n} directed edges");
        for (int k = 0; k < n; k += 2)
        {
            Assert.Equal(ds.EdgeSrc[k], ds.EdgeDst[k + 1]);
            Assert.Equal(ds.EdgeDst[k], ds.EdgeSrc[k + 1]);
            Assert.InRange(ds.EdgeDistance[k], 1.5f, 4.5f);
        }
        // Breadth-first: each site after the first is bonded to an earlier one (the graph is connected).
        var order0 = ds.Order(0).ToArray();
        for (int t = 1; t < 20; t++)
        {
            var earlier = order0.Take(t).ToHashSet();
            bool bonded = Enumerable.Range(0, n).Any(k => ds.EdgeDst[k] == order0[t] && earlier.Contains(ds.EdgeSrc[k]));
            Assert.True(bonded, $"site {order0[t]} at step {t} has no earlier neighbour");
        }
        var species = ds.TrueSpecies(0);
        Assert.Equal(record.Species, species);
    }

    [Fact]
    public void SaveLoad_RoundTrip_KeepsEveryArray()
    {
        var ds = TrajectoryDataset.Build(new[] { RockSalt() }.Concat(TestData.Mp20Records(3, r => r.NumAtoms <= 20)).ToList());
        var path = Path.Combine(Path.GetTempPath(), $"traj-{Guid.NewGuid():N}.bin");
        try
        {
            ds.Save(path);
            var back = TrajectoryDataset.Load(path);
            Assert.Equal(ds.Ids, back.Ids);
            Assert.Equal(ds.SiteAction, back.SiteAction);
            Assert.Equal(ds.EdgeDistance, back.EdgeDistance);
            Assert.Equal(ds.Orders, back.Orders);
            Assert.Equal(ds.FracCoords, back.FracCoords);
            Assert.Equal(ds.TransitionCount, back.TransitionCount);
            File.WriteAllBytes(path, new byte[] { 1, 2, 3 });
            var ex = Assert.Throws<InvalidDataException>(() => TrajectoryDataset.Load(path));
            Assert.Contains(path, ex.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Concat_OfTwoParts_RebuildsTheWhole()
    {
        var ds = TrajectoryDataset.Build(new[] { RockSalt() }.Concat(TestData.Mp20Records(4, r => r.NumAtoms <= 20)).ToList());
        var whole = ds.Subset(c => c < 2).Concat(ds.Subset(c => c >= 2));
        Assert.Equal(ds.Ids, whole.Ids);
        Assert.Equal(ds.SiteAction, whole.SiteAction);
        Assert.Equal(ds.EdgeSrc, whole.EdgeSrc);
        Assert.Equal(ds.EdgeDistance, whole.EdgeDistance);
        Assert.Equal(ds.Orders, whole.Orders);
        Assert.Equal(ds.Globals, whole.Globals);
        Assert.Equal(ds.LatticeRows, whole.LatticeRows);
        Assert.Equal(ds.BandGap, whole.BandGap);
        Assert.Equal(ds.TransitionCount, whole.TransitionCount);
        Assert.Equal(ds.EpisodeOrderStart, whole.EpisodeOrderStart);
    }

    [Fact]
    public void BuildDftLabelled_IsTheDesignWithItsDftGap_AndItsOwnSpaceGroup()
    {
        var rockSalt = RockSalt().Structure!;
        var ds = TrajectoryDataset.BuildDftLabelled([("run-e7", rockSalt, 2.5)]);
        Assert.Equal(["run-e7"], ds.Ids);
        Assert.Equal(2.5f, ds.BandGap[0]);
        Assert.True(float.IsNaN(ds.FormationEnergyPerAtom[0])); // unknown: the caller rewards it
        Assert.Equal(rockSalt.Species, ds.TrueSpecies(0));
        Assert.Equal(225f, ds.Globals[TrajectoryDataset.GlobalCount - 1]); // Fm-3m, found by spglib
        Assert.Equal(2 * ds.OrderCount[0], ds.TransitionCount);
    }

    [Fact]
    public void Split_IsFixedByMaterialId_AndHoldsOutAboutAFifth()
    {
        var ids = Enumerable.Range(0, 5000).Select(i => $"mp-{i}").ToArray();
        int held = ids.Count(id => DatasetSplit.PartOf(id) == DatasetPart.HeldOut);
        Assert.InRange(held, 900, 1100);
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c (published test vector).
        Assert.Equal(0xaf63dc4c8601ec8cUL, DatasetSplit.Fnv1a64("a"));
    }

    private sealed class ToleranceComparer(float tol) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tol;
        public int GetHashCode(float obj) => 0;
    }
}
