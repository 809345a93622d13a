using System.Runtime.InteropServices;

namespace CrystalActors.Torch.Native;

internal static unsafe partial class NativeMethods
{
    [DllImport(Library)] internal static extern int ct_backward(TensorHandle t, TensorHandle grad, int retainGraph, int createGraph);
    [DllImport(Library)] internal static extern IntPtr ct_grad(TensorHandle t);
    [DllImport(Library)] internal static extern int ct_zero_grad(TensorHandle t);
    [DllImport(Library)] internal static extern int ct_autograd_grad(IntPtr* outputs, int nOut, IntPtr* inputs, int nIn, IntPtr* gradOutputs,
        int retainGraph, int createGraph, int allowUnused, IntPtr* results);

    [DllImport(Library)] internal static extern int ct_adam_step(IntPtr* parameters, IntPtr* expAvg, IntPtr* expAvgSq, int n, long step,
        double lr, double beta1, double beta2, double eps, double weightDecay, int decoupled);
    [DllImport(Library)] internal static extern int ct_clip_grad_norm(IntPtr* parameters, int n, double maxNorm, double normType, out double totalNorm);
}
