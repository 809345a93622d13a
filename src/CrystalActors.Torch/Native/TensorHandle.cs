using System.Runtime.InteropServices;

namespace CrystalActors.Torch.Native;

/// <summary>Owns one native at::Tensor; released exactly once, deterministically or by the finalizer.</summary>
internal sealed class TensorHandle : SafeHandle
{
    public TensorHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public TensorHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    /// <summary>Passed where the C ABI takes an optional tensor (NULL): the marshaller rejects a null SafeHandle.</summary>
    public static readonly TensorHandle Null = new();

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.ct_free(handle);
        return true;
    }
}

/// <summary>
/// Pins a list of handles for one native call: AddRef keeps every tensor alive even if the
/// managed owner becomes unreachable while the call runs.
/// </summary>
internal ref struct HandleList
{
    private readonly IReadOnlyList<Tensor> _tensors;
    private readonly bool[] _added;
    public readonly IntPtr[] Pointers;

    public HandleList(IReadOnlyList<Tensor> tensors)
    {
        _tensors = tensors;
        _added = new bool[tensors.Count];
        Pointers = new IntPtr[tensors.Count];
        for (int i = 0; i < tensors.Count; i++)
        {
            var h = tensors[i].Handle;
            h.DangerousAddRef(ref _added[i]);
            Pointers[i] = h.DangerousGetHandle();
        }
    }

    public void Dispose()
    {
        for (int i = 0; i < _tensors.Count; i++)
            if (_added[i]) _tensors[i].Handle.DangerousRelease();
    }
}
