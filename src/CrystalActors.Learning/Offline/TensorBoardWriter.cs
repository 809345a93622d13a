using System.Buffers.Binary;
using System.Text;

namespace CrystalActors.Learning.Offline;

/// <summary>
/// Writes scalar summaries as a TensorBoard event file (<c>events.out.tfevents.&lt;time&gt;.&lt;host&gt;</c>) without
/// TensorFlow: TFRecord framing (uint64 length, masked CRC-32C of the length, the bytes, masked CRC-32C of the bytes)
/// around hand-encoded <c>Event</c> protocol buffers (wall_time = 1, step = 2, file_version = 3, summary = 5;
/// Summary.value = 1; Value.tag = 1, Value.simple_value = 2).
/// </summary>
public sealed class TensorBoardWriter : IDisposable
{
    private readonly FileStream _stream;

    public string Path { get; }

    public TensorBoardWriter(string logDir)
    {
        Directory.CreateDirectory(logDir);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Path = System.IO.Path.Combine(logDir, $"events.out.tfevents.{now}.{Environment.MachineName}");
        _stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
        var first = new List<byte>();
        WallTime(first);
        Field(first, 3, 2);
        LengthDelimited(first, Encoding.UTF8.GetBytes("brain.Event:2"));
        WriteRecord(first.ToArray());
    }

    /// <summary>Appends one scalar (e.g. tag "losses/td") at a step.</summary>
    public void AddScalar(string tag, double value, long step)
    {
        var val = new List<byte>();
        Field(val, 1, 2);
        LengthDelimited(val, Encoding.UTF8.GetBytes(tag));
        Field(val, 2, 5);
        Span<byte> f = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(f, (float)value);
        val.AddRange(f.ToArray());
        WriteValue(val, step);
    }

    /// <summary>
    /// Appends a text summary (TensorBoard's Text tab renders it as Markdown), as tf.summary.text writes it: the value's
    /// metadata names the "text" plugin (metadata = 9: plugin_data = 1: plugin_name = 1) and its tensor (= 8) is a
    /// scalar DT_STRING (dtype = 1: 7, an empty tensor_shape = 2, string_val = 8).
    /// </summary>
    public void AddText(string tag, string markdown, long step)
    {
        var plugin = new List<byte>();
        Field(plugin, 1, 2);
        LengthDelimited(plugin, Encoding.UTF8.GetBytes("text"));
        var metadata = new List<byte>();
        Field(metadata, 1, 2);
        LengthDelimited(metadata, plugin.ToArray());
        var tensor = new List<byte>();
        Field(tensor, 1, 0);
        Varint(tensor, 7);
        Field(tensor, 2, 2);
        Varint(tensor, 0);
        Field(tensor, 8, 2);
        LengthDelimited(tensor, Encoding.UTF8.GetBytes(markdown));
        var val = new List<byte>();
        Field(val, 1, 2);
        LengthDelimited(val, Encoding.UTF8.GetBytes(tag));
        Field(val, 9, 2);
        LengthDelimited(val, metadata.ToArray());
        Field(val, 8, 2);
        LengthDelimited(val, tensor.ToArray());
        WriteValue(val, step);
    }

    /// <summary>Wraps one Summary.Value in a Summary and an Event at <paramref name="step"/> and appends it.</summary>
    private void WriteValue(List<byte> value, long step)
    {
        var summary = new List<byte>();
        Field(summary, 1, 2);
        LengthDelimited(summary, value.ToArray());
        var ev = new List<byte>();
        WallTime(ev);
        Field(ev, 2, 0);
        Varint(ev, (ulong)step);
        Field(ev, 5, 2);
        LengthDelimited(ev, summary.ToArray());
        WriteRecord(ev.ToArray());
    }

    public void Flush() => _stream.Flush();

    private void WriteRecord(byte[] data)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Masked(header[..8]));
        _stream.Write(header);
        _stream.Write(data);
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32C.Masked(data));
        _stream.Write(footer);
    }

    private static void WallTime(List<byte> buf)
    {
        Field(buf, 1, 1);
        Span<byte> d = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(d, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
        buf.AddRange(d.ToArray());
    }

    private static void Field(List<byte> buf, int number, int wireType) => Varint(buf, (ulong)((number << 3) | wireType));

    private static void LengthDelimited(List<byte> buf, byte[] bytes)
    {
        Varint(buf, (ulong)bytes.Length);
        buf.AddRange(bytes);
    }

    private static void Varint(List<byte> buf, ulong v)
    {
        while (v >= 0x80)
        {
            buf.Add((byte)(v | 0x80));
            v >>= 7;
        }
        buf.Add((byte)v);
    }

    public void Dispose() => _stream.Dispose();
}

/// <summary>CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) and TFRecord's masked form.</summary>
public static class Crc32C
{
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var t = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            t[i] = c;
        }
        return t;
    }

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFFu;
    }

    /// <summary>TFRecord's mask: rotate right by 15 bits and add 0xa282ead8.</summary>
    public static uint Masked(ReadOnlySpan<byte> data)
    {
        uint crc = Compute(data);
        return unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8u);
    }
}
