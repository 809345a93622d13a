using System.IO.Compression;

namespace CrystalActors.Crystals.Io;

/// <summary>Opens data files, transparently gunzipping (detected by the gzip magic bytes, not the name).</summary>
public static class DataFile
{
    /// <summary>The SHA-256 of a file's bytes as lower-case hex (data provenance, transfer checks, cache keys).</summary>
    public static string Sha256(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(f));
    }

    public static TextReader OpenText(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        int b0 = stream.ReadByte(), b1 = stream.ReadByte();
        stream.Position = 0;
        Stream s = b0 == 0x1f && b1 == 0x8b ? new NamedGzipStream(path, new GZipStream(stream, CompressionMode.Decompress)) : stream;
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

    /// <summary>Text into <paramref name="stream"/>, gzipped when <paramref name="name"/> ends in .gz (e.g. an
    /// <see cref="AtomicFile"/>'s temporary file); disposing the writer leaves the stream open.</summary>
    public static TextWriter CreateText(Stream stream, string name) => Writer(stream, name, leaveOpen: true);

    private static StreamWriter Writer(Stream stream, string name, bool leaveOpen)
    {
        Stream s = name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(stream, CompressionLevel.Optimal, leaveOpen) : stream;
        // Closing the gzip layer (when there is one) flushes its trailer; it then closes the stream or not as asked.
        return new StreamWriter(s, leaveOpen: leaveOpen && ReferenceEquals(s, stream)) { NewLine = "\n" };
    }

    /// <summary>A gzip stream whose corrupt-data fault names the file: GZipStream's own message ("unsupported compression
    /// method") says nothing of which input it was. (A file cut short is not detected by GZipStream: it reads as far as it
    /// goes, and the torn last line is a bad record.)</summary>
    private sealed class NamedGzipStream(string path, Stream inner) : Stream
    {
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            try { return inner.Read(buffer); }
            catch (InvalidDataException e) { throw new InvalidDataException($"{path}: not a readable gzip file ({e.Message})", e); }
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
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
