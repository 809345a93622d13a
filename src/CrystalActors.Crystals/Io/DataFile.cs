using System.IO.Compression;

namespace CrystalActors.Crystals.Io;

/// <summary>Opens data files, transparently gunzipping (detected by the gzip magic bytes, not the name).</summary>
public static class DataFile
{
    public static TextReader OpenText(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        int b0 = stream.ReadByte(), b1 = stream.ReadByte();
        stream.Position = 0;
        Stream s = b0 == 0x1f && b1 == 0x8b ? new GZipStream(stream, CompressionMode.Decompress) : stream;
        return new StreamReader(s);
    }

    public static TextWriter CreateText(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Stream s = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(stream, CompressionLevel.Optimal) : stream;
        return new StreamWriter(s) { NewLine = "\n" };
    }
}
