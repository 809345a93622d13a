using System.Runtime.InteropServices;
using CrystalActors.Torch.Native;
using static CrystalActors.Torch.Native.NativeMethods;

namespace CrystalActors.Torch;

/// <summary>
/// A libtorch tensor. Owns its native handle; free it with <see cref="Dispose"/> or let the
/// enclosing <see cref="DisposeScope"/> do it. Operations never dispose their inputs and always
/// return new tensors (possibly views sharing storage), as in PyTorch.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private TensorHandle _handle;

    internal DisposeScope? Scope { get; set; }

    internal Tensor(IntPtr handle)
    {
        _handle = new TensorHandle(Check(handle));
        DisposeScope.Register(this);
    }

    internal TensorHandle Handle =>
        _handle.IsClosed ? throw new ObjectDisposedException(nameof(Tensor), "the tensor was disposed (by its DisposeScope?)") : _handle;

    public bool IsDisposed => _handle.IsClosed;

    /// <summary>
    /// Makes this object refer to <paramref name="source"/>'s native tensor, freeing its own;
    /// <paramref name="source"/> is consumed. Modules use it to move parameters between devices
    /// while every field that refers to the parameter stays valid.
    /// </summary>
    internal void TakeHandleOf(Tensor source)
    {
        var old = _handle;
        _handle = source._handle;
        source._handle = new TensorHandle();
        source.Scope = null;
        old.Dispose();
    }

    public void Dispose()
    {
        Scope = null;
        _handle.Dispose();
    }

    /// <summary>Removes this tensor from its dispose scope: the caller now owns it.</summary>
    public Tensor DetachFromDisposeScope()
    {
        Scope = null;
        return this;
    }

    /// <summary>Hands this tensor to the scope enclosing its current one.</summary>
    public Tensor MoveToOuterDisposeScope() => Scope?.MoveToOuter(this) ?? this;

    // ---------------------------------------------------------------- creation

    public static unsafe Tensor From<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape, Device? device = null) where T : unmanaged
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        if (n != data.Length)
            throw new ArgumentException($"{data.Length} values cannot fill a tensor of shape {FormatShape(shape)} ({n} elements).");
        var dev = device ?? Device.CPU;
        if (typeof(T) == typeof(bool))
        {
            // bool is one byte in both .NET and libtorch; pass it as bytes with the Bool dtype.
            fixed (T* p = data)
            fixed (long* s = shape)
                return new Tensor(ct_from_buffer(p, (int)ScalarType.Bool, s, shape.Length, (int)dev.Type, dev.Index));
        }
        fixed (T* p = data)
        fixed (long* s = shape)
            return new Tensor(ct_from_buffer(p, (int)ScalarTypeExtensions.Of<T>(), s, shape.Length, (int)dev.Type, dev.Index));
    }

    public static Tensor From<T>(T[] data, params long[] shape) where T : unmanaged =>
        From<T>(data.AsSpan(), shape.Length == 0 ? new long[] { data.Length } : shape);

    public static Tensor From<T>(T[,] data) where T : unmanaged =>
        From<T>(MemoryMarshal.CreateReadOnlySpan(ref data[0, 0], data.Length), new long[] { data.GetLength(0), data.GetLength(1) });

    public static Tensor Scalar(double value, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        Full(Array.Empty<long>(), value, dtype, device);

    public static unsafe Tensor Full(ReadOnlySpan<long> shape, double value, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var dev = device ?? Device.CPU;
        fixed (long* s = shape)
            return new Tensor(ct_full(s, shape.Length, value, (int)dtype, (int)dev.Type, dev.Index));
    }

    public static Tensor Zeros(long[] shape, ScalarType dtype = ScalarType.Float32, Device? device = null) => Full(shape, 0, dtype, device);
    public static Tensor Ones(long[] shape, ScalarType dtype = ScalarType.Float32, Device? device = null) => Full(shape, 1, dtype, device);

    public static Tensor Arange(double start, double end, double step = 1, ScalarType dtype = ScalarType.Int64, Device? device = null)
    {
        var dev = device ?? Device.CPU;
        return new Tensor(ct_arange(start, end, step, (int)dtype, (int)dev.Type, dev.Index));
    }

    /// <summary>Uniform [0, 1) samples from libtorch's generator (seed with <see cref="Torch.ManualSeed"/>).</summary>
    public static unsafe Tensor Rand(long[] shape, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var dev = device ?? Device.CPU;
        fixed (long* s = shape) return new Tensor(ct_rand(s, shape.Length, 0, (int)dtype, (int)dev.Type, dev.Index));
    }

    public static unsafe Tensor Randn(long[] shape, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var dev = device ?? Device.CPU;
        fixed (long* s = shape) return new Tensor(ct_rand(s, shape.Length, 1, (int)dtype, (int)dev.Type, dev.Index));
    }

    public static unsafe Tensor RandInt(long low, long high, long[] shape, Device? device = null)
    {
        var dev = device ?? Device.CPU;
        fixed (long* s = shape) return new Tensor(ct_randint(low, high, s, shape.Length, (int)dev.Type, dev.Index));
    }

    // ---------------------------------------------------------------- queries

    public int Dim => ct_ndim(Handle) is var n and >= 0 ? n : throw new TorchException(LastError());

    public unsafe long[] Shape
    {
        get
        {
            var shape = new long[Dim];
            fixed (long* p = shape) Check(ct_shape(Handle, p, shape.Length));
            return shape;
        }
    }

    public long Size(int dim)
    {
        var shape = Shape;
        return shape[dim < 0 ? dim + shape.Length : dim];
    }

    public long NumEl => ct_numel(Handle);

    public ScalarType DType => (ScalarType)ct_dtype(Handle);

    public Device Device
    {
        get
        {
            Check(ct_device(Handle, out var type, out var index));
            return new Device((DeviceType)type, index);
        }
    }

    public bool RequiresGrad
    {
        get => ct_requires_grad(Handle) == 1;
        set => Check(ct_set_requires_grad(Handle, value ? 1 : 0));
    }

    /// <summary>The accumulated gradient, or null when none has been computed (a new handle each call).</summary>
    public Tensor? Grad
    {
        get
        {
            var g = ct_grad(Handle);
            if (g != IntPtr.Zero) return new Tensor(g);
            var error = LastError();
            return error.Length == 0 ? null : throw new TorchException(error);
        }
    }

    /// <summary>Drops the accumulated gradient (set_to_none semantics).</summary>
    public void ZeroGrad() => Check(ct_zero_grad(Handle));

    public double Item()
    {
        Check(ct_item(Handle, out var v));
        return v;
    }

    public float ItemFloat() => (float)Item();
    public long ItemLong() => (long)Item();

    /// <summary>Copies the elements (row-major) to a new managed array; T must match the dtype.</summary>
    public unsafe T[] ToArray<T>() where T : unmanaged
    {
        var want = ScalarTypeExtensions.Of<T>();
        if (DType != want)
            throw new InvalidOperationException($"ToArray<{typeof(T).Name}> on a {DType} tensor; convert with To({want}) first.");
        var result = new T[NumEl];
        fixed (T* p = result) Check(ct_to_buffer(Handle, p, (long)result.Length * sizeof(T)));
        return result;
    }

    public override string ToString()
    {
        if (IsDisposed) return "Tensor(disposed)";
        return $"Tensor(shape={FormatShape(Shape)}, dtype={DType}, device={Device})";
    }

    public static string FormatShape(ReadOnlySpan<long> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    // ---------------------------------------------------------------- conversion

    public Tensor To(ScalarType dtype) => new(ct_to(Handle, (int)dtype, -1, -1));
    public Tensor To(Device device) => new(ct_to(Handle, -1, (int)device.Type, device.Index));
    public Tensor To(ScalarType dtype, Device device) => new(ct_to(Handle, (int)dtype, (int)device.Type, device.Index));
    public Tensor Clone() => new(ct_clone(Handle));
    public Tensor Detach() => new(ct_detach(Handle));
    public Tensor Contiguous() => new(ct_contiguous(Handle));

    /// <summary>A second handle to the same tensor (same storage and autograd identity).</summary>
    public Tensor Alias() => new(ct_alias(Handle));

    public Tensor RequiresGrad_(bool value = true)
    {
        RequiresGrad = value;
        return this;
    }
}
