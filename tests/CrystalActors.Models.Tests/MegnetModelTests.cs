using CrystalActors.Models.Megnet;
using CrystalActors.Torch;

namespace CrystalActors.Models.Tests.Megnet;

public sealed class MegnetModelTests
{
    private static MegnetGraph QGraph(int nodes, int edges, int seed, int focus)
    {
        var rng = new Random(seed);
        var src = new int[edges];
        var dst = new int[edges];
        for (int e = 0; e < edges; e++) { src[e] = rng.Next(nodes); dst[e] = rng.Next(nodes); }
        return new MegnetGraph
        {
            NumNodes = nodes,
            NodeTypes = Enumerable.Range(0, nodes).Select(_ => rng.Next(90)).ToArray(),
            Src = src,
            Dst = dst,
            Distances = Enumerable.Range(0, edges).Select(_ => (float)(1.5 + 3 * rng.NextDouble())).ToArray(),
            StateIndex = focus,
            StateFeatures = Enumerable.Range(0, 8).Select(_ => (float)rng.NextDouble()).ToArray(),
        };
    }

    [Fact]
    public void CrystalDesignQNetwork_HasThePapersLayerShapes()
    {
        Torch.Torch.ManualSeed(0);
        using var model = new MegnetModel(MegnetConfig.CrystalDesignQNetwork());
        var sd = model.StateDict();
        long[] Shape(string name) => sd[name].Shape;
        Assert.Equal(new long[] { 90, 16 }, Shape("embedding.layer_node_embedding.weight")); // 88 elements, unfilled, focus
        Assert.Equal(new long[] { 21, 8 }, Shape("embedding.layer_state_embedding.weight"));
        Assert.Equal(new long[] { 64, 1 }, Shape("edge_encoder.layers.0.weight"));
        Assert.Equal(new long[] { 64, 16 }, Shape("node_encoder.layers.0.weight"));
        Assert.Equal(new long[] { 64, 16 }, Shape("state_encoder.layers.0.weight"));
        Assert.False(sd.ContainsKey("blocks.0.edge_func.layers.0.weight")); // first block: no dense pre-layers
        Assert.Equal(new long[] { 64, 32 }, Shape("blocks.1.edge_func.layers.0.weight"));
        Assert.Equal(new long[] { 64, 128 }, Shape("blocks.2.conv.edge_func.layers.0.weight"));
        Assert.Equal(new long[] { 32, 160 }, Shape("output_proj.layers.0.weight"));
        Assert.Equal(new long[] { 88, 16 }, Shape("output_proj.layers.4.weight"));
    }

    [Fact]
    public void CrystalDesignQNetwork_EdgeFeatureIsOneGaussianAtZero()
    {
        using var model = new MegnetModel(MegnetConfig.CrystalDesignQNetwork());
        using var d = Tensor.From(new[] { 0f, 1f, 2.5f }, 3);
        using var a = model.ExpandDistances(d);
        Assert.Equal(new long[] { 3, 1 }, a.Shape);
        var v = a.ToArray<float>();
        Assert.Equal(1.0, v[0], 6);
        Assert.Equal(Math.Exp(-0.5), v[1], 6);
        Assert.Equal(Math.Exp(-0.5 * 6.25), v[2], 6);
    }

    [Fact]
    public void Forward_ManyGraphsInOneBatch_EqualsOneGraphAtATime()
    {
        Torch.Torch.ManualSeed(1);
        using var model = new MegnetModel(MegnetConfig.CrystalDesignQNetwork());
        // Includes a graph without edges (an isolated site): its edge readout must be zero, not NaN.
        var graphs = new[] { QGraph(5, 30, 1, 0), QGraph(14, 110, 2, 7), QGraph(1, 0, 3, 20), QGraph(3, 9, 4, 2) };
        using var noGrad = NoGradScope.Enter();
        using var batch = MegnetGraphBatch.Create(graphs);
        using var all = model.Forward(batch);
        Assert.Equal(new long[] { 4, 88 }, all.Shape);
        var together = all.ToArray<float>();
        for (int g = 0; g < graphs.Length; g++)
        {
            using var one = MegnetGraphBatch.Create(new[] { graphs[g] });
            using var y = model.Forward(one);
            var alone = y.ToArray<float>();
            for (int k = 0; k < 88; k++)
            {
                Assert.False(float.IsNaN(alone[k]));
                Assert.Equal(alone[k], together[g * 88 + k], 4);
            }
        }
    }

    [Fact]
    public void Forward_GradientsReachEveryParameter()
    {
        Torch.Torch.ManualSeed(2);
        using var model = new MegnetModel(MegnetConfig.CrystalDesignQNetwork());
        using var scope = DisposeScope.Open();
        using var batch = MegnetGraphBatch.Create(new[] { QGraph(6, 40, 5, 3), QGraph(4, 20, 6, 1) });
        var q = model.Forward(batch);
        q.Sum().Backward();
        foreach (var (name, p) in model.NamedParameters())
        {
            using var grad = p.Grad;
            Assert.True(grad is not null, $"{name} has no gradient");
            if (name.StartsWith("embedding.")) continue; // only the rows that were looked up are non-zero
            Assert.True(grad!.Abs().Sum().Item() > 0, $"{name} has an all-zero gradient");
        }
    }

    [Fact]
    public void Config_BlockWidthMismatch_IsRejectedNamingTheField()
    {
        var bad = MegnetConfig.BandGapMfi with { HiddenLayerSizesConv = new[] { 64, 64, 16 } };
        var e = Assert.Throws<ArgumentException>(() => new MegnetModel(bad));
        Assert.Contains("HiddenLayerSizesConv", e.Message);
    }
}
