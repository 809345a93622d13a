using CrystalActors.Learning.Offline;
using CrystalActors.Models.Megnet;
using CrystalActors.Torch;
using CrystalActors.Torch.Serialization;

namespace CrystalActors.Learning.Tests.Offline;

/// <summary>The Q-network is the project's one MEGNet: the offline batch builder and MEGNet's own batching agree, and
/// weights saved under the Q-network's former names still load.</summary>
public class MegnetEquivalenceTests
{
    [Fact]
    public void QNetworkOnTheOfflineBatch_EqualsMegnetOnItsOwnBatchOfTheSameGraphs()
    {
        Torch.Torch.ManualSeed(31);
        var ds = TrajectoryDataset.Synthetic(5, seed: 8);
        using var q = new QNetwork(conditioned: true);
        var builder = new TransitionBatchBuilder(ds, true, 1.12, new float[ds.CrystalCount]);
        using var scope = DisposeScope.Open();
        using var noGrad = NoGradScope.Enter();
        int[] picks = [1, 20, 33, 50];
        var s = builder.Build(picks).State;
        var actual = q.Forward(s).ToArray<float>();

        // The same states as generic MEGNet graphs: node types, focus as the state index, globals as state features.
        var nodeTypes = s.NodeTypes.ToArray<long>();
        var focus = s.Focus.ToArray<long>();
        var globals = s.Globals.ToArray<float>();
        var src = s.Graph.EdgeSrc.ToArray<long>();
        var dst = s.Graph.EdgeDst.ToArray<long>();
        var edgeGraph = s.Graph.EdgeGraph.ToArray<long>();
        var nodeGraph = s.Graph.NodeGraph.ToArray<long>();
        var features = s.Graph.EdgeFeatures!.ToArray<float>();
        int width = globals.Length / picks.Length;
        var graphs = new List<MegnetGraph>();
        for (int b = 0; b < picks.Length; b++)
        {
            var nodes = Enumerable.Range(0, nodeGraph.Length).Where(i => nodeGraph[i] == b).ToArray();
            var edges = Enumerable.Range(0, edgeGraph.Length).Where(i => edgeGraph[i] == b).ToArray();
            graphs.Add(new MegnetGraph
            {
                NumNodes = nodes.Length, NodeTypes = nodes.Select(i => (int)nodeTypes[i]).ToArray(),
                Src = edges.Select(i => (int)(src[i] - nodes[0])).ToArray(), Dst = edges.Select(i => (int)(dst[i] - nodes[0])).ToArray(),
                EdgeFeatures = edges.Select(i => features[i]).ToArray(), StateIndex = (int)focus[b],
                StateFeatures = globals.AsSpan(b * width, width).ToArray(),
            });
        }
        using var batch = MegnetGraphBatch.Create(graphs);
        var expected = q.Forward(batch).ToArray<float>();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-5, $"[{i}] {expected[i]} vs {actual[i]}");
        // The one-Gaussian bond expansion is the edge feature exp(-d^2/2) the dataset stores.
        var rbf = q.ExpandDistances(Tensor.From(new float[] { 0, 1, 2.5f }, 3)).ToArray<float>();
        Assert.Equal(new[] { 1f, MathF.Exp(-0.5f), MathF.Exp(-3.125f) }, rbf);
    }

    /// <summary>The Q-network's names before the merge, from today's (the inverse of <see cref="QNetwork.UpgradeName"/>).</summary>
    private static string LegacyName(string name)
    {
        if (name.StartsWith("embedding.layer_node_embedding.")) return "node_embedding." + name["embedding.layer_node_embedding.".Length..];
        if (name.StartsWith("embedding.layer_state_embedding.")) return "focus_embedding." + name["embedding.layer_state_embedding.".Length..];
        if (name.StartsWith("blocks."))
        {
            var parts = name.Split('.');
            if (parts[2] == "conv") return $"blocks.{parts[1]}.{parts[3]}.{string.Join('.', parts[4..])}";
            return $"blocks.{parts[1]}.{parts[2].Replace("_func", "_dense")}.{string.Join('.', parts[3..])}";
        }
        return name.EndsWith("_l0") ? name[..^3] : name;
    }

    [Fact]
    public void WeightsUnderTheFormerNames_LoadAndGiveTheSameQValues()
    {
        Torch.Torch.ManualSeed(32);
        var ds = TrajectoryDataset.Synthetic(4, seed: 9);
        using var q = new QNetwork(conditioned: true);
        var legacy = q.StateDict().Where(p => !p.Key.StartsWith("bond_expansion")).ToDictionary(p => LegacyName(p.Key), p => p.Value);
        Assert.Contains("blocks.1.edge_dense.layers.0.weight", legacy.Keys);
        Assert.Contains("blocks.2.edge_func.layers.0.weight", legacy.Keys);
        Assert.Contains("node_s2s.lstm.weight_ih", legacy.Keys);
        Assert.All(q.StateDict().Keys.Where(k => !k.StartsWith("bond_expansion")), k => Assert.Equal(k, QNetwork.UpgradeName(LegacyName(k))));

        var path = Path.Combine(Path.GetTempPath(), $"legacy-q-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(path, legacy);
            // The file lacks the Gaussian centres (a constant buffer the former network did not have); they are filled in.
            using var loaded = new QNetwork(conditioned: true);
            loaded.LoadWeights(path);
            var builder = new TransitionBatchBuilder(ds, true, 1.12, new float[ds.CrystalCount]);
            using var scope = DisposeScope.Open();
            using var noGrad = NoGradScope.Enter();
            var s = builder.Build([0, 5, 9]).State;
            Assert.Equal(q.Forward(s).ToArray<float>(), loaded.Forward(s).ToArray<float>());
        }
        finally { File.Delete(path); }
    }
}
