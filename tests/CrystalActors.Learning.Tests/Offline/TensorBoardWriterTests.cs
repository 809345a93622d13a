using System.Buffers.Binary;
using System.Text;
using CrystalActors.Learning.Offline;

namespace CrystalActors.Learning.Tests.Offline;

public class TensorBoardWriterTests
{
    [Fact]
    public void Crc32C_StandardCheckValue()
    {
        // The CRC-32C check value of "123456789" (RFC 3720 / every CRC catalogue).
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
        // An empty record's length header (8 zero bytes) as TensorFlow masks it.
        uint crc = Crc32C.Compute(new byte[8]);
        Assert.Equal(unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8u), Crc32C.Masked(new byte[8]));
    }

    [Fact]
    public void AddScalar_WritesFramedRecordsWithValidChecksums()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"tb-{Guid.NewGuid():N}");
        try
        {
            string path;
            using (var w = new TensorBoardWriter(dir))
            {
                w.AddScalar("losses/td", 0.25, 7);
                path = w.Path;
            }
            var bytes = File.ReadAllBytes(path);
            var records = new List<byte[]>();
            for (int pos = 0; pos < bytes.Length;)
            {
                ulong len = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(pos));
                Assert.Equal(Crc32C.Masked(bytes.AsSpan(pos, 8)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos + 8)));
                var data = bytes.AsSpan(pos + 12, (int)len).ToArray();
                Assert.Equal(Crc32C.Masked(data), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos + 12 + (int)len)));
                records.Add(data);
                pos += 12 + (int)len + 4;
            }
            Assert.Equal(2, records.Count);
            Assert.Contains("brain.Event:2", Encoding.ASCII.GetString(records[0]));
            var ev = records[1];
            // step = 7 as field 2 varint (0x10 0x07), the tag, and 0.25f as field 2 fixed32 (0x15) of the value.
            Assert.Contains("losses/td", Encoding.ASCII.GetString(ev));
            Assert.True(ev.AsSpan().IndexOf(new byte[] { 0x10, 0x07 }) > 0);
            var quarter = new byte[5];
            quarter[0] = 0x15;
            BinaryPrimitives.WriteSingleLittleEndian(quarter.AsSpan(1), 0.25f);
            Assert.True(ev.AsSpan().IndexOf(quarter) > 0);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void AddText_WritesATextPluginStringTensor()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"tb-{Guid.NewGuid():N}");
        try
        {
            string path;
            using (var w = new TensorBoardWriter(dir))
            {
                w.AddText("hyperparameters", "|a|1|", 0);
                path = w.Path;
            }
            var bytes = File.ReadAllBytes(path);
            int first = 12 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes) + 4;
            ulong len = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(first));
            var ev = bytes.AsSpan(first + 12, (int)len).ToArray();
            Assert.Equal(Crc32C.Masked(ev), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(first + 12 + (int)len)));
            // The value: tag, metadata {plugin_data {plugin_name "text"}} (field 9), tensor {dtype DT_STRING, shape [], string_val} (field 8).
            var tag = "\n\u000fhyperparameters"u8.ToArray();
            var metadata = new byte[] { 0x4A, 0x08, 0x0A, 0x06, 0x0A, 0x04, (byte)'t', (byte)'e', (byte)'x', (byte)'t' };
            var tensor = new byte[] { 0x42, 0x0B, 0x08, 0x07, 0x12, 0x00, 0x42, 0x05, (byte)'|', (byte)'a', (byte)'|', (byte)'1', (byte)'|' };
            var value = tag.Concat(metadata).Concat(tensor).ToArray();
            Assert.True(ev.AsSpan().IndexOf(value) > 0);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }
}
