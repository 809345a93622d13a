using CrystalActors.Torch.Native;
using CrystalActors.Torch.Nn;
using static CrystalActors.Torch.Native.NativeMethods;

namespace CrystalActors.Torch;

/// <summary>torch.nn.functional: stateless operations the modules are built from.</summary>
public static class Functional
{
    private static readonly double Ln2 = Math.Log(2.0);

    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        var h = ct_linear(x.Handle, weight.Handle, (bias?.Handle ?? TensorHandle.Null));
        return h == IntPtr.Zero ? throw Tensor.ShapeError("linear", x, weight) : new Tensor(h);
    }

    public static unsafe Tensor LayerNorm(Tensor x, long[] normalizedShape, Tensor? weight, Tensor? bias, double eps = 1e-5)
    {
        fixed (long* s = normalizedShape)
            return new Tensor(ct_layer_norm(x.Handle, s, normalizedShape.Length, (weight?.Handle ?? TensorHandle.Null), (bias?.Handle ?? TensorHandle.Null), eps));
    }

    /// <summary>
    /// silu(a) ⊙ sigmoid(b) (a gated MLP's output) in one pass forward and one backward; the same values as
    /// <c>a.Silu() * b.Sigmoid()</c> up to float rounding. float32 CPU tensors of equal shape take the fused kernel
    /// (native/src/fastmath.cpp), anything else the two ops.
    /// </summary>
    public static Tensor SiluGate(Tensor a, Tensor b) => new(ct_silu_gate(a.Handle, b.Handle));

    /// <summary>softplus(x) - ln 2: zero at zero, MEGNet's activation ("softplus2" in matgl).</summary>
    public static Tensor Softplus2(Tensor x)
    {
        using var sp = x.Softplus();
        return sp - Ln2;
    }

    public static Tensor Activate(Tensor x, Activation kind) => kind switch
    {
        Activation.Identity => x.Alias(),
        Activation.Relu => x.Relu(),
        Activation.Silu or Activation.Swish => x.Silu(),
        Activation.Sigmoid => x.Sigmoid(),
        Activation.Tanh => x.Tanh(),
        Activation.Softplus => x.Softplus(),
        Activation.Softplus2 => Softplus2(x),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown activation"),
    };

    /// <summary>Sums rows of <paramref name="src"/> [E, F] into <paramref name="numSegments"/> rows by segment id [E].</summary>
    public static Tensor SegmentSum(Tensor src, Tensor segment, long numSegments)
    {
        var shape = src.Shape;
        shape[0] = numSegments;
        using var zeros = Tensor.Zeros(shape, src.DType, src.Device);
        return zeros.IndexAdd(0, segment, src);
    }

    /// <summary>Mean of rows per segment; empty segments give 0.</summary>
    public static Tensor SegmentMean(Tensor src, Tensor segment, long numSegments)
    {
        using var sum = SegmentSum(src, segment, numSegments);
        using var ones = Tensor.Ones(new[] { src.Size(0) }, src.DType, src.Device);
        using var zeros = Tensor.Zeros(new[] { numSegments }, src.DType, src.Device);
        using var count = zeros.IndexAdd(0, segment, ones);
        using var safe = count.ClampMin(1);
        var shape = Enumerable.Repeat(1L, src.Dim).ToArray();
        shape[0] = numSegments;
        using var denom = safe.Reshape(shape);
        return sum / denom;
    }

    /// <summary>Softmax of <paramref name="src"/> [E] or [E, F] within each segment (attention over a graph's nodes).</summary>
    public static Tensor SegmentSoftmax(Tensor src, Tensor segment, long numSegments)
    {
        using var scope = DisposeScope.Open();
        var shape = src.Shape;
        shape[0] = numSegments;
        var index = src.Dim == 1 ? segment : segment.Unsqueeze(1).Expand(src.Shape);
        Tensor max;
        using (NoGradScope.Enter())
        {
            // The per-segment max only keeps exp() finite; softmax does not depend on it.
            var init = Tensor.Full(shape, double.NegativeInfinity, src.DType, src.Device);
            max = init.ScatterReduce(0, index, src, "amax", includeSelf: true);
        }
        var e = (src - max.IndexSelect(0, segment)).Exp();
        var denom = SegmentSum(e, segment, numSegments).IndexSelect(0, segment);
        return scope.MoveToOuter(e / denom);
    }
}
