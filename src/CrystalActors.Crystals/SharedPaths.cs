namespace CrystalActors.Crystals;

/// <summary>
/// Finds the read-only shared/ folder (data, pseudopotentials, reference outputs): $CRYSTAL_ACTORS_SHARED, else a
/// 'shared' folder next to an ancestor of the working or application directory. It is read in place, never copied.
/// </summary>
public static class SharedPaths
{
    public const string EnvironmentVariable = "CRYSTAL_ACTORS_SHARED";

    /// <summary>The shared folder that holds <paramref name="marker"/> (a relative path), or null.</summary>
    public static string? FindShared(string marker = "pseudo")
    {
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(env) && Directory.Exists(Path.Combine(env, marker))) return Path.GetFullPath(env);
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "shared");
                if (Directory.Exists(Path.Combine(candidate, marker))) return candidate;
            }
        }
        return null;
    }

    /// <summary>As <see cref="FindShared"/>, but a missing folder is an error that says where it looked and how to set it.</summary>
    public static string RequireShared(string marker = "reference") =>
        FindShared(marker) ?? throw new DirectoryNotFoundException(
            $"no shared/ folder holding {marker}/ above {Directory.GetCurrentDirectory()} or {AppContext.BaseDirectory}, " +
            $"and ${EnvironmentVariable} does not name one: set {EnvironmentVariable} to the shared data folder (see README, 'Shared data')");

    /// <summary>
    /// A path into shared/ as written relative to a checkout (e.g. "../../shared/reference/x"): itself when it exists,
    /// else the same file under the shared folder <see cref="FindShared"/> locates ($CRYSTAL_ACTORS_SHARED first), so
    /// configs keep working when the data lives elsewhere. Anything else is returned unchanged.
    /// </summary>
    public static string Resolve(string path)
    {
        if (File.Exists(path) || Directory.Exists(path)) return path;
        var parts = path.Replace('\\', '/').Split('/');
        int i = Array.LastIndexOf(parts, "shared");
        if (i < 0 || i == parts.Length - 1) return path;
        var rest = parts[(i + 1)..];
        if (FindShared(rest[0]) is not { } root) return path;
        var candidate = Path.Combine([root, .. rest]);
        return File.Exists(candidate) || Directory.Exists(candidate) ? candidate : path;
    }

    public static string? DefaultPseudoRoot() => FindShared() is { } s ? Path.Combine(s, "pseudo") : null;
}
