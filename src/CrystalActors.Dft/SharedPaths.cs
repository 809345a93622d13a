namespace CrystalActors.Dft;

/// <summary>Finds the read-only shared/ folder (pseudopotentials, data): $CRYSTAL_ACTORS_SHARED, else a 'shared' folder next to an ancestor of the working or application directory.</summary>
public static class SharedPaths
{
    public const string EnvironmentVariable = "CRYSTAL_ACTORS_SHARED";

    public static string? FindShared()
    {
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return Path.GetFullPath(env);
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "shared");
                if (Directory.Exists(Path.Combine(candidate, "pseudo"))) return candidate;
            }
        }
        return null;
    }

    public static string? DefaultPseudoRoot() => FindShared() is { } s ? Path.Combine(s, "pseudo") : null;
}
