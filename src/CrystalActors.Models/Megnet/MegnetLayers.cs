using CrystalActors.Torch;
using CrystalActors.Torch.Nn;

namespace CrystalActors.Models.Megnet;

/// <summary>An ordered list of sub-modules named "0", "1", ... (torch.nn.ModuleList), for state-dict names like "blocks.2.conv".</summary>
public sealed class ModuleList<T> : Module where T : Module
{
    private readonly List<T> _items = new();
    public void Add(T item) => _items.Add(RegisterModule(_items.Count.ToString(), item));
    public T this[int i] => _items[i];
    public int Count => _items.Count;
}

/// <summary>A module that only groups children under one name (e.g. matgl's "embedding", "bond_expansion").</summary>
public sealed class Container : Module
{
    public T Add<T>(string name, T module) where T : Module => RegisterModule(name, module);
}

/// <summary>
/// Gaussian bond expansion a_k = exp(−w (d − μ_k)²) (matgl <c>GaussianExpansion</c>; w is the "width" coefficient).
/// The centres are a buffer ("centers") so a weight file can carry them.
/// </summary>
public sealed class GaussianExpansion : Module
{
    public Tensor centers { get; }
    public double Width { get; }

    public GaussianExpansion(int count, double start, double stop, double width)
    {
        var mu = new float[count];
        for (int k = 0; k < count; k++) mu[k] = count == 1 ? (float)start : (float)(start + (stop - start) * k / (count - 1));
        centers = RegisterBuffer("centers", Tensor.From(mu, count));
        Width = width;
    }

    /// <summary>Distances [E] → basis [E, count].</summary>
    public Tensor Forward(Tensor distances)
    {
        using var scope = DisposeScope.Open();
        var diff = distances.Unsqueeze(1) - centers.Unsqueeze(0);
        return scope.MoveToOuter((diff.Square() * -Width).Exp());
    }
}

/// <summary>
/// Set2Set readout (DGL <c>Set2Set</c> on nodes, matgl <c>EdgeSet2Set</c> on edges; the same algorithm over a
/// different set): T rounds of LSTM query, per-graph softmax attention and attention-weighted sum; output
/// q* = [q ‖ r] of width 2d per graph.
/// </summary>
public sealed class Set2Set : Module
{
    public LSTMCell lstm { get; }
    public int InputWidth { get; }
    public int Iterations { get; }

    public Set2Set(int inputWidth, int iterations)
    {
        InputWidth = inputWidth;
        Iterations = iterations;
        lstm = RegisterModule("lstm", new LSTMCell(2 * inputWidth, inputWidth, "_l0"));
    }

    /// <summary>Members x [M, d] of graphs <paramref name="segment"/> [M] → [numGraphs, 2d]. A graph without members reads out r = 0.</summary>
    public Tensor Forward(Tensor x, Tensor segment, long numGraphs)
    {
        using var scope = DisposeScope.Open();
        var h = Tensor.Zeros(new[] { numGraphs, (long)InputWidth }, x.DType, x.Device);
        var c = Tensor.Zeros(new[] { numGraphs, (long)InputWidth }, x.DType, x.Device);
        var qStar = Tensor.Zeros(new[] { numGraphs, 2L * InputWidth }, x.DType, x.Device);
        for (int t = 0; t < Iterations; t++)
        {
            (h, c) = lstm.Forward(qStar, h, c);
            var score = (x * h.IndexSelect(0, segment)).Sum(1);
            var alpha = Functional.SegmentSoftmax(score, segment, numGraphs);
            var readout = Functional.SegmentSum(x * alpha.Unsqueeze(1), segment, numGraphs);
            qStar = Tensor.Cat(new[] { h, readout }, 1);
        }
        return scope.MoveToOuter(qStar);
    }
}

/// <summary>
/// MEGNet graph convolution (matgl <c>MEGNetGraphConv</c>): edge, node and state updates with mean aggregation.
/// Names "edge_func", "node_func", "state_func" as in matgl.
/// </summary>
public sealed class MegnetGraphConv : Module
{
    public Mlp edge_func { get; }
    public Mlp node_func { get; }
    public Mlp state_func { get; }

    public MegnetGraphConv(int width, IReadOnlyList<int> hidden, Activation activation)
    {
        edge_func = RegisterModule("edge_func", new Mlp(new[] { 4 * width }.Concat(hidden).ToArray(), activation, activateLast: true));
        node_func = RegisterModule("node_func", new Mlp(new[] { 3 * width }.Concat(hidden).ToArray(), activation, activateLast: true));
        state_func = RegisterModule("state_func", new Mlp(new[] { 3 * width }.Concat(hidden).ToArray(), activation, activateLast: true));
    }

    /// <summary>
    /// e'_ij = φe(v_i ‖ v_j ‖ e_ij ‖ u). The first layer is applied blockwise, W·[v_i ‖ v_j ‖ e ‖ u] =
    /// (W_s v + W_u u_g)_i + (W_d v)_j + W_e e: node and state projections are computed once per node (one matmul for
    /// both node blocks) and gathered, instead of multiplying a 4·width concatenation for every edge; the state of an
    /// edge's crystal is the state of its source node's crystal, so it rides along with the source gather.
    /// </summary>
    private Tensor EdgeUpdate(MegnetGraphBatch g, Tensor e, Tensor v, Tensor u)
    {
        var first = (Linear)edge_func.layers.Layers[0];
        var w = first.weight;
        long width = v.Size(1), hidden = w.Size(0);
        var wNodes = Tensor.Cat(new[] { w.Narrow(1, 0, width), w.Narrow(1, width, width) }, 0);        // [2h, width]
        var pNodes = Functional.Linear(v, wNodes);                                                       // [N, 2h]
        var pState = Functional.Linear(u, w.Narrow(1, 3 * width, width), first.bias);                    // [B, h]
        var pSrc = pNodes.Narrow(1, 0, hidden) + pState.IndexSelect(0, g.NodeGraph);
        var h = Functional.Linear(e, w.Narrow(1, 2 * width, width)) + pSrc.IndexSelect(0, g.EdgeSrc)
                + pNodes.Narrow(1, hidden, hidden).IndexSelect(0, g.EdgeDst);
        return MlpPass.Forward(edge_func, h, firstLayerDone: true);
    }

    public (Tensor E, Tensor V, Tensor U) Forward(MegnetGraphBatch g, Tensor e, Tensor v, Tensor u)
    {
        using var scope = DisposeScope.Open();
        var eNew = EdgeUpdate(g, e, v, u);
        // v'_i = φv(v_i ‖ mean of incoming e' ‖ u)
        var incoming = Functional.SegmentSum(eNew, g.EdgeDst, g.NumNodes) * g.InvInDegree;
        var vNew = MlpPass.Forward(node_func, Tensor.Cat(new[] { v, incoming, u.IndexSelect(0, g.NodeGraph) }, 1));
        // u' = φu(u ‖ mean e' ‖ mean v') over each crystal
        var meanE = Functional.SegmentSum(eNew, g.EdgeGraph, g.NumGraphs) * g.InvEdgeCount;
        var meanV = Functional.SegmentSum(vNew, g.NodeGraph, g.NumGraphs) * g.InvNodeCount;
        var uNew = MlpPass.Forward(state_func, Tensor.Cat(new[] { u, meanE, meanV }, 1));
        return (scope.MoveToOuter(eNew), scope.MoveToOuter(vNew), scope.MoveToOuter(uNew));
    }
}

/// <summary>
/// One MEGNet block (matgl <c>MEGNetBlock</c>): optional dense pre-layers on e, v, u (absent in the first block),
/// the graph convolution, and residual connections to the block input (before the dense layers).
/// </summary>
public sealed class MegnetBlock : Module
{
    public Mlp? edge_func { get; }
    public Mlp? node_func { get; }
    public Mlp? state_func { get; }
    public MegnetGraphConv conv { get; }

    public MegnetBlock(int width, IReadOnlyList<int> denseHidden, IReadOnlyList<int> convHidden, Activation activation, bool hasDense)
    {
        if (hasDense)
        {
            var dims = new[] { width }.Concat(denseHidden).ToArray();
            edge_func = RegisterModule("edge_func", new Mlp(dims, activation, activateLast: true));
            node_func = RegisterModule("node_func", new Mlp(dims, activation, activateLast: true));
            state_func = RegisterModule("state_func", new Mlp(dims, activation, activateLast: true));
        }
        conv = RegisterModule("conv", new MegnetGraphConv(width, convHidden, activation));
    }

    public (Tensor E, Tensor V, Tensor U) Forward(MegnetGraphBatch g, Tensor e, Tensor v, Tensor u)
    {
        using var scope = DisposeScope.Open();
        var (e1, v1, u1) = edge_func is null
            ? (e, v, u)
            : (MlpPass.Forward(edge_func, e), MlpPass.Forward(node_func!, v), MlpPass.Forward(state_func!, u));
        var (e2, v2, u2) = conv.Forward(g, e1, v1, u1);
        return (scope.MoveToOuter(e2 + e), scope.MoveToOuter(v2 + v), scope.MoveToOuter(u2 + u));
    }
}

/// <summary>
/// The forward pass of an <see cref="Mlp"/>, with softplus2's −ln 2 shifts folded into the next layer's bias:
/// W (softplus(z) − ln 2) + b = W softplus(z) + (b − ln 2 · W·1). Only an activated last layer pays the explicit shift,
/// so a hidden layer costs one elementwise pass and one autograd node fewer. Same result as <see cref="Mlp.Forward"/>;
/// other activations run as they are.
/// </summary>
public static class MlpPass
{
    private static readonly double Ln2 = Math.Log(2.0);

    /// <param name="firstLayerDone">x is already the first Linear's output (pre-activation), e.g. the split edge layer.</param>
    public static Tensor Forward(Mlp mlp, Tensor x, bool firstLayerDone = false)
    {
        var layers = mlp.layers.Layers;
        bool softplus2 = layers.OfType<ActivationModule>().All(a => a.Kind == Activation.Softplus2);
        if (!softplus2)
        {
            var y = x;
            for (int i = firstLayerDone ? 1 : 0; i < layers.Count; i++) y = layers[i].Forward(y);
            return y;
        }
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
            var bias = !shifted ? lin.bias : lin.bias is null ? -Ln2 * lin.weight.Sum(1) : lin.bias - Ln2 * lin.weight.Sum(1);
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
