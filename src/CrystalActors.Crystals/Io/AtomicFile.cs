namespace CrystalActors.Crystals.Io;

/// <summary>
/// Writes a file so that readers see the old content or the new, never a half-written one: a temporary file in the
/// same folder, flushed to disk, then renamed over the target (a rename within a file system is atomic on POSIX).
/// A run's outputs (report.json, designs.csv, CIFs) go through here, so a crash or a full disk mid-write leaves the
/// previous version readable.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string text) => Write(path, s =>
    {
        using var w = new StreamWriter(s, leaveOpen: true);
        w.Write(text);
    });

    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var s = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                write(s);
                s.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }
}
