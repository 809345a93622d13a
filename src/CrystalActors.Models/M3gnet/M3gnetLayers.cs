using CrystalActors.Torch;

namespace CrystalActors.Models.M3gnet;

/// <summary>Named weight tensors of a matgl checkpoint, converted to the model's dtype and device.</summary>
internal sealed class WeightStore : IDisposable
{
    private readonly IReadOnlyDictionary<string, Tensor> _source;
    private readonly string _file;
    private readonly ScalarType _dtype;
    private readonly Device _device;
    private readonly List<Tensor> _owned = new();

    public WeightStore(IReadOnlyDictionary<string, Tensor> source, string file, ScalarType dtype, Device device)
    {
        _source = source;
        _file = file;
        _dtype = dtype;
        _device = device;
    }

    /// <exception cref="InvalidDataException">the tensor is missing or has another shape.</exception>
    public Tensor Get(string name, params long[] shape)
    {
        if (!_source.TryGetValue(name, out var raw))
            throw new InvalidDataException($"{_file}: weight '{name}' is missing");
        if (!raw.Shape.SequenceEqual(shape))
            throw new InvalidDataException($"{_file}: weight '{name}' has shape {Tensor.FormatShape(raw.Shape)}, expected {Tensor.FormatShape(shape)}");
        var t = raw.To(_dtype, _device).DetachFromDisposeScope();
        _owned.Add(t);
        return t;
    }

    public double Scalar(string name)
    {
        using var d = Raw(name).To(ScalarType.Float64).DetachFromDisposeScope();
        return d.Item();
    }

    public double[] Vector(string name, int length)
    {
        var raw = Raw(name);
        if (raw.NumEl != length) throw new InvalidDataException($"{_file}: weight '{name}' has {raw.NumEl} values, expected {length}");
        using var d = raw.To(ScalarType.Float64).DetachFromDisposeScope();
        return d.ToArray<double>();
    }

    /// <summary>Takes ownership of a derived weight (freed with the store).</summary>
    public Tensor Own(Tensor t)
    {
        t.DetachFromDisposeScope();
        _owned.Add(t);
        return t;
    }

    private Tensor Raw(string name) =>
        _source.TryGetValue(name, out var raw) ? raw : throw new InvalidDataException($"{_file}: weight '{name}' is missing");

    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
    }
}

/// <summary>
/// matgl's <c>GatedMLP</c>: two Linear/SiLU stacks of the same dims, <c>layers</c> (SiLU after the last layer when
/// activate_last) and <c>gates</c> (sigmoid after the last layer); output = layers(x) ⊙ gates(x).
/// Linear k sits at Sequential index 2k in the state names.
/// </summary>
internal sealed class GatedMlp
{
    private readonly Tensor[] _lw, _lb, _gw, _gb;
    private readonly bool _activateLast;
    // ForwardEdge: the first layers of `layers` (H) and `gates` (G) split by input block: the edge block [h1, in − 2·node]
    // and bias, and the two node blocks stacked per stack as [W_src; W_dst] ([2·h1, node]).
    private readonly Tensor? _edgeH, _edgeG, _nodeH, _nodeG;

    public GatedMlp(WeightStore w, string prefix, int[] dims, bool activateLast, bool bias = true, int nodeDim = 0)
    {
        int n = dims.Length - 1;
        _lw = new Tensor[n]; _lb = new Tensor[n]; _gw = new Tensor[n]; _gb = new Tensor[n];
        for (int k = 0; k < n; k++)
        {
            _lw[k] = w.Get($"{prefix}.layers.{2 * k}.weight", dims[k + 1], dims[k]);
            _gw[k] = w.Get($"{prefix}.gates.{2 * k}.weight", dims[k + 1], dims[k]);
            if (bias)
            {
                _lb[k] = w.Get($"{prefix}.layers.{2 * k}.bias", dims[k + 1]);
                _gb[k] = w.Get($"{prefix}.gates.{2 * k}.bias", dims[k + 1]);
            }
        }
        _activateLast = activateLast;
        if (nodeDim > 0 && bias)
        {
            using var scope = DisposeScope.Open();
            Tensor NodeBlocks(Tensor first) =>
                Tensor.Cat([first.Narrow(1, 0, nodeDim), first.Narrow(1, nodeDim, nodeDim)], 0).Contiguous();
            _edgeH = w.Own(_lw[0].Narrow(1, 2 * nodeDim, dims[0] - 2 * nodeDim).Contiguous());
            _edgeG = w.Own(_gw[0].Narrow(1, 2 * nodeDim, dims[0] - 2 * nodeDim).Contiguous());
            _nodeH = w.Own(NodeBlocks(_lw[0]));
            _nodeG = w.Own(NodeBlocks(_gw[0]));
        }
    }

    public Tensor Forward(Tensor x)
    {
        int n = _lw.Length;
        Tensor h = x, g = x;
        for (int k = 0; k < n; k++)
        {
            h = Functional.Linear(h, _lw[k], _lb[k]);
            g = Functional.Linear(g, _gw[k], _gb[k]);
            if (k < n - 1)
            {
                h = h.Silu();
                g = g.Silu();
            }
        }
        return _activateLast ? Functional.SiluGate(h, g) : h * g.Sigmoid();
    }

    /// <summary>
    /// Forward of x_e = [v_src(e) ‖ v_dst(e) ‖ e_e] without forming x: the first Linear is split by input block,
    /// the node blocks are applied per NODE ([N, 2·h1], N ≪ E) and added to the edge block by
    /// <see cref="Tensor.AddGatheredPair"/> in one pass. Same result as <see cref="Forward"/> on the concatenation
    /// up to rounding. The layers and gates stacks are kept apart (no narrow of a stacked output, whose backward
    /// zero-fills and copies edge-sized tensors).
    /// </summary>
    public Tensor ForwardEdge(Tensor nodes, Tensor src, Tensor dst, Tensor edges)
    {
        Tensor h = Functional.Linear(edges, _edgeH!, _lb[0]).AddGatheredPair(Functional.Linear(nodes, _nodeH!), src, dst);
        Tensor g = Functional.Linear(edges, _edgeG!, _gb[0]).AddGatheredPair(Functional.Linear(nodes, _nodeG!), src, dst);
        int n = _lw.Length;
        for (int k = 1; k < n; k++)
        {
            h = Functional.Linear(h.Silu(), _lw[k], _lb[k]);
            g = Functional.Linear(g.Silu(), _gw[k], _gb[k]);
        }
        return _activateLast ? Functional.SiluGate(h, g) : h * g.Sigmoid();
    }
}
