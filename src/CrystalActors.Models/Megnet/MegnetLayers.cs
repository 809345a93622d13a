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
    /// (W_s v)_i + (W_d v)_j + W_e e + (W_u u)_g, so node and state projections are computed once per node / graph and
    /// gathered, instead of multiplying a 4·width concatenation for every edge (same result, ~40 % fewer edge FLOPs).
    /// </summary>
    private Tensor EdgeUpdate(MegnetGraphBatch g, Tensor e, Tensor v, Tensor u)
    {
        using var scope = DisposeScope.Open();
        var layers = edge_func.layers.Layers;
        var first = (Linear)layers[0];
        long w = v.Size(1);
        var fromSrc = Functional.Linear(v, first.weight.Narrow(1, 0, w)).IndexSelect(0, g.EdgeSrc);
        var fromDst = Functional.Linear(v, first.weight.Narrow(1, w, w)).IndexSelect(0, g.EdgeDst);
        var fromState = Functional.Linear(u, first.weight.Narrow(1, 3 * w, w), first.bias).IndexSelect(0, g.EdgeGraph);
        var h = Functional.Linear(e, first.weight.Narrow(1, 2 * w, w)) + fromSrc + fromDst + fromState;
        for (int i = 1; i < layers.Count; i++) h = layers[i].Forward(h);
        return scope.MoveToOuter(h);
    }

    public (Tensor E, Tensor V, Tensor U) Forward(MegnetGraphBatch g, Tensor e, Tensor v, Tensor u)
    {
        using var scope = DisposeScope.Open();
        long b = g.NumGraphs, n = v.Size(0);
        var eNew = EdgeUpdate(g, e, v, u);
        // v'_i = φv(v_i ‖ mean of incoming e' ‖ u)
        var incoming = Functional.SegmentMean(eNew, g.EdgeDst, n);
        var vNew = node_func.Forward(Tensor.Cat(new[] { v, incoming, u.IndexSelect(0, g.NodeGraph) }, 1));
        // u' = φu(u ‖ mean e' ‖ mean v') over each crystal
        var uNew = state_func.Forward(Tensor.Cat(new[]
        {
            u, Functional.SegmentMean(eNew, g.EdgeGraph, b), Functional.SegmentMean(vNew, g.NodeGraph, b),
        }, 1));
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
            : (edge_func.Forward(e), node_func!.Forward(v), state_func!.Forward(u));
        var (e2, v2, u2) = conv.Forward(g, e1, v1, u1);
        return (scope.MoveToOuter(e2 + e), scope.MoveToOuter(v2 + v), scope.MoveToOuter(u2 + u));
    }
}
