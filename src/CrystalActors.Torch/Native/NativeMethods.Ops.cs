using System.Runtime.InteropServices;

namespace CrystalActors.Torch.Native;

/// <summary>Op codes shared with native/include/crystal_torch.h; keep both in the same order.</summary>
internal enum UnaryOp
{
    Neg = 0, Relu, Silu, Sigmoid, Tanh, Softplus, Exp, Log, Sqrt, Sin, Cos, Abs, Square, Reciprocal,
    Floor, Round, Sign, Log1p, LogicalNot, Rsqrt, Erf, IsNan, Ceil, Expm1, Acos, Atan,
}

internal enum BinaryOp
{
    Add = 0, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge, MatMul, Atan2, LogicalAnd,
    LogicalOr, Remainder, FloorDivide, Cross,
}

internal enum ReduceOp { Sum = 0, Mean, Amax, Amin, Argmax, Argmin, LogSumExp, Prod, Any, All }

internal static unsafe partial class NativeMethods
{
    [DllImport(Library)] internal static extern IntPtr ct_unary(int op, TensorHandle a);
    [DllImport(Library)] internal static extern IntPtr ct_binary(int op, TensorHandle a, TensorHandle b);
    [DllImport(Library)] internal static extern IntPtr ct_binary_scalar(int op, TensorHandle a, double s);
    [DllImport(Library)] internal static extern IntPtr ct_rbinary_scalar(int op, double s, TensorHandle a);
    [DllImport(Library)] internal static extern int ct_binary_(int op, TensorHandle a, TensorHandle b);
    [DllImport(Library)] internal static extern int ct_binary_scalar_(int op, TensorHandle a, double s);
    [DllImport(Library)] internal static extern int ct_copy_(TensorHandle dst, TensorHandle src);
    [DllImport(Library)] internal static extern int ct_fill_(TensorHandle t, double value);
    [DllImport(Library)] internal static extern int ct_lerp_(TensorHandle t, TensorHandle end, double weight);
    [DllImport(Library)] internal static extern IntPtr ct_where(TensorHandle cond, TensorHandle a, TensorHandle b);
    [DllImport(Library)] internal static extern IntPtr ct_clamp(TensorHandle a, double min, double max, int hasMin, int hasMax);
    [DllImport(Library)] internal static extern IntPtr ct_softplus(TensorHandle a, double beta, double threshold);
    [DllImport(Library)] internal static extern IntPtr ct_linear(TensorHandle x, TensorHandle w, TensorHandle b);
    [DllImport(Library)] internal static extern IntPtr ct_layer_norm(TensorHandle x, long* shape, int ndim, TensorHandle w, TensorHandle b, double eps);

    [DllImport(Library)] internal static extern IntPtr ct_reduce(int op, TensorHandle a, long* dims, int ndims, int keepdim);
    [DllImport(Library)] internal static extern IntPtr ct_norm(TensorHandle a, double p, long* dims, int ndims, int keepdim);
    [DllImport(Library)] internal static extern IntPtr ct_softmax(TensorHandle a, long dim, int log);
    [DllImport(Library)] internal static extern IntPtr ct_cumsum(TensorHandle a, long dim);

    [DllImport(Library)] internal static extern IntPtr ct_mse_loss(TensorHandle a, TensorHandle b, int reduction);
    [DllImport(Library)] internal static extern IntPtr ct_cross_entropy(TensorHandle logits, TensorHandle target, int reduction);
    [DllImport(Library)] internal static extern IntPtr ct_smooth_l1_loss(TensorHandle a, TensorHandle b, int reduction, double beta);

    [DllImport(Library)] internal static extern IntPtr ct_index_select(TensorHandle a, long dim, TensorHandle index);
    [DllImport(Library)] internal static extern IntPtr ct_gather(TensorHandle a, long dim, TensorHandle index);
    [DllImport(Library)] internal static extern IntPtr ct_scatter_add(TensorHandle a, long dim, TensorHandle index, TensorHandle src);
    [DllImport(Library)] internal static extern IntPtr ct_scatter_reduce(TensorHandle a, long dim, TensorHandle index, TensorHandle src,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string reduce, int includeSelf);
    [DllImport(Library)] internal static extern IntPtr ct_index_add(TensorHandle a, long dim, TensorHandle index, TensorHandle src, double alpha);
    [DllImport(Library)] internal static extern IntPtr ct_masked_fill(TensorHandle a, TensorHandle mask, double value);
    [DllImport(Library)] internal static extern IntPtr ct_masked_select(TensorHandle a, TensorHandle mask);
    [DllImport(Library)] internal static extern IntPtr ct_nonzero(TensorHandle a);
    [DllImport(Library)] internal static extern IntPtr ct_narrow(TensorHandle a, long dim, long start, long length);
    [DllImport(Library)] internal static extern IntPtr ct_slice(TensorHandle a, long dim, long start, long end, long step);
    [DllImport(Library)] internal static extern IntPtr ct_select(TensorHandle a, long dim, long index);
    [DllImport(Library)] internal static extern IntPtr ct_repeat_interleave(TensorHandle repeats);
    [DllImport(Library)] internal static extern IntPtr ct_one_hot(TensorHandle index, long numClasses);
    [DllImport(Library)] internal static extern IntPtr ct_silu_gate(TensorHandle a, TensorHandle b);
    [DllImport(Library)] internal static extern IntPtr ct_add_gathered_pair(TensorHandle x, TensorHandle p, TensorHandle ia, TensorHandle ib);
    [DllImport(Library)] internal static extern IntPtr ct_gather_rows(TensorHandle x, TensorHandle index);
    [DllImport(Library)] internal static extern IntPtr ct_scatter_add_rows(TensorHandle x, TensorHandle index, long n);
    [DllImport(Library)] internal static extern IntPtr ct_gather_mul_scatter(TensorHandle a, TensorHandle b, TensorHandle ia, TensorHandle ib, TensorHandle io, long n);
}
