using CrystalActors.Torch.Native;
using static CrystalActors.Torch.Native.NativeMethods;

namespace CrystalActors.Torch;

/// <summary>torch.autograd functions.</summary>
public static class Autograd
{
    /// <summary>
    /// torch.autograd.grad: the gradients of <paramref name="outputs"/> with respect to
    /// <paramref name="inputs"/>. With <paramref name="createGraph"/> the results are themselves
    /// differentiable, which training on forces (F = -dE/dx) needs. An input the outputs do not
    /// depend on gives null when <paramref name="allowUnused"/> is set.
    /// </summary>
    public static unsafe Tensor?[] Grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs,
        IReadOnlyList<Tensor>? gradOutputs = null, bool retainGraph = false, bool createGraph = false, bool allowUnused = false)
    {
        if (gradOutputs != null && gradOutputs.Count != outputs.Count)
            throw new ArgumentException($"{gradOutputs.Count} grad_outputs for {outputs.Count} outputs.", nameof(gradOutputs));
        var outs = new HandleList(outputs);
        var ins = new HandleList(inputs);
        var gouts = new HandleList(gradOutputs ?? Array.Empty<Tensor>());
        try
        {
            var results = new IntPtr[inputs.Count];
            fixed (IntPtr* o = outs.Pointers)
            fixed (IntPtr* i = ins.Pointers)
            fixed (IntPtr* g = gouts.Pointers)
            fixed (IntPtr* r = results)
                Check(ct_autograd_grad(o, outputs.Count, i, inputs.Count, gradOutputs == null ? null : g,
                    retainGraph || createGraph ? 1 : 0, createGraph ? 1 : 0, allowUnused ? 1 : 0, r));
            return results.Select(h => h == IntPtr.Zero ? null : new Tensor(h)).ToArray();
        }
        finally
        {
            gouts.Dispose();
            ins.Dispose();
            outs.Dispose();
        }
    }

    public static Tensor Grad(Tensor output, Tensor input, bool createGraph = false, bool retainGraph = false) =>
        Grad(new[] { output }, new[] { input }, null, retainGraph, createGraph)[0]
        ?? throw new InvalidOperationException("the output does not depend on the input");
}
