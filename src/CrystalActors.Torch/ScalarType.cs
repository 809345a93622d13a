namespace CrystalActors.Torch;

/// <summary>Element types, numbered as c10::ScalarType so they cross the bridge unchanged.</summary>
public enum ScalarType
{
    UInt8 = 0,
    Int8 = 1,
    Int16 = 2,
    Int32 = 3,
    Int64 = 4,
    Float16 = 5,
    Float32 = 6,
    Float64 = 7,
    Bool = 11,
    BFloat16 = 15,
}

public static class ScalarTypeExtensions
{
    public static int ElementSize(this ScalarType t) => t switch
    {
        ScalarType.UInt8 or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unsupported scalar type"),
    };

    public static bool IsFloatingPoint(this ScalarType t) =>
        t is ScalarType.Float16 or ScalarType.Float32 or ScalarType.Float64 or ScalarType.BFloat16;

    internal static ScalarType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? ScalarType.Float32
        : typeof(T) == typeof(double) ? ScalarType.Float64
        : typeof(T) == typeof(long) ? ScalarType.Int64
        : typeof(T) == typeof(int) ? ScalarType.Int32
        : typeof(T) == typeof(bool) ? ScalarType.Bool
        : typeof(T) == typeof(byte) ? ScalarType.UInt8
        : typeof(T) == typeof(short) ? ScalarType.Int16
        : throw new NotSupportedException($"no tensor element type for {typeof(T).Name}");
}

/// <summary>A compute device: the CPU, or CUDA device <see cref="Index"/> (-1 = the current one).</summary>
public readonly record struct Device(DeviceType Type, int Index = -1)
{
    public static readonly Device CPU = new(DeviceType.CPU);
    public static Device Cuda(int index = 0) => new(DeviceType.CUDA, index);

    /// <summary>Parses "cpu", "cuda", "cuda:1"; "auto" picks CUDA when libtorch has it.</summary>
    public static Device Parse(string text)
    {
        var s = text.Trim().ToLowerInvariant();
        if (s == "cpu") return CPU;
        if (s == "auto") return Torch.CudaIsAvailable ? Cuda() : CPU;
        if (s == "cuda") return Cuda();
        if (s.StartsWith("cuda:") && int.TryParse(s[5..], out var i) && i >= 0) return Cuda(i);
        throw new ArgumentException($"Unknown device '{text}'; valid: cpu, cuda, cuda:N, auto.", nameof(text));
    }

    /// <summary>True when <paramref name="text"/> is a device name <see cref="Parse"/> accepts (checks the spelling only,
    /// without loading libtorch: for validating config files on any node).</summary>
    public static bool IsValidName(string? text)
    {
        var s = text?.Trim().ToLowerInvariant();
        return s is "cpu" or "cuda" or "auto" || (s is not null && s.StartsWith("cuda:") && int.TryParse(s[5..], out var i) && i >= 0);
    }

    /// <summary>
    /// The device a role runs on: <see cref="Parse"/>, then a check that it exists here. Asking for CUDA from a libtorch
    /// built without it (or for a GPU index the node lacks) is an error naming <paramref name="setting"/>, not a silent
    /// fall-back to the CPU: a week on the wrong device is worse than a failed start. "auto" never fails.
    /// </summary>
    public static Device Resolve(string text, string setting)
    {
        Device device;
        try { device = Parse(text); }
        catch (ArgumentException) { throw new ArgumentException($"{setting}: '{text}' is not a device; valid: cpu, cuda, cuda:N, auto"); }
        if (device.Type != DeviceType.CUDA) return device;
        if (!Torch.CudaIsAvailable)
            throw new ArgumentException($"{setting}: '{text}' asks for CUDA, but the libtorch the bridge was built against has none " +
                                        $"({Torch.Version}); use cpu or auto, or rebuild the bridge against a CUDA libtorch (TORCH_PREFIX)");
        if (device.Index >= Torch.CudaDeviceCount)
            throw new ArgumentException($"{setting}: '{text}' asks for GPU {device.Index}, but this node has {Torch.CudaDeviceCount}");
        return device;
    }

    public override string ToString() => Type == DeviceType.CPU ? "cpu" : Index < 0 ? "cuda" : $"cuda:{Index}";
}

public enum DeviceType { CPU = 0, CUDA = 1 }

/// <summary>A libtorch error surfaced in managed code, carrying libtorch's message.</summary>
public sealed class TorchException : Exception
{
    public TorchException(string message) : base(message) { }
}
