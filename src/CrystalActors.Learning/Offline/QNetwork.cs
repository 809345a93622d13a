using CrystalActors.Crystals;
using CrystalActors.Torch;
using CrystalActors.Torch.Nn;

namespace CrystalActors.Learning.Offline;

/// <summary>
/// The MEGNet Q-network of crystal-design (matgl 0.9.1 MEGNet defaults): node Embedding(89, 16); focus Embedding(21, 8)
/// concatenated with the globals (16 wide, 15 unconditioned); edge feature exp(−d²/2); softplus2 activations;
/// encoders [1→64→32], [16→64→32], [16→64→32]; three MEGNet blocks (the first without the dense pre-layers, the
/// others with [32→64→32] on edges, nodes and state), update MLPs (64, 64, 32) and residual connections; Set2Set on
/// nodes and on edges (2 iterations, 1 layer) concatenated with the state → 160; output MLP [160→32→16→88].
/// </summary>
/// <remarks>
/// Speed: the first layer of the edge update acts on [v_src, v_dst, e, u] (128 wide) for every edge. Its weight is
/// split into four 32-column blocks so the node and state parts are multiplied once per node / graph and gathered
/// to the edges; the result is identical, and the per-edge matmul is 32 instead of 128 wide. Graphs of a batch are
/// concatenated (<see cref="GraphTensors"/>).
/// </remarks>
public sealed class QNetwork : Module
{
    public const int NodeTypes = ActionVocabulary.Count + 1;
    public const int FocusTypes = TrajectoryDataset.MaxSites + 1;
    public const int FocusDim = 8;
    public const int Hidden = 32;

    public bool Conditioned { get; }
    public Embedding node_embedding { get; }
    public Embedding focus_embedding { get; }
    public Mlp edge_encoder { get; }
    public Mlp node_encoder { get; }
    public Mlp state_encoder { get; }
    private readonly MegnetBlock[] _blocks;
    public Set2Set node_s2s { get; }
    public Set2Set edge_s2s { get; }
    public Mlp output_proj { get; }

    /// <param name="conditioned">Whether the target band gap p̂ is part of the state (8 globals instead of 7).</param>
    public QNetwork(bool conditioned)
    {
        Conditioned = conditioned;
        int stateDim = FocusDim + StateEncoding.GlobalWidth(conditioned);
        node_embedding = RegisterModule("node_embedding", new Embedding(NodeTypes, 16));
        focus_embedding = RegisterModule("focus_embedding", new Embedding(FocusTypes, FocusDim));
        edge_encoder = RegisterModule("edge_encoder", new Mlp(new[] { 1, 64, Hidden }, Activation.Softplus2, activateLast: true));
        node_encoder = RegisterModule("node_encoder", new Mlp(new[] { 16, 64, Hidden }, Activation.Softplus2, activateLast: true));
        state_encoder = RegisterModule("state_encoder", new Mlp(new[] { stateDim, 64, Hidden }, Activation.Softplus2, activateLast: true));
        var blocks = RegisterModule("blocks", new ModuleList());
        _blocks = new MegnetBlock[3];
        for (int i = 0; i < 3; i++) _blocks[i] = blocks.Add(new MegnetBlock(hasDense: i > 0));
        node_s2s = RegisterModule("node_s2s", new Set2Set(Hidden, iterations: 2));
        edge_s2s = RegisterModule("edge_s2s", new Set2Set(Hidden, iterations: 2));
        output_proj = RegisterModule("output_proj", new Mlp(new[] { 4 * Hidden + Hidden, 32, 16, ActionVocabulary.Count }, Activation.Softplus2));
    }

    /// <summary>Q-values [B, 88] of a batch of states.</summary>
    public Tensor Forward(StateTensors s)
    {
        using var scope = DisposeScope.Open();
        var g = s.Graph;
        // Node features depend only on the node type: encode the 89-row table once, then gather.
        var v = Softplus2Mlp.Forward(node_encoder, node_embedding.weight).IndexSelect(0, s.NodeTypes);
        var u = Softplus2Mlp.Forward(state_encoder, Tensor.Cat(new[] { focus_embedding.Forward(s.Focus), s.Globals }, 1));
        var e = Softplus2Mlp.Forward(edge_encoder, g.EdgeFeature);
        foreach (var block in _blocks) (e, v, u) = block.Forward(g, e, v, u);
        var nodeVec = node_s2s.Forward(v, g.NodeGraph, g.NumGraphs);
        var edgeVec = edge_s2s.Forward(e, g.EdgeGraph, g.NumGraphs);
        var q = Softplus2Mlp.Forward(output_proj, Tensor.Cat(new[] { nodeVec, edgeVec, u }, 1));
        return scope.MoveToOuter(q);
    }

    /// <summary>
    /// The matgl / <c>CrystalActors.Models.Megnet.MegnetModel</c> state-dict name of one of this network's parameters
    /// (MegnetConfig.CrystalDesignQNetwork), so weights move between the two unchanged: the focus embedding is
    /// matgl's state embedding, a block's dense pre-layers are its edge/node/state_func and its update MLPs live
    /// under conv, and the LSTM names carry torch.nn.LSTM's "_l0".
    /// </summary>
    public static string MatglName(string name)
    {
        if (name.StartsWith("node_embedding.", StringComparison.Ordinal)) return "embedding.layer_node_embedding." + name["node_embedding.".Length..];
        if (name.StartsWith("focus_embedding.", StringComparison.Ordinal)) return "embedding.layer_state_embedding." + name["focus_embedding.".Length..];
        if (name.StartsWith("blocks.", StringComparison.Ordinal))
        {
            var parts = name.Split('.', 4); // blocks, i, member, rest
            string member = parts[2] switch
            {
                "edge_dense" => "edge_func", "node_dense" => "node_func", "state_dense" => "state_func",
                "edge_func" => "conv.edge_func", "node_func" => "conv.node_func", "state_func" => "conv.state_func",
                _ => throw new ArgumentException($"unknown block member in '{name}'"),
            };
            return $"blocks.{parts[1]}.{member}.{parts[3]}";
        }
        if (name.Contains(".lstm.", StringComparison.Ordinal)) return name + "_l0";
        return name;
    }

    /// <summary>Copies every parameter of <paramref name="source"/> into this network (same architecture).</summary>
    public void CopyFrom(QNetwork source)
    {
        using var _ = NoGradScope.Enter();
        var src = source.Parameters();
        var dst = Parameters();
        for (int i = 0; i < dst.Count; i++) dst[i].CopyFrom_(src[i]);
    }

    /// <summary>Polyak averaging θ' ← (1 − τ) θ' + τ θ of this (target) network towards <paramref name="online"/>.</summary>
    public void SoftUpdateFrom(QNetwork online, double tau)
    {
        using var _ = NoGradScope.Enter();
        var src = online.Parameters();
        var dst = Parameters();
        for (int i = 0; i < dst.Count; i++) dst[i].Lerp_(src[i], tau);
    }
}

/// <summary>A list of sub-modules registered as "0", "1", ... (torch.nn.ModuleList).</summary>
public sealed class ModuleList : Module
{
    private int _count;

    public T Add<T>(T module) where T : Module => RegisterModule((_count++).ToString(), module);
}

/// <summary>
/// One MEGNet block (matgl MEGNetBlock + MEGNetGraphConv): optional dense pre-layers, then edge update
/// φe([v_src, v_dst, e, u]), node update φv([v, mean of incoming e', u]), state update φu([u, mean e', mean v']),
/// each an MLP (64, 64, 32) with softplus2 after every layer, and a residual connection to the block's inputs.
/// </summary>
public sealed class MegnetBlock : Module
{
    private const int H = QNetwork.Hidden;
    public Mlp? edge_dense { get; }
    public Mlp? node_dense { get; }
    public Mlp? state_dense { get; }
    public Mlp edge_func { get; }
    public Mlp node_func { get; }
    public Mlp state_func { get; }
    private readonly Linear _edgeFirst;

    public MegnetBlock(bool hasDense)
    {
        if (hasDense)
        {
            edge_dense = RegisterModule("edge_dense", new Mlp(new[] { H, 64, H }, Activation.Softplus2, activateLast: true));
            node_dense = RegisterModule("node_dense", new Mlp(new[] { H, 64, H }, Activation.Softplus2, activateLast: true));
            state_dense = RegisterModule("state_dense", new Mlp(new[] { H, 64, H }, Activation.Softplus2, activateLast: true));
        }
        edge_func = RegisterModule("edge_func", new Mlp(new[] { 4 * H, 64, 64, H }, Activation.Softplus2, activateLast: true));
        node_func = RegisterModule("node_func", new Mlp(new[] { 3 * H, 64, 64, H }, Activation.Softplus2, activateLast: true));
        state_func = RegisterModule("state_func", new Mlp(new[] { 3 * H, 64, 64, H }, Activation.Softplus2, activateLast: true));
        _edgeFirst = (Linear)edge_func.layers.Layers[0];
    }

    public (Tensor E, Tensor V, Tensor U) Forward(GraphTensors g, Tensor e0, Tensor v0, Tensor u0)
    {
        var e = edge_dense is null ? e0 : Softplus2Mlp.Forward(edge_dense, e0);
        var v = node_dense is null ? v0 : Softplus2Mlp.Forward(node_dense, v0);
        var u = state_dense is null ? u0 : Softplus2Mlp.Forward(state_dense, u0);

        // Edge update; first layer split by input block: W [64, 128] = [W_src | W_dst | W_e | W_u].
        var w = _edgeFirst.weight;
        var wNodes = Tensor.Cat(new[] { w.Narrow(1, 0, H), w.Narrow(1, H, H) }, 0);       // [128, 32]
        var pNodes = Functional.Linear(v, wNodes);                                          // [N, 128]
        var pU = Functional.Linear(u, w.Narrow(1, 3 * H, H), _edgeFirst.bias);               // [B, 64]
        var pSrc = pNodes.Narrow(1, 0, 64) + pU.IndexSelect(0, g.NodeGraph);                 // u of an edge = u of its graph
        var h = Functional.Linear(e, w.Narrow(1, 2 * H, H)) + pSrc.IndexSelect(0, g.EdgeSrc) + pNodes.Narrow(1, 64, 64).IndexSelect(0, g.EdgeDst);
        var eNew = Softplus2Mlp.Forward(edge_func, h, firstLayerDone: true);

        // Node update: mean of incoming updated edges.
        var ve = Functional.SegmentSum(eNew, g.EdgeDst, g.NumNodes) * g.InvInDegree;
        var vNew = Softplus2Mlp.Forward(node_func, Tensor.Cat(new[] { v, ve, u.IndexSelect(0, g.NodeGraph) }, 1));

        // State update: graph means of the updated edges and nodes.
        var ue = Functional.SegmentSum(eNew, g.EdgeGraph, g.NumGraphs) * g.InvEdgeCount;
        var uv = Functional.SegmentSum(vNew, g.NodeGraph, g.NumGraphs) * g.InvNodeCount;
        var uNew = Softplus2Mlp.Forward(state_func, Tensor.Cat(new[] { u, ue, uv }, 1));

        return (eNew + e0, vNew + v0, uNew + u0);
    }
}

/// <summary>
/// Set2Set readout (Vinyals et al.; DGL's Set2Set with one LSTM layer): q* starts at zero; each iteration runs the
/// LSTM on q*, attends over the set with softmax(⟨x_i, q⟩) per graph and sets q* = [q, Σ a_i x_i]. Output width 2·in.
/// </summary>
public sealed class Set2Set : Module
{
    private readonly int _in;
    private readonly int _iterations;
    public LSTMCell lstm { get; }

    public Set2Set(int inputDim, int iterations)
    {
        _in = inputDim;
        _iterations = iterations;
        lstm = RegisterModule("lstm", new LSTMCell(2 * inputDim, inputDim));
    }

    public Tensor Forward(Tensor x, Tensor segment, int numGraphs)
    {
        var h = Tensor.Zeros(new long[] { numGraphs, _in }, x.DType, x.Device);
        var c = Tensor.Zeros(new long[] { numGraphs, _in }, x.DType, x.Device);
        var qStar = Tensor.Zeros(new long[] { numGraphs, 2 * _in }, x.DType, x.Device);
        for (int it = 0; it < _iterations; it++)
        {
            (h, c) = lstm.Forward(qStar, h, c);
            var score = (x * h.IndexSelect(0, segment)).Sum(1);
            var alpha = Functional.SegmentSoftmax(score, segment, numGraphs);
            var readout = Functional.SegmentSum(x * alpha.Unsqueeze(1), segment, numGraphs);
            qStar = Tensor.Cat(new[] { h, readout }, 1);
        }
        return qStar;
    }
}

/// <summary>
/// Forward pass of a softplus2 <see cref="Mlp"/> with the −ln 2 shifts folded into the next layer's bias:
/// W (softplus(z) − ln 2) + b = W softplus(z) + (b − ln 2 · W·1). Only an activated last layer pays the explicit
/// shift. Same result as <see cref="Mlp.Forward"/>, one elementwise pass and autograd node fewer per hidden layer.
/// </summary>
public static class Softplus2Mlp
{
    private static readonly double Ln2 = Math.Log(2.0);

    /// <param name="firstLayerDone">x is already the first Linear's output (pre-activation), e.g. the split edge layer.</param>
    public static Tensor Forward(Mlp mlp, Tensor x, bool firstLayerDone = false)
    {
        var layers = mlp.layers.Layers;
        Tensor h = x;
        bool shifted = false; // h = softplus(z), still owing −ln 2
        int start = 0;
        if (firstLayerDone)
        {
            if (layers.Count < 2) return x;
            h = x.Softplus();
            shifted = true;
            start = 2;
        }
        for (int i = start; i < layers.Count; i += 2)
        {
            var lin = (Linear)layers[i];
            var bias = shifted ? lin.bias! - Ln2 * lin.weight.Sum(1) : lin.bias;
            var z = Functional.Linear(h, lin.weight, bias);
            if (i + 1 < layers.Count)
            {
                h = z.Softplus();
                shifted = true;
            }
            else
            {
                h = z;
                shifted = false;
            }
        }
        return shifted ? h - Ln2 : h;
    }
}
