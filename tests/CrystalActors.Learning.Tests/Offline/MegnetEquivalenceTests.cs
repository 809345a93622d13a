using CrystalActors.Learning.Offline;
using CrystalActors.Models.Megnet;
using CrystalActors.Torch;

namespace CrystalActors.Learning.Tests.Offline;

/// <summary>The fast Q-network computes exactly what the shared MEGNet implementation computes with the same weights.</summary>
public class MegnetEquivalenceTests
{
    [Fact]
    public void QNetwork_EqualsSharedMegnetModelWithCrystalDesignConfig()
    {
        Torch.Torch.ManualSeed(31);
        var ds = TrajectoryDataset.Synthetic(5, seed: 8);
        using var q = new QNetwork(conditioned: true);
        using var megnet = new MegnetModel(MegnetConfig.CrystalDesignQNetwork(8));
        var mapped = q.StateDict().ToDictionary(p => QNetwork.MatglName(p.Key), p => p.Value);
        foreach (var (k, v) in megnet.StateDict().Where(p => !p.Key.StartsWith("bond_expansion")))
            Assert.True(mapped.ContainsKey(k), $"MegnetModel parameter {k} has no QNetwork counterpart");
        var centers = megnet.StateDict().Where(p => p.Key.StartsWith("bond_expansion")).ToDictionary(p => p.Key, p => p.Value);
        megnet.LoadStateDict(mapped.Concat(centers).ToDictionary(p => p.Key, p => p.Value), strict: true);

        var builder = new TransitionBatchBuilder(ds, true, 1.12, new float[ds.CrystalCount]);
        using var scope = DisposeScope.Open();
        using var noGrad = NoGradScope.Enter();
        var s = builder.Build(new[] { 1, 20, 33, 50 }).State;
        var expected = megnet.Forward(new MegnetGraphBatch
        {
            NumGraphs = s.Graph.NumGraphs, NodeTypes = s.NodeTypes, EdgeSrc = s.Graph.EdgeSrc, EdgeDst = s.Graph.EdgeDst,
            EdgeFeatures = s.Graph.EdgeFeature, StateIndex = s.Focus, StateFeatures = s.Globals,
            NodeGraph = s.Graph.NodeGraph, EdgeGraph = s.Graph.EdgeGraph,
        }).ToArray<float>();
        var actual = q.Forward(s).ToArray<float>();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-4, $"[{i}] {expected[i]} vs {actual[i]}");
        // The one-Gaussian bond expansion is the edge feature exp(-d^2/2) the dataset stores.
        var rbf = megnet.ExpandDistances(Tensor.From(new float[] { 0, 1, 2.5f }, 3)).ToArray<float>();
        Assert.Equal(new[] { 1f, MathF.Exp(-0.5f), MathF.Exp(-3.125f) }, rbf);
    }
}
