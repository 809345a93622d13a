namespace CrystalActors.Crystals.Io;

/// <summary>
/// Writes a file so that readers see the old content or the new, never a half-written one: a temporary file in the
/// same folder, flushed to disk (fsync), then renamed over the target (a rename within a file system is atomic on
/// POSIX). A run's outputs (report.json, designs.csv, CIFs) go through here, so a crash or a full disk mid-write
/// leaves the previous version readable.
/// </summary>
public static partial class AtomicFile
{
    public static void WriteAllText(string path, string text) => Write(path, s =>
    {
        using var w = new StreamWriter(s, leaveOpen: true);
        w.Write(text);
    });

    public static void Write(string path, Action<Stream> write)
    {
        using var file = Create(path);
        write(file.Stream);
        file.Commit();
    }

    /// <summary>Starts writing <paramref name="path"/>, for a writer that streams (see <see cref="PendingFile"/>).</summary>
    public static PendingFile Create(string path) => new(path);

    /// <summary>The temporary file a write of <paramref name="path"/> goes to first: '.{name}.{process}.{unique}.tmp' beside it.</summary>
    internal static string TemporaryFor(string path) => Path.Combine(Path.GetDirectoryName(path)!,
        $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");

    /// <summary>
    /// The file a temporary name stands for ('/runs/x/.report.json.12.ab….tmp' is '/runs/x/report.json'), else the path
    /// itself: an error while writing names the temporary file, but the user asked for the other.
    /// </summary>
    public static string TargetOf(string path)
    {
        var m = TemporaryNameRegex().Match(Path.GetFileName(path));
        return m.Success ? Path.Combine(Path.GetDirectoryName(path) ?? "", m.Groups[1].Value) : path;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\.(.+)\.\d+\.[0-9a-f]{32}\.tmp$")]
    private static partial System.Text.RegularExpressions.Regex TemporaryNameRegex();
}

/// <summary>
/// A file being written: what goes to <see cref="Stream"/> appears under <see cref="Path"/> only at
/// <see cref="Commit"/>; disposed without it (an exception, an early return), it leaves no trace and the previous
/// file stands.
/// </summary>
public sealed class PendingFile : IDisposable
{
    private readonly FileStream _stream;
    private readonly string _temporary;
    private bool _done;

    internal PendingFile(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        _temporary = AtomicFile.TemporaryFor(Path);
        _stream = new FileStream(_temporary, FileMode.CreateNew, FileAccess.Write);
    }

    /// <summary>The file's final path.</summary>
    public string Path { get; }

    public Stream Stream => _stream;

    /// <summary>Flushes the content to disk and renames it into place.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        try
        {
            _stream.Flush(flushToDisk: true);
            _stream.Dispose();
            File.Move(_temporary, Path, overwrite: true);
            _done = true;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_done) return;
        _done = true;
        // Closing may flush buffered bytes into a full disk; the temporary file goes either way.
        try { _stream.Dispose(); } catch (IOException) { }
        try { File.Delete(_temporary); } catch (IOException) { }
    }
}
