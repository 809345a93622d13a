using CrystalActors.Crystals;
using CrystalActors.Learning.Offline;
using CrystalActors.Models.Megnet;
using CrystalActors.Torch;
using CrystalActors.Torch.Nn;

namespace CrystalActors.Learning.Tests.Offline;

public class QNetworkTests
{
    [Fact]
    public void Forward_BatchOfGraphs_EqualsEachGraphAlone()
    {
        Torch.Torch.ManualSeed(11);
        var ds = TrajectoryDataset.Synthetic(6, seed: 5);
        using var net = new QNetwork(conditioned: true);
        var builder = new TransitionBatchBuilder(ds, true, 1.12, new float[ds.CrystalCount]);
        using var scope = DisposeScope.Open();
        using var noGrad = NoGradScope.Enter();
        int[] picks = { 3, 40, 17, 60 };
        var together = net.Forward(builder.Build(picks).State).ToArray<float>();
        Assert.Equal(4 * 88, together.Length);
        for (int i = 0; i < picks.Length; i++)
        {
            var alone = net.Forward(builder.Build(new[] { picks[i] }).State).ToArray<float>();
            for (int a = 0; a < 88; a++) Assert.True(Math.Abs(alone[a] - together[88 * i + a]) < 1e-4, $"graph {i} action {a}");
        }
    }

    [Fact]
    public void EdgeUpdate_SplitFirstLayer_EqualsConcatenatedInputs()
    {
        Torch.Torch.ManualSeed(12);
        var ds = TrajectoryDataset.Synthetic(3, seed: 6);
        var builder = new TransitionBatchBuilder(ds, true, 1.12, new float[ds.CrystalCount]);
        using var block = new MegnetBlock(32, [64, 32], [64, 64, 32], Activation.Softplus2, hasDense: false);
        using var scope = DisposeScope.Open();
        using var noGrad = NoGradScope.Enter();
        var g = builder.Build(new[] { 0, 15, 30 }).State.Graph;
        var v = Tensor.Randn(new long[] { g.NumNodes, 32 });
        var e = Tensor.Randn(new long[] { g.NumEdges, 32 });
        var u = Tensor.Randn(new long[] { g.NumGraphs, 32 });
        var (eOut, vOut, uOut) = block.Forward(g, e, v, u);
        // Reference: matgl's edge update on hstack([v_src, v_dst, e, u_src]), plus the residual.
        var cat = Tensor.Cat(new[] { v.IndexSelect(0, g.EdgeSrc), v.IndexSelect(0, g.EdgeDst), e, u.IndexSelect(0, g.EdgeGraph) }, 1);
        var eNew = block.conv.edge_func.Forward(cat);
        AssertClose((eNew + e).ToArray<float>(), eOut.ToArray<float>());
        // Node update: mean over incoming edges.
        var ones = Tensor.Ones(new long[] { g.NumEdges, 1 });
        var deg = Functional.SegmentSum(ones, g.EdgeDst, g.NumNodes).ClampMin(1);
        var ve = Functional.SegmentSum(eNew, g.EdgeDst, g.NumNodes) / deg;
        var vNew = block.conv.node_func.Forward(Tensor.Cat(new[] { v, ve, u.IndexSelect(0, g.NodeGraph) }, 1));
        AssertClose((vNew + v).ToArray<float>(), vOut.ToArray<float>());
        var uNew = block.conv.state_func.Forward(Tensor.Cat(new[] { u, Functional.SegmentMean(eNew, g.EdgeGraph, 3), Functional.SegmentMean(vNew, g.NodeGraph, 3) }, 1));
        AssertClose((uNew + u).ToArray<float>(), uOut.ToArray<float>());
    }

    [Fact]
    public void Parameters_MatchTheArchitectureOfTheIssue()
    {
        using var cond = new QNetwork(conditioned: true);
        using var uncond = new QNetwork(conditioned: false);
        var p = cond.StateDict();
        // matgl's MEGNet names: the focus site is the state embedding, a block's dense pre-layers are its *_func, its update MLPs conv.*_func.
        Assert.Equal(new long[] { 90, 16 }, p["embedding.layer_node_embedding.weight"].Shape); // 88 elements, unfilled, focus
        Assert.Equal(new long[] { 21, 8 }, p["embedding.layer_state_embedding.weight"].Shape);
        Assert.Equal(new long[] { 64, 16 }, p["state_encoder.layers.0.weight"].Shape);
        Assert.Equal(new long[] { 64, 15 }, uncond.StateDict()["state_encoder.layers.0.weight"].Shape);
        Assert.Equal(new long[] { 64, 1 }, p["edge_encoder.layers.0.weight"].Shape);
        Assert.False(p.ContainsKey("blocks.0.edge_func.layers.0.weight"));
        Assert.Equal(new long[] { 64, 32 }, p["blocks.1.edge_func.layers.0.weight"].Shape);
        Assert.Equal(new long[] { 64, 128 }, p["blocks.2.conv.edge_func.layers.0.weight"].Shape);
        Assert.Equal(new long[] { 64, 96 }, p["blocks.2.conv.node_func.layers.0.weight"].Shape);
        Assert.Equal(new long[] { 128, 64 }, p["node_s2s.lstm.weight_ih_l0"].Shape);
        Assert.Equal(new long[] { 32, 160 }, p["output_proj.layers.0.weight"].Shape);
        Assert.Equal(new long[] { 88, 16 }, p["output_proj.layers.4.weight"].Shape);
    }

    [Fact]
    public void MlpPass_FoldedSoftplus2Shift_EqualsPlainMlp()
    {
        Torch.Torch.ManualSeed(13);
        using var mlp = new CrystalActors.Torch.Nn.Mlp(new[] { 5, 7, 6, 3 }, CrystalActors.Torch.Nn.Activation.Softplus2, activateLast: true);
        using var plain = new CrystalActors.Torch.Nn.Mlp(new[] { 5, 7, 2 }, CrystalActors.Torch.Nn.Activation.Softplus2);
        using var scope = DisposeScope.Open();
        var x = Tensor.Randn(new long[] { 4, 5 });
        AssertClose(mlp.Forward(x).ToArray<float>(), MlpPass.Forward(mlp, x).ToArray<float>());
        AssertClose(plain.Forward(x).ToArray<float>(), MlpPass.Forward(plain, x).ToArray<float>());
        using var silu = new CrystalActors.Torch.Nn.Mlp(new[] { 5, 7, 2 }, CrystalActors.Torch.Nn.Activation.Silu);
        AssertClose(silu.Forward(x).ToArray<float>(), MlpPass.Forward(silu, x).ToArray<float>());
    }

    [Fact]
    public void ConcatWithFocus_MarksEachStatesFocusSiteAtItsOffset()
    {
        const int U = ActionVocabulary.UnfilledNodeType, F = ActionVocabulary.FocusNodeType;
        var states = new IReadOnlyList<int>[] { new[] { 5, U, U }, new[] { U, U }, new[] { 7, 8 } };
        var types = StateEncoding.ConcatWithFocus(states, new[] { 2, 0, TrajectoryDataset.NoFocus });
        Assert.Equal(new long[] { 5, U, F, F, U, 7, 8 }, types);
        // A focus on a filled site is a bug in the caller, not something to mark over.
        Assert.Throws<ArgumentException>(() => StateEncoding.ConcatWithFocus(states, new[] { 0, 0, TrajectoryDataset.NoFocus }));
    }

    [Fact]
    public void Upgrade_PolicyWithoutFocusRow_ComputesExactlyWhatItDidUnmarked()
    {
        Torch.Torch.ManualSeed(14);
        var ds = TrajectoryDataset.Synthetic(4, seed: 7);
        var builder = new TransitionBatchBuilder(ds, false, 1.12, new float[ds.CrystalCount]);
        using var fresh = new QNetwork(conditioned: false);
        using var upgraded = new QNetwork(conditioned: false);
        using var scope = DisposeScope.Open();
        using var noGrad = NoGradScope.Enter();
        // A policy trained before the focus site had its own node type: 89 embedding rows.
        var legacy = fresh.StateDict().ToDictionary(p => p.Key, p => p.Key == QNetwork.NodeEmbeddingName ? p.Value.Narrow(0, 0, 89) : p.Value);
        Assert.True(QNetwork.LacksFocusRow(legacy));
        upgraded.LoadUpgraded(legacy);
        Assert.False(QNetwork.LacksFocusRow(upgraded.StateDict()));

        var marked = builder.Build(new[] { 2, 9, 21 }).State;
        var types = marked.NodeTypes.ToArray<long>();
        Assert.Equal(3, types.Count(t => t == ActionVocabulary.FocusNodeType));
        var unmarked = marked with
        {
            NodeTypes = Tensor.From<long>(types.Select(t => t == ActionVocabulary.FocusNodeType ? ActionVocabulary.UnfilledNodeType : t).ToArray(),
                new long[] { types.Length }),
        };
        // The legacy policy sees the focus site as it always did (an unfilled site) ...
        AssertClose(upgraded.Forward(unmarked).ToArray<float>(), upgraded.Forward(marked).ToArray<float>());
        // ... while a network with its own focus row reads the mark.
        var a = fresh.Forward(marked).ToArray<float>();
        var b = fresh.Forward(unmarked).ToArray<float>();
        Assert.True(a.Zip(b).Max(p => Math.Abs(p.First - p.Second)) > 1e-4, "marking the focus site changed no Q-value");
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-4, $"[{i}] expected {expected[i]}, got {actual[i]}");
    }
}
