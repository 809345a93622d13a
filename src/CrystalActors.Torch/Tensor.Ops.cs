using CrystalActors.Torch.Native;
using static CrystalActors.Torch.Native.NativeMethods;

namespace CrystalActors.Torch;

public enum Reduction { None = 0, Mean = 1, Sum = 2 }

public sealed partial class Tensor
{
    // ---------------------------------------------------------------- elementwise

    private Tensor Unary(UnaryOp op) => new(ct_unary((int)op, Handle));

    /// <summary>
    /// Binary ops re-throw libtorch's error with both operand shapes, since its broadcasting
    /// message names only the offending dimension.
    /// </summary>
    private static Tensor Binary(BinaryOp op, Tensor a, Tensor b)
    {
        var h = ct_binary((int)op, a.Handle, b.Handle);
        if (h == IntPtr.Zero) throw ShapeError(op.ToString(), a, b);
        return new Tensor(h);
    }

    internal static TorchException ShapeError(string op, Tensor a, Tensor b) =>
        new($"{op} of tensors with shapes {FormatShape(a.Shape)} and {FormatShape(b.Shape)} failed: {LastError()}");

    public Tensor Neg() => Unary(UnaryOp.Neg);
    public Tensor Relu() => Unary(UnaryOp.Relu);
    public Tensor Silu() => Unary(UnaryOp.Silu);
    public Tensor Sigmoid() => Unary(UnaryOp.Sigmoid);
    public Tensor Tanh() => Unary(UnaryOp.Tanh);
    public Tensor Softplus() => Unary(UnaryOp.Softplus);
    public Tensor Softplus(double beta, double threshold = 20) => new(ct_softplus(Handle, beta, threshold));
    public Tensor Exp() => Unary(UnaryOp.Exp);
    public Tensor Log() => Unary(UnaryOp.Log);
    public Tensor Sqrt() => Unary(UnaryOp.Sqrt);
    public Tensor Rsqrt() => Unary(UnaryOp.Rsqrt);
    public Tensor Sin() => Unary(UnaryOp.Sin);
    public Tensor Cos() => Unary(UnaryOp.Cos);
    public Tensor Acos() => Unary(UnaryOp.Acos);
    public Tensor Atan() => Unary(UnaryOp.Atan);
    public Tensor Abs() => Unary(UnaryOp.Abs);
    public Tensor Square() => Unary(UnaryOp.Square);
    public Tensor Reciprocal() => Unary(UnaryOp.Reciprocal);
    public Tensor Floor() => Unary(UnaryOp.Floor);
    public Tensor Ceil() => Unary(UnaryOp.Ceil);
    public Tensor Round() => Unary(UnaryOp.Round);
    public Tensor Sign() => Unary(UnaryOp.Sign);
    public Tensor Log1p() => Unary(UnaryOp.Log1p);
    public Tensor Expm1() => Unary(UnaryOp.Expm1);
    public Tensor Erf() => Unary(UnaryOp.Erf);
    public Tensor LogicalNot() => Unary(UnaryOp.LogicalNot);
    public Tensor IsNan() => Unary(UnaryOp.IsNan);

    public Tensor Add(Tensor other) => Binary(BinaryOp.Add, this, other);
    public Tensor Sub(Tensor other) => Binary(BinaryOp.Sub, this, other);
    public Tensor Mul(Tensor other) => Binary(BinaryOp.Mul, this, other);
    public Tensor Div(Tensor other) => Binary(BinaryOp.Div, this, other);
    public Tensor Pow(Tensor exponent) => Binary(BinaryOp.Pow, this, exponent);
    public Tensor Pow(double exponent) => new(ct_binary_scalar((int)BinaryOp.Pow, Handle, exponent));
    public Tensor Maximum(Tensor other) => Binary(BinaryOp.Maximum, this, other);
    public Tensor Minimum(Tensor other) => Binary(BinaryOp.Minimum, this, other);
    public Tensor MatMul(Tensor other) => Binary(BinaryOp.MatMul, this, other);
    public Tensor Atan2(Tensor other) => Binary(BinaryOp.Atan2, this, other);
    public Tensor Remainder(double divisor) => new(ct_binary_scalar((int)BinaryOp.Remainder, Handle, divisor));
    public Tensor FloorDivide(Tensor other) => Binary(BinaryOp.FloorDivide, this, other);
    /// <summary>Cross product along the last dimension (size 3).</summary>
    public Tensor Cross(Tensor other) => Binary(BinaryOp.Cross, this, other);
    public Tensor LogicalAnd(Tensor other) => Binary(BinaryOp.LogicalAnd, this, other);
    public Tensor LogicalOr(Tensor other) => Binary(BinaryOp.LogicalOr, this, other);

    public Tensor Eq(Tensor other) => Binary(BinaryOp.Eq, this, other);
    public Tensor Ne(Tensor other) => Binary(BinaryOp.Ne, this, other);
    public Tensor Lt(Tensor other) => Binary(BinaryOp.Lt, this, other);
    public Tensor Le(Tensor other) => Binary(BinaryOp.Le, this, other);
    public Tensor Gt(Tensor other) => Binary(BinaryOp.Gt, this, other);
    public Tensor Ge(Tensor other) => Binary(BinaryOp.Ge, this, other);
    public Tensor Eq(double s) => new(ct_binary_scalar((int)BinaryOp.Eq, Handle, s));
    public Tensor Ne(double s) => new(ct_binary_scalar((int)BinaryOp.Ne, Handle, s));
    public Tensor Lt(double s) => new(ct_binary_scalar((int)BinaryOp.Lt, Handle, s));
    public Tensor Le(double s) => new(ct_binary_scalar((int)BinaryOp.Le, Handle, s));
    public Tensor Gt(double s) => new(ct_binary_scalar((int)BinaryOp.Gt, Handle, s));
    public Tensor Ge(double s) => new(ct_binary_scalar((int)BinaryOp.Ge, Handle, s));

    public static Tensor operator +(Tensor a, Tensor b) => Binary(BinaryOp.Add, a, b);
    public static Tensor operator -(Tensor a, Tensor b) => Binary(BinaryOp.Sub, a, b);
    public static Tensor operator *(Tensor a, Tensor b) => Binary(BinaryOp.Mul, a, b);
    public static Tensor operator /(Tensor a, Tensor b) => Binary(BinaryOp.Div, a, b);
    public static Tensor operator -(Tensor a) => a.Neg();
    public static Tensor operator +(Tensor a, double s) => new(ct_binary_scalar((int)BinaryOp.Add, a.Handle, s));
    public static Tensor operator -(Tensor a, double s) => new(ct_binary_scalar((int)BinaryOp.Sub, a.Handle, s));
    public static Tensor operator *(Tensor a, double s) => new(ct_binary_scalar((int)BinaryOp.Mul, a.Handle, s));
    public static Tensor operator /(Tensor a, double s) => new(ct_binary_scalar((int)BinaryOp.Div, a.Handle, s));
    public static Tensor operator +(double s, Tensor a) => new(ct_rbinary_scalar((int)BinaryOp.Add, s, a.Handle));
    public static Tensor operator -(double s, Tensor a) => new(ct_rbinary_scalar((int)BinaryOp.Sub, s, a.Handle));
    public static Tensor operator *(double s, Tensor a) => new(ct_rbinary_scalar((int)BinaryOp.Mul, s, a.Handle));
    public static Tensor operator /(double s, Tensor a) => new(ct_rbinary_scalar((int)BinaryOp.Div, s, a.Handle));

    /// <summary>torch.where(condition, this, other).</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b) => new(ct_where(condition.Handle, a.Handle, b.Handle));

    public Tensor Clamp(double? min = null, double? max = null) =>
        new(ct_clamp(Handle, min ?? 0, max ?? 0, min.HasValue ? 1 : 0, max.HasValue ? 1 : 0));

    public Tensor ClampMin(double min) => Clamp(min: min);

    // ---------------------------------------------------------------- in place (no autograd history)

    public Tensor Add_(Tensor other) { Check(ct_binary_((int)BinaryOp.Add, Handle, other.Handle)); return this; }
    public Tensor Sub_(Tensor other) { Check(ct_binary_((int)BinaryOp.Sub, Handle, other.Handle)); return this; }
    public Tensor Mul_(Tensor other) { Check(ct_binary_((int)BinaryOp.Mul, Handle, other.Handle)); return this; }
    public Tensor Add_(double s) { Check(ct_binary_scalar_((int)BinaryOp.Add, Handle, s)); return this; }
    public Tensor Mul_(double s) { Check(ct_binary_scalar_((int)BinaryOp.Mul, Handle, s)); return this; }
    public Tensor CopyFrom_(Tensor src) { Check(ct_copy_(Handle, src.Handle)); return this; }
    public Tensor Fill_(double value) { Check(ct_fill_(Handle, value)); return this; }
    /// <summary>this += weight * (end - this), without autograd: Polyak averaging of target networks.</summary>
    public Tensor Lerp_(Tensor end, double weight) { Check(ct_lerp_(Handle, end.Handle, weight)); return this; }

    // ---------------------------------------------------------------- reductions

    private unsafe Tensor Reduce(ReduceOp op, long[]? dims, bool keepDim)
    {
        dims ??= Array.Empty<long>();
        fixed (long* d = dims) return new Tensor(ct_reduce((int)op, Handle, d, dims.Length, keepDim ? 1 : 0));
    }

    public Tensor Sum() => Reduce(ReduceOp.Sum, null, false);
    public Tensor Sum(long dim, bool keepDim = false) => Reduce(ReduceOp.Sum, new[] { dim }, keepDim);
    public Tensor Sum(long[] dims, bool keepDim = false) => Reduce(ReduceOp.Sum, dims, keepDim);
    public Tensor Mean() => Reduce(ReduceOp.Mean, null, false);
    public Tensor Mean(long dim, bool keepDim = false) => Reduce(ReduceOp.Mean, new[] { dim }, keepDim);
    public Tensor Mean(long[] dims, bool keepDim = false) => Reduce(ReduceOp.Mean, dims, keepDim);
    public Tensor Max() => Reduce(ReduceOp.Amax, null, false);
    public Tensor Max(long dim, bool keepDim = false) => Reduce(ReduceOp.Amax, new[] { dim }, keepDim);
    public Tensor Min() => Reduce(ReduceOp.Amin, null, false);
    public Tensor Min(long dim, bool keepDim = false) => Reduce(ReduceOp.Amin, new[] { dim }, keepDim);
    public Tensor ArgMax() => Reduce(ReduceOp.Argmax, null, false);
    public Tensor ArgMax(long dim, bool keepDim = false) => Reduce(ReduceOp.Argmax, new[] { dim }, keepDim);
    public Tensor ArgMin(long dim, bool keepDim = false) => Reduce(ReduceOp.Argmin, new[] { dim }, keepDim);
    public Tensor LogSumExp(long dim, bool keepDim = false) => Reduce(ReduceOp.LogSumExp, new[] { dim }, keepDim);
    public Tensor Prod() => Reduce(ReduceOp.Prod, null, false);
    public Tensor Prod(long dim, bool keepDim = false) => Reduce(ReduceOp.Prod, new[] { dim }, keepDim);
    public Tensor Any() => Reduce(ReduceOp.Any, null, false);
    public Tensor All() => Reduce(ReduceOp.All, null, false);

    /// <summary>Vector p-norm over all elements, or over <paramref name="dims"/>.</summary>
    public unsafe Tensor Norm(double p = 2, long[]? dims = null, bool keepDim = false)
    {
        dims ??= Array.Empty<long>();
        fixed (long* d = dims) return new Tensor(ct_norm(Handle, p, d, dims.Length, keepDim ? 1 : 0));
    }

    public Tensor Softmax(long dim) => new(ct_softmax(Handle, dim, 0));
    public Tensor LogSoftmax(long dim) => new(ct_softmax(Handle, dim, 1));
    public Tensor CumSum(long dim) => new(ct_cumsum(Handle, dim));

    // ---------------------------------------------------------------- losses

    public Tensor MseLoss(Tensor target, Reduction reduction = Reduction.Mean)
    {
        var h = ct_mse_loss(Handle, target.Handle, (int)reduction);
        return h == IntPtr.Zero ? throw ShapeError("mse_loss", this, target) : new Tensor(h);
    }

    /// <summary>Cross entropy of logits [N, C] against class indices [N] (int64).</summary>
    public Tensor CrossEntropy(Tensor target, Reduction reduction = Reduction.Mean)
    {
        var h = ct_cross_entropy(Handle, target.Handle, (int)reduction);
        return h == IntPtr.Zero ? throw ShapeError("cross_entropy", this, target) : new Tensor(h);
    }

    public Tensor SmoothL1Loss(Tensor target, Reduction reduction = Reduction.Mean, double beta = 1.0)
    {
        var h = ct_smooth_l1_loss(Handle, target.Handle, (int)reduction, beta);
        return h == IntPtr.Zero ? throw ShapeError("smooth_l1_loss", this, target) : new Tensor(h);
    }

    // ---------------------------------------------------------------- indexing

    public Tensor IndexSelect(long dim, Tensor index) => new(ct_index_select(Handle, dim, index.Handle));
    public Tensor Gather(long dim, Tensor index) => new(ct_gather(Handle, dim, index.Handle));
    /// <summary>Out-of-place scatter_add: a copy of this with src added at index along dim.</summary>
    public Tensor ScatterAdd(long dim, Tensor index, Tensor src) => new(ct_scatter_add(Handle, dim, index.Handle, src.Handle));
    /// <summary>scatter_reduce with "sum", "prod", "mean", "amax" or "amin".</summary>
    public Tensor ScatterReduce(long dim, Tensor index, Tensor src, string reduce, bool includeSelf = true) =>
        new(ct_scatter_reduce(Handle, dim, index.Handle, src.Handle, reduce, includeSelf ? 1 : 0));
    /// <summary>Out-of-place index_add: rows of src added into a copy of this at index along dim.</summary>
    public Tensor IndexAdd(long dim, Tensor index, Tensor src, double alpha = 1) =>
        new(ct_index_add(Handle, dim, index.Handle, src.Handle, alpha));
    public Tensor MaskedFill(Tensor mask, double value) => new(ct_masked_fill(Handle, mask.Handle, value));
    public Tensor MaskedSelect(Tensor mask) => new(ct_masked_select(Handle, mask.Handle));
    public Tensor NonZero() => new(ct_nonzero(Handle));
    public Tensor Narrow(long dim, long start, long length) => new(ct_narrow(Handle, dim, start, length));
    public Tensor Slice(long dim, long start, long end, long step = 1) => new(ct_slice(Handle, dim, start, end, step));
    public Tensor Select(long dim, long index) => new(ct_select(Handle, dim, index));
    public Tensor OneHot(long numClasses) => new(ct_one_hot(Handle, numClasses));

    // Message passing on graphs (native/src/graphops.cpp): CPU float32/float64 rows, int64 indices, rows added in
    // index order (as index_add), each a single loop instead of libtorch 1.13's per-row dispatch, with their own
    // autograd (double backward included).

    /// <summary>Rows of this at <paramref name="index"/>: IndexSelect(0, index), whose backward is a plain loop.</summary>
    public Tensor GatherRows(Tensor index) => new(ct_gather_rows(Handle, index.Handle));

    /// <summary>[n, ...] zeros with row r of this added at index[r]: Zeros.IndexAdd(0, index, this), faster.</summary>
    public Tensor ScatterAddRows(Tensor index, long n) => new(ct_scatter_add_rows(Handle, index.Handle, n));

    /// <summary>
    /// this[r] + p[ia[r], :k] + p[ib[r], k:] for every row r of this [m, k] (added in that order), p being [n, 2k]:
    /// an edge layer's input from per-node terms of its source and destination, in one pass.
    /// </summary>
    public Tensor AddGatheredPair(Tensor p, Tensor ia, Tensor ib) =>
        new(ct_add_gathered_pair(Handle, p.Handle, ia.Handle, ib.Handle));

    /// <summary>
    /// out[n, k] with out[io[t]] += a[ia[t]] ⊙ b[ib[t]] for every t: gather, multiply and segment-sum in one pass,
    /// without the [t, k] intermediates (M3GNet's three-body messages).
    /// </summary>
    public static Tensor GatherMulScatter(Tensor a, Tensor b, Tensor ia, Tensor ib, Tensor io, long n) =>
        new(ct_gather_mul_scatter(a.Handle, b.Handle, ia.Handle, ib.Handle, io.Handle, n));

    /// <summary>For counts [c0, c1, ...] returns [0]*c0 ++ [1]*c1 ++ ...: the graph index of each node in a batch.</summary>
    public Tensor RepeatInterleave() => new(ct_repeat_interleave(Handle));

    // ---------------------------------------------------------------- shapes

    public unsafe Tensor Reshape(params long[] shape) { fixed (long* s = shape) return new Tensor(ct_reshape(Handle, s, shape.Length)); }
    public unsafe Tensor View(params long[] shape) { fixed (long* s = shape) return new Tensor(ct_view(Handle, s, shape.Length)); }
    public unsafe Tensor Expand(params long[] shape) { fixed (long* s = shape) return new Tensor(ct_expand(Handle, s, shape.Length)); }
    public unsafe Tensor Repeat(params long[] repeats) { fixed (long* s = repeats) return new Tensor(ct_repeat(Handle, s, repeats.Length)); }
    public unsafe Tensor Permute(params long[] dims) { fixed (long* s = dims) return new Tensor(ct_permute(Handle, s, dims.Length)); }
    public Tensor Transpose(long d0, long d1) => new(ct_transpose(Handle, d0, d1));
    public Tensor T => Transpose(0, 1);
    public Tensor Unsqueeze(long dim) => new(ct_unsqueeze(Handle, dim));
    public Tensor Squeeze(long dim) => new(ct_squeeze(Handle, dim));
    public Tensor Flatten(long start = 0, long end = -1) => new(ct_flatten(Handle, start, end));

    public static unsafe Tensor Cat(IReadOnlyList<Tensor> tensors, long dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("Cat needs at least one tensor.", nameof(tensors));
        var list = new HandleList(tensors);
        try
        {
            fixed (IntPtr* p = list.Pointers) return new Tensor(ct_cat(p, tensors.Count, dim));
        }
        finally { list.Dispose(); }
    }

    public static unsafe Tensor Stack(IReadOnlyList<Tensor> tensors, long dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("Stack needs at least one tensor.", nameof(tensors));
        var list = new HandleList(tensors);
        try
        {
            fixed (IntPtr* p = list.Pointers) return new Tensor(ct_stack(p, tensors.Count, dim));
        }
        finally { list.Dispose(); }
    }

    // ---------------------------------------------------------------- autograd

    /// <summary>Accumulates d(this)/d(leaf) into every leaf's <see cref="Grad"/>.</summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false) =>
        Check(ct_backward(Handle, (gradient?.Handle ?? TensorHandle.Null), retainGraph ? 1 : 0, createGraph ? 1 : 0));
}
