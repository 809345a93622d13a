using CrystalActors.Crystals;
using CrystalActors.Models.Graph;

namespace CrystalActors.Models.Tests;

public class GraphTests
{
    public static IEnumerable<object[]> Cases => M3gnetTestData.CaseNames();

    [Theory]
    [MemberData(nameof(Cases))]
    public void EdgesMatchMatglInPymatgenOrder(string name)
    {
        var c = M3gnetTestData.Case(name);
        var s = M3gnetTestData.ParseStructure(c.GetProperty("structure"));
        var graph = RadiusGraph.Build(s, 5.0);
        var refGraph = c.GetProperty(M3gnetTestData.MpWeights).GetProperty("graph");
        var src = refGraph.GetProperty("edges_src").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var dst = refGraph.GetProperty("edges_dst").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var img = M3gnetTestData.Flat(refGraph.GetProperty("edges_image")).Select(x => (int)x).ToArray();
        Assert.Equal(src.Length, graph.NumEdges);
        Assert.Equal(src, graph.Src);
        Assert.Equal(dst, graph.Dst);
        Assert.Equal(img, graph.Images);
    }

    [Fact]
    public void DistancesAreBondLengthsWithinCutoff()
    {
        var s = M3gnetTestData.ParseStructure(M3gnetTestData.Case("triclinic_random_LiFePO").GetProperty("structure"));
        var g = RadiusGraph.Build(s, 5.0);
        var m = s.Lattice.Matrix;
        for (int e = 0; e < g.NumEdges; e++)
        {
            var (a, b, cc) = g.Image(e);
            var d = s.Lattice.GetCartesianCoords(s.Sites[g.Dst[e]].FracCoords + new Vec3(a, b, cc)) - s.CartesianCoords[g.Src[e]];
            Assert.Equal(d.Length, g.Distances[e], 9);
            Assert.True(g.Distances[e] <= 5.0 + 1e-6 && g.Distances[e] > 0);
        }
        // every bond appears in both directions
        var set = new HashSet<(int, int, int, int, int)>();
        for (int e = 0; e < g.NumEdges; e++) set.Add((g.Src[e], g.Dst[e], g.Images[3 * e], g.Images[3 * e + 1], g.Images[3 * e + 2]));
        for (int e = 0; e < g.NumEdges; e++)
            Assert.Contains((g.Dst[e], g.Src[e], -g.Images[3 * e], -g.Images[3 * e + 1], -g.Images[3 * e + 2]), set);
    }

    [Fact]
    public void BatchOffsetsNodeIds()
    {
        var a = RadiusGraph.Build(M3gnetTestData.ParseStructure(M3gnetTestData.Case("Si_diamond_prim_a5.47").GetProperty("structure")), 5.0);
        var b = RadiusGraph.Build(M3gnetTestData.ParseStructure(M3gnetTestData.Case("NaCl_rocksalt_a5.69").GetProperty("structure")), 5.0);
        var batch = GraphBatch.Concatenate([a, b]);
        Assert.Equal(a.NumNodes + b.NumNodes, batch.NumNodes);
        Assert.Equal(a.NumEdges + b.NumEdges, batch.NumEdges);
        Assert.Equal(b.Src[5] + a.NumNodes, batch.Src[a.NumEdges + 5]);
        Assert.Equal(1, batch.EdgeGraph[a.NumEdges]);
        Assert.Equal(1, batch.NodeGraph[a.NumNodes]);
    }

    [Fact]
    public void CartesianInputGivesTheSameGraph()
    {
        var s = M3gnetTestData.ParseStructure(M3gnetTestData.Case("NaCl_2x1x1_rattled0.1_seed0").GetProperty("structure"));
        var cart = s.CartesianCoords.SelectMany(c => new[] { c.X, c.Y, c.Z }).ToArray();
        var a = RadiusGraph.Build(s, 5.0);
        var b = RadiusGraph.BuildFromCartesian(s.Lattice.Matrix, cart, 5.0);
        Assert.Equal(a.Src, b.Src);
        Assert.Equal(a.Dst, b.Dst);
        Assert.Equal(a.Images, b.Images);
    }

    [Fact]
    public void NonFiniteCoordinateIsRejectedNamingTheSite()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            RadiusGraph.Build(4.0 * Mat3.Identity, [0, 0, 0, double.NaN, 0.5, 0.5], 5.0));
        Assert.Contains("site 1", ex.Message);
    }
}

public class PointsInSpheresLimitsTests
{
    [Fact]
    public void AFractionalCoordinateOfTwoBillion_IsRefusedInsteadOfLoopingForever()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        double[] lattice = [5.6, 0, 0, 0, 5.6, 0, 0, 0, 5.6];
        double[] cart = [0, 0, 0, 2e9 * 5.6, 2.8, 2.8];
        var e = Assert.Throws<ArgumentException>(() => CrystalActors.Models.Graph.PointsInSpheres.Find(cart, lattice, 5.0));
        Assert.Contains("wrap the sites into the cell", e.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5));
    }
}
