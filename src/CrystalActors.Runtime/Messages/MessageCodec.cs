using System.Buffers.Binary;
using System.Collections.Frozen;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace CrystalActors.Runtime.Messages;

/// <summary>Source-generated JSON metadata for every wire message (no reflection at run time).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(DftJobRequested))]
[JsonSerializable(typeof(DftLeaseRequested))]
[JsonSerializable(typeof(DftJobLeased))]
[JsonSerializable(typeof(DftLeaseRenewed))]
[JsonSerializable(typeof(DftJobCompleted))]
[JsonSerializable(typeof(DftJobFailed))]
[JsonSerializable(typeof(ModelVersionPublished))]
[JsonSerializable(typeof(EpisodeSummary))]
[JsonSerializable(typeof(Heartbeat))]
internal sealed partial class WireJsonContext : JsonSerializerContext;

/// <summary>A decoded message plus the envelope fields that travel with it.</summary>
public sealed record Envelope(IClusterMessage Message, string Sender, string MessageId);

/// <summary>Why a frame was rejected; <see cref="Sender"/> is the best sender name available for the log line.</summary>
public sealed record DecodeFailure(string Sender, string Reason);

/// <summary>
/// Length-prefixed binary envelope around a compact JSON payload:
/// <code>"CA" u8 frameVersion | u8 len, type name | u16 schema version | u8 len, sender | u8 len, message id | u32 len, payload (UTF-8 JSON)</code>
/// All integers big-endian. Decoding never throws on bad input: it returns a <see cref="DecodeFailure"/>
/// (oversize, truncated, unknown type, unknown version, bad JSON) so a receiver logs and drops it.
/// </summary>
public sealed class MessageCodec
{
    /// <summary>Default maximum frame size: 1 MiB. Bigger things belong in the content store.</summary>
    public const int DefaultMaxFrameBytes = 1 << 20;
    private const byte FrameVersion = 1;

    private readonly FrozenDictionary<string, Contract> _byName;
    private readonly FrozenDictionary<Type, Contract> _byType;

    public int MaxFrameBytes { get; }

    private sealed record Contract(string Name, int Version, Type Type, JsonTypeInfo Info);

    public static MessageCodec Default { get; } = new();

    public MessageCodec(int maxFrameBytes = DefaultMaxFrameBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrameBytes, 64);
        MaxFrameBytes = maxFrameBytes;
        var contracts = new List<Contract>();
        foreach (var type in typeof(IClusterMessage).Assembly.GetTypes())
        {
            if (type.GetCustomAttribute<MessageContractAttribute>() is not { } a) continue;
            var info = WireJsonContext.Default.GetTypeInfo(type)
                ?? throw new InvalidOperationException($"{type.Name} has [MessageContract] but is missing from WireJsonContext");
            contracts.Add(new Contract(a.Name, a.Version, type, info));
        }
        _byName = contracts.ToFrozenDictionary(c => c.Name);
        _byType = contracts.ToFrozenDictionary(c => c.Type);
    }

    /// <summary>The wire name of a message type, e.g. "dft.job.requested".</summary>
    public string NameOf(Type messageType) => _byType.TryGetValue(messageType, out var c)
        ? c.Name : throw new ArgumentException($"{messageType.Name} is not a registered wire message", nameof(messageType));

    public byte[] Encode(IClusterMessage message, string sender, string? messageId = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!_byType.TryGetValue(message.GetType(), out var c))
            throw new ArgumentException($"{message.GetType().Name} is not a registered wire message", nameof(message));
        return EncodeRaw(c.Name, c.Version, sender, messageId ?? Guid.NewGuid().ToString("N"), JsonSerializer.SerializeToUtf8Bytes(message, c.Info));
    }

    /// <summary>Builds a frame from raw parts; used by <see cref="Encode"/> and by tests that forge bad frames.</summary>
    public byte[] EncodeRaw(string typeName, int schemaVersion, string sender, string messageId, ReadOnlySpan<byte> payload)
    {
        var t = Encoding.UTF8.GetBytes(typeName);
        var s = Encoding.UTF8.GetBytes(sender);
        var m = Encoding.UTF8.GetBytes(messageId);
        if (t.Length > 255 || s.Length > 255 || m.Length > 255) throw new ArgumentException("type name, sender and message id must each be at most 255 UTF-8 bytes");
        var size = 3 + 1 + t.Length + 2 + 1 + s.Length + 1 + m.Length + 4 + payload.Length;
        if (size > MaxFrameBytes) throw new ArgumentException($"frame of {size} bytes exceeds the {MaxFrameBytes}-byte limit; put large payloads in the content store");
        var buf = new byte[size];
        var w = buf.AsSpan();
        w[0] = (byte)'C'; w[1] = (byte)'A'; w[2] = FrameVersion; w = w[3..];
        w[0] = (byte)t.Length; t.CopyTo(w[1..]); w = w[(1 + t.Length)..];
        BinaryPrimitives.WriteUInt16BigEndian(w, (ushort)schemaVersion); w = w[2..];
        w[0] = (byte)s.Length; s.CopyTo(w[1..]); w = w[(1 + s.Length)..];
        w[0] = (byte)m.Length; m.CopyTo(w[1..]); w = w[(1 + m.Length)..];
        BinaryPrimitives.WriteUInt32BigEndian(w, (uint)payload.Length); w = w[4..];
        payload.CopyTo(w);
        return buf;
    }

    /// <summary>Decodes a frame. <paramref name="transportSender"/> names the peer when the frame is too broken to say.</summary>
    public bool TryDecode(ReadOnlySpan<byte> frame, string transportSender, out Envelope? envelope, out DecodeFailure? failure)
    {
        envelope = null; failure = null;
        var sender = transportSender;
        bool Fail(string reason, out DecodeFailure? f) { f = new DecodeFailure(sender, reason); return false; }

        if (frame.Length > MaxFrameBytes) return Fail($"oversize frame: {frame.Length} bytes > limit {MaxFrameBytes}", out failure);
        if (frame.Length < 3 || frame[0] != 'C' || frame[1] != 'A') return Fail("garbage: missing 'CA' frame header", out failure);
        if (frame[2] != FrameVersion) return Fail($"unknown frame version {frame[2]}", out failure);
        var r = frame[3..];
        if (!TryReadString8(ref r, out var typeName)) return Fail("truncated frame (type name)", out failure);
        if (r.Length < 2) return Fail("truncated frame (schema version)", out failure);
        int version = BinaryPrimitives.ReadUInt16BigEndian(r); r = r[2..];
        if (!TryReadString8(ref r, out var s)) return Fail("truncated frame (sender)", out failure);
        if (s.Length > 0) sender = s;
        if (!TryReadString8(ref r, out var messageId)) return Fail("truncated frame (message id)", out failure);
        if (r.Length < 4) return Fail("truncated frame (payload length)", out failure);
        var len = BinaryPrimitives.ReadUInt32BigEndian(r); r = r[4..];
        if (len != r.Length) return Fail($"payload length {len} does not match the {r.Length} bytes present", out failure);
        if (!_byName.TryGetValue(typeName, out var c)) return Fail($"unknown message type '{typeName}'", out failure);
        if (c.Version != version) return Fail($"unsupported schema version {version} of '{typeName}' (this node understands {c.Version})", out failure);
        try
        {
            if (JsonSerializer.Deserialize(r, c.Info) is not IClusterMessage msg) return Fail($"empty '{typeName}' payload", out failure);
            envelope = new Envelope(msg, sender, messageId);
            return true;
        }
        catch (JsonException e)
        {
            return Fail($"bad '{typeName}' payload: {e.Message}", out failure);
        }
    }

    private static bool TryReadString8(ref ReadOnlySpan<byte> r, out string value)
    {
        value = "";
        if (r.Length < 1 || r.Length < 1 + r[0]) return false;
        try { value = new UTF8Encoding(false, true).GetString(r.Slice(1, r[0])); }
        catch (DecoderFallbackException) { return false; }
        r = r[(1 + r[0])..];
        return true;
    }
}
