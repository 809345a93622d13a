using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrystalActors.Torch.Nn;

namespace CrystalActors.Torch.Serialization;

/// <summary>
/// The safetensors layout: an 8-byte little-endian header length N, N bytes of JSON
/// <c>{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}</c>,
/// then the raw little-endian row-major data, offsets relative to its start. Files written here
/// open with the `safetensors` Python package and vice versa.
/// </summary>
public static class SafeTensors
{
    private const string MetadataKey = "__metadata__";

    /// <summary>Reads every tensor (on the CPU) and the metadata. The caller owns the tensors.</summary>
    public static SafeTensorFile Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: cannot read safetensors file: {e.Message}", e);
        }
        return Parse(bytes, path);
    }

    public static SafeTensorFile Parse(ReadOnlySpan<byte> bytes, string source = "<memory>")
    {
        if (bytes.Length < 8) throw Bad(source, "shorter than the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8)) throw Bad(source, $"header length {headerLength} exceeds the file size {bytes.Length}");
        JsonObject header;
        try
        {
            header = JsonNode.Parse(bytes.Slice(8, (int)headerLength)) as JsonObject ?? throw Bad(source, "header is not a JSON object");
        }
        catch (JsonException e) { throw Bad(source, "header is not valid JSON: " + e.Message); }
        var data = bytes[(8 + (int)headerLength)..];

        var metadata = new Dictionary<string, string>();
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            foreach (var (name, node) in header)
            {
                if (name == MetadataKey)
                {
                    foreach (var (k, v) in node!.AsObject()) metadata[k] = v?.GetValue<string>() ?? "";
                    continue;
                }
                var entry = node?.AsObject() ?? throw Bad(source, $"tensor '{name}' has no description");
                var dtype = ParseDType(entry["dtype"]?.GetValue<string>(), name, source);
                var shape = entry["shape"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
                var offsets = entry["data_offsets"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > data.Length)
                    throw Bad(source, $"tensor '{name}' has data offsets [{string.Join(", ", offsets)}] outside the {data.Length}-byte data section");
                if (shape.Any(d => d < 0)) throw Bad(source, $"tensor '{name}' has a negative dimension in shape {Tensor.FormatShape(shape)}");
                // Checked: a shape whose size overflows could otherwise wrap round to the byte count the offsets give.
                long expected = checked(shape.Aggregate(1L, (a, b) => a * b) * dtype.ElementSize());
                if (offsets[1] - offsets[0] != expected)
                    throw Bad(source, $"tensor '{name}' of shape {Tensor.FormatShape(shape)} and dtype {dtype} needs {expected} bytes, the file gives {offsets[1] - offsets[0]}");
                var raw = data.Slice((int)offsets[0], (int)expected);
                // Weights, checkpoints and optimiser moments are finite: a NaN or an infinity is a damaged (or diverged) file.
                if (NonFinite(raw, dtype) is long at) throw Bad(source, $"tensor '{name}' holds a non-finite value (element {at})");
                tensors[name] = FromBytes(raw, dtype, shape).DetachFromDisposeScope();
            }
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException or FormatException or OverflowException)
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw Bad(source, "malformed header: " + e.Message);
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
        return new SafeTensorFile(tensors, metadata);
    }

    /// <summary>The index of the first NaN or infinity of a floating-point tensor's bytes, or null.</summary>
    private static long? NonFinite(ReadOnlySpan<byte> raw, ScalarType dtype)
    {
        if (dtype == ScalarType.Float32)
        {
            var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw);
            for (int i = 0; i < values.Length; i++) if (!float.IsFinite(values[i])) return i;
        }
        else if (dtype == ScalarType.Float64)
        {
            var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(raw);
            for (int i = 0; i < values.Length; i++) if (!double.IsFinite(values[i])) return i;
        }
        return null;
    }

    private static Tensor FromBytes(ReadOnlySpan<byte> raw, ScalarType dtype, long[] shape)
    {
        // Stored little-endian, which is this machine's order: the bytes can be handed over as is.
        return dtype switch
        {
            ScalarType.Float32 => Tensor.From(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw), shape),
            ScalarType.Float64 => Tensor.From(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(raw), shape),
            ScalarType.Int64 => Tensor.From(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(raw), shape),
            ScalarType.Int32 => Tensor.From(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(raw), shape),
            ScalarType.Int16 => Tensor.From(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(raw), shape),
            ScalarType.UInt8 => Tensor.From(raw, shape),
            ScalarType.Bool => Tensor.From(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, bool>(raw), shape),
            _ => throw new NotSupportedException($"safetensors dtype {dtype} is not supported"),
        };
    }

    private static ScalarType ParseDType(string? code, string name, string source) => code switch
    {
        "F32" => ScalarType.Float32,
        "F64" => ScalarType.Float64,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "U8" => ScalarType.UInt8,
        "BOOL" => ScalarType.Bool,
        _ => throw Bad(source, $"tensor '{name}' has dtype '{code}'; supported: F32, F64, I64, I32, I16, U8, BOOL"),
    };

    private static string DTypeCode(ScalarType t) => t switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float64 => "F64",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.UInt8 => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new NotSupportedException($"cannot save dtype {t} as safetensors"),
    };

    private static InvalidDataException Bad(string source, string reason) => new($"{source}: not a valid safetensors file: {reason}");

    /// <summary>
    /// Writes tensors in name order (deterministic bytes for equal inputs) atomically: to a temporary file of its
    /// own, flushed to disk, then renamed, so a crash or a full disk never leaves a half-written checkpoint. The
    /// protocol of CrystalActors.Crystals.Io.AtomicFile, repeated here because this lowest layer references nothing.
    /// </summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        var blobs = new List<byte[]>(names.Count);
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal)) meta[k] = v;
            header[MetadataKey] = meta;
        }
        long offset = 0;
        foreach (var name in names)
        {
            var t = tensors[name];
            var blob = ToBytes(t);
            blobs.Add(blob);
            header[name] = new JsonObject
            {
                ["dtype"] = DTypeCode(t.DType),
                ["shape"] = new JsonArray(t.Shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + blob.Length),
            };
            offset += blob.Length;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8; // the reference writer pads the header with spaces to 8 bytes
        var headerBytes = new byte[padded];
        json.CopyTo(headerBytes, 0);
        for (int i = json.Length; i < padded; i++) headerBytes[i] = (byte)' ';

        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        // Unique per call: two saves of one path (a checkpoint and a best policy, say) never share a temporary file.
        var tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                Span<byte> len = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
                stream.Write(len);
                stream.Write(headerBytes);
                foreach (var blob in blobs) stream.Write(blob);
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }

    private static byte[] ToBytes(Tensor t) => t.DType switch
    {
        ScalarType.Float32 => AsBytes(t.ToArray<float>()),
        ScalarType.Float64 => AsBytes(t.ToArray<double>()),
        ScalarType.Int64 => AsBytes(t.ToArray<long>()),
        ScalarType.Int32 => AsBytes(t.ToArray<int>()),
        ScalarType.Int16 => AsBytes(t.ToArray<short>()),
        ScalarType.UInt8 => t.ToArray<byte>(),
        ScalarType.Bool => AsBytes(t.ToArray<bool>()),
        _ => throw new NotSupportedException($"cannot save dtype {t.DType} as safetensors"),
    };

    private static byte[] AsBytes<T>(T[] values) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    /// <summary>Saves a module's state dict with optional metadata (e.g. its constructor arguments as JSON).</summary>
    public static void Save(string path, Module module, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(path, module.StateDict(), metadata);

    /// <summary>Loads a file into a module (strict by default) and returns the file's metadata.</summary>
    public static IReadOnlyDictionary<string, string> LoadInto(string path, Module module, bool strict = true)
    {
        using var file = Load(path);
        try { module.LoadStateDict(file.Tensors, strict); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
        return file.Metadata;
    }
}

/// <summary>The contents of a safetensors file; disposing frees its tensors.</summary>
public sealed class SafeTensorFile : IDisposable
{
    public IReadOnlyDictionary<string, Tensor> Tensors { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public SafeTensorFile(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
    }

    public Tensor this[string name] =>
        Tensors.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"no tensor '{name}' in the file; it has: {string.Join(", ", Tensors.Keys.Take(20))}...");

    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
    }
}
