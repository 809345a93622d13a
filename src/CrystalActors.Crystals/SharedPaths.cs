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

    public static string? DefaultPseudoRoot() => FindShared() is { } s ? Path.Combine(s, "pseudo") : null;
}
