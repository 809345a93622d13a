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

    /// <summary>
    /// Starts writing a text file (creating its folder), gzip-compressed when the name ends in .gz, with '\n' line
    /// ends. It appears, whole, only at <see cref="PendingTextFile.Commit"/> (<see cref="AtomicFile"/>).
    /// </summary>
    public static PendingTextFile CreateText(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        return new PendingTextFile(AtomicFile.Create(path), path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>A text file being written through <see cref="AtomicFile"/>: write to <see cref="Writer"/>, then <see cref="Commit"/>.</summary>
public sealed class PendingTextFile : IDisposable
{
    private readonly PendingFile _file;
    private readonly GZipStream? _gzip;

    internal PendingTextFile(PendingFile file, bool gzip)
    {
        _file = file;
        _gzip = gzip ? new GZipStream(file.Stream, CompressionLevel.Optimal, leaveOpen: true) : null;
        Writer = new StreamWriter(_gzip ?? file.Stream, leaveOpen: true) { NewLine = "\n" };
    }

    public TextWriter Writer { get; }

    /// <summary>Ends the text (and the gzip stream) and puts the file in place.</summary>
    public void Commit()
    {
        Writer.Dispose();
        _gzip?.Dispose();
        _file.Commit();
    }

    /// <summary>Without <see cref="Commit"/>, the file is not written and a previous one stands.</summary>
    public void Dispose()
    {
        _file.Dispose(); // first: what the writers still flush then goes nowhere
        try { Writer.Dispose(); _gzip?.Dispose(); } catch (Exception e) when (e is IOException or ObjectDisposedException) { }
    }
}
