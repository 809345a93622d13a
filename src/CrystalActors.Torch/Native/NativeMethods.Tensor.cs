using System.Runtime.InteropServices;

namespace CrystalActors.Torch.Native;

internal static unsafe partial class NativeMethods
{
    [DllImport(Library)] internal static extern IntPtr ct_from_buffer(void* data, int dtype, long* shape, int ndim, int deviceType, int deviceIndex);
    [DllImport(Library)] internal static extern int ct_to_buffer(TensorHandle t, void* dst, long nbytes);
    [DllImport(Library)] internal static extern IntPtr ct_full(long* shape, int ndim, double value, int dtype, int deviceType, int deviceIndex);
    [DllImport(Library)] internal static extern IntPtr ct_arange(double start, double end, double step, int dtype, int deviceType, int deviceIndex);
    [DllImport(Library)] internal static extern IntPtr ct_rand(long* shape, int ndim, int normal, int dtype, int deviceType, int deviceIndex);
    [DllImport(Library)] internal static extern IntPtr ct_randint(long low, long high, long* shape, int ndim, int deviceType, int deviceIndex);
    [DllImport(Library)] internal static extern void ct_free(IntPtr t);
    [DllImport(Library)] internal static extern int ct_ndim(TensorHandle t);
    [DllImport(Library)] internal static extern int ct_shape(TensorHandle t, long* shape, int capacity);
    [DllImport(Library)] internal static extern int ct_dtype(TensorHandle t);
    [DllImport(Library)] internal static extern int ct_device(TensorHandle t, out int type, out int index);
    [DllImport(Library)] internal static extern long ct_numel(TensorHandle t);
    [DllImport(Library)] internal static extern int ct_item(TensorHandle t, out double value);
    [DllImport(Library)] internal static extern IntPtr ct_to(TensorHandle t, int dtype, int deviceType, int deviceIndex);
    [DllImport(Library)] internal static extern IntPtr ct_clone(TensorHandle t);
    [DllImport(Library)] internal static extern IntPtr ct_detach(TensorHandle t);
    [DllImport(Library)] internal static extern IntPtr ct_contiguous(TensorHandle t);
    [DllImport(Library)] internal static extern IntPtr ct_alias(TensorHandle t);
    [DllImport(Library)] internal static extern int ct_requires_grad(TensorHandle t);
    [DllImport(Library)] internal static extern int ct_set_requires_grad(TensorHandle t, int value);

    [DllImport(Library)] internal static extern IntPtr ct_reshape(TensorHandle t, long* shape, int ndim);
    [DllImport(Library)] internal static extern IntPtr ct_view(TensorHandle t, long* shape, int ndim);
    [DllImport(Library)] internal static extern IntPtr ct_expand(TensorHandle t, long* shape, int ndim);
    [DllImport(Library)] internal static extern IntPtr ct_repeat(TensorHandle t, long* repeats, int ndim);
    [DllImport(Library)] internal static extern IntPtr ct_permute(TensorHandle t, long* dims, int ndim);
    [DllImport(Library)] internal static extern IntPtr ct_transpose(TensorHandle t, long d0, long d1);
    [DllImport(Library)] internal static extern IntPtr ct_unsqueeze(TensorHandle t, long dim);
    [DllImport(Library)] internal static extern IntPtr ct_squeeze(TensorHandle t, long dim);
    [DllImport(Library)] internal static extern IntPtr ct_flatten(TensorHandle t, long start, long end);
    [DllImport(Library)] internal static extern IntPtr ct_cat(IntPtr* tensors, int n, long dim);
    [DllImport(Library)] internal static extern IntPtr ct_stack(IntPtr* tensors, int n, long dim);
}
