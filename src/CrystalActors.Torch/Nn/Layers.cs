namespace CrystalActors.Torch.Nn;

/// <summary>y = x W^T + b, initialised as torch.nn.Linear: U(-1/sqrt(in), 1/sqrt(in)).</summary>
public sealed class Linear : TensorModule
{
    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Tensor weight { get; }
    public Tensor? bias { get; }

    public Linear(int inFeatures, int outFeatures, bool hasBias = true)
    {
        if (inFeatures < 1 || outFeatures < 1)
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear({inFeatures}, {outFeatures}): sizes must be positive.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        double bound = 1.0 / Math.Sqrt(inFeatures);
        weight = RegisterParameter("weight", Init.Uniform(new long[] { outFeatures, inFeatures }, bound));
        if (hasBias) bias = RegisterParameter("bias", Init.Uniform(new long[] { outFeatures }, bound));
    }

    public override Tensor Forward(Tensor x) => Functional.Linear(x, weight, bias);
}

/// <summary>A lookup table of <c>num</c> vectors, initialised N(0, 1) as torch.nn.Embedding.</summary>
public sealed class Embedding : TensorModule
{
    public Tensor weight { get; }

    public Embedding(int num, int dim)
    {
        weight = RegisterParameter("weight", Tensor.Randn(new long[] { num, dim }));
    }

    /// <summary>Rows of the table for int64 indices of any shape; output shape = index shape + [dim].</summary>
    public override Tensor Forward(Tensor index)
    {
        if (index.Dim == 1) return weight.IndexSelect(0, index);
        var shape = index.Shape.Append(weight.Size(1)).ToArray();
        using var flat = index.Reshape(-1);
        using var rows = weight.IndexSelect(0, flat);
        return rows.Reshape(shape);
    }
}

/// <summary>Layer normalisation over the last dimension(s), as torch.nn.LayerNorm.</summary>
public sealed class LayerNorm : TensorModule
{
    private readonly long[] _shape;
    private readonly double _eps;
    public Tensor weight { get; }
    public Tensor bias { get; }

    public LayerNorm(long[] normalizedShape, double eps = 1e-5)
    {
        _shape = normalizedShape;
        _eps = eps;
        weight = RegisterParameter("weight", Tensor.Ones(normalizedShape));
        bias = RegisterParameter("bias", Tensor.Zeros(normalizedShape));
    }

    public LayerNorm(int dim, double eps = 1e-5) : this(new long[] { dim }, eps) { }

    public override Tensor Forward(Tensor x) => Functional.LayerNorm(x, _shape, weight, bias, _eps);
}

/// <summary>Activations by the names matgl uses.</summary>
public enum Activation { Identity, Relu, Silu, Swish, Sigmoid, Tanh, Softplus, Softplus2 }

public sealed class ActivationModule : TensorModule
{
    public Activation Kind { get; }
    public ActivationModule(Activation kind) => Kind = kind;
    public override Tensor Forward(Tensor x) => Functional.Activate(x, Kind);
}

/// <summary>Modules applied in order; state-dict names are the indices ("layers.0.weight").</summary>
public sealed class Sequential : TensorModule
{
    private readonly List<TensorModule> _layers = new();

    public Sequential(params TensorModule[] layers)
    {
        foreach (var layer in layers) Add(layer);
    }

    public IReadOnlyList<TensorModule> Layers => _layers;

    public Sequential Add(TensorModule layer)
    {
        RegisterModule(_layers.Count.ToString(), layer);
        _layers.Add(layer);
        return this;
    }

    public override Tensor Forward(Tensor x)
    {
        // Intermediates are freed as soon as the next layer has consumed them.
        Tensor current = x;
        for (int i = 0; i < _layers.Count; i++)
        {
            var next = _layers[i].Forward(current);
            if (!ReferenceEquals(current, x)) current.Dispose();
            current = next;
        }
        return ReferenceEquals(current, x) ? x.Alias() : current;
    }
}

/// <summary>
/// A multi-layer perceptron: Linear layers of the given widths with an activation between them,
/// and after the last one when <c>activateLast</c> (matgl's MLP convention). Linear layers sit
/// at even indices of "layers", matching matgl state dicts ("layers.0.weight", "layers.2.weight").
/// </summary>
public sealed class Mlp : TensorModule
{
    public Sequential layers { get; }

    public Mlp(IReadOnlyList<int> dims, Activation activation, bool activateLast = false, bool bias = true)
    {
        if (dims.Count < 2) throw new ArgumentException("An MLP needs at least an input and an output width.", nameof(dims));
        layers = RegisterModule("layers", new Sequential());
        for (int i = 0; i < dims.Count - 1; i++)
        {
            layers.Add(new Linear(dims[i], dims[i + 1], bias));
            if (i < dims.Count - 2 || activateLast) layers.Add(new ActivationModule(activation));
        }
    }

    public override Tensor Forward(Tensor x) => layers.Forward(x);
}

/// <summary>torch.nn.LSTMCell: one step of an LSTM (Set2Set's recurrent core).</summary>
public sealed class LSTMCell : Module
{
    public int HiddenSize { get; }
    public Tensor weight_ih { get; }
    public Tensor weight_hh { get; }
    public Tensor bias_ih { get; }
    public Tensor bias_hh { get; }

    /// <param name="parameterSuffix">Appended to the state-dict names: "_l0" gives the names of a one-layer
    /// torch.nn.LSTM ("weight_ih_l0", ...), which Set2Set in DGL/matgl uses.</param>
    public LSTMCell(int inputSize, int hiddenSize, string parameterSuffix = "")
    {
        HiddenSize = hiddenSize;
        double bound = 1.0 / Math.Sqrt(hiddenSize);
        weight_ih = RegisterParameter("weight_ih" + parameterSuffix, Init.Uniform(new long[] { 4 * hiddenSize, inputSize }, bound));
        weight_hh = RegisterParameter("weight_hh" + parameterSuffix, Init.Uniform(new long[] { 4 * hiddenSize, hiddenSize }, bound));
        bias_ih = RegisterParameter("bias_ih" + parameterSuffix, Init.Uniform(new long[] { 4 * hiddenSize }, bound));
        bias_hh = RegisterParameter("bias_hh" + parameterSuffix, Init.Uniform(new long[] { 4 * hiddenSize }, bound));
    }

    /// <summary>Returns (h', c') for input x [B, in] and state (h, c) [B, hidden]; gate order i, f, g, o.</summary>
    public (Tensor H, Tensor C) Forward(Tensor x, Tensor h, Tensor c)
    {
        using var scope = DisposeScope.Open();
        var gates = Functional.Linear(x, weight_ih, bias_ih) + Functional.Linear(h, weight_hh, bias_hh);
        int n = HiddenSize;
        var i = gates.Narrow(1, 0, n).Sigmoid();
        var f = gates.Narrow(1, n, n).Sigmoid();
        var g = gates.Narrow(1, 2 * n, n).Tanh();
        var o = gates.Narrow(1, 3 * n, n).Sigmoid();
        var cNext = f * c + i * g;
        var hNext = o * cNext.Tanh();
        return (scope.MoveToOuter(hNext), scope.MoveToOuter(cNext));
    }
}

/// <summary>Parameter initialisers drawing from libtorch's seeded generator.</summary>
public static class Init
{
    public static Tensor Uniform(long[] shape, double bound)
    {
        using var u = Tensor.Rand(shape);
        using var scaled = u * (2 * bound);
        return scaled - bound;
    }
}
