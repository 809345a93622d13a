namespace CrystalActors.Campaign.Tests;

internal static class SharedData
{
    /// <summary>../shared next to the checkout (or CRYSTAL_ACTORS_SHARED).</summary>
    public static string Root
    {
        get
        {
            if (Environment.GetEnvironmentVariable("CRYSTAL_ACTORS_SHARED") is { Length: > 0 } env) return env;
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared");
                if (Directory.Exists(Path.Combine(candidate, "reference"))) return candidate;
            }
            throw new DirectoryNotFoundException("shared/ not found above " + AppContext.BaseDirectory + "; set CRYSTAL_ACTORS_SHARED");
        }
    }

    public static string File(params string[] parts) => System.IO.Path.Combine(new[] { Root }.Concat(parts).ToArray());
}
