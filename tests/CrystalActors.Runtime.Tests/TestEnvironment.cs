using System.Diagnostics;

namespace CrystalActors.Runtime.Tests;

/// <summary>Locates the repository and ../shared from the test assembly (or CRYSTAL_ACTORS_SHARED).</summary>
public static class TestEnvironment
{
    public static string RepoRoot { get; } = FindUp(d => File.Exists(Path.Combine(d, "CrystalActors.sln")))
        ?? throw new DirectoryNotFoundException($"no CrystalActors.sln above {AppContext.BaseDirectory}");

    /// <summary>The shared data folder: $CRYSTAL_ACTORS_SHARED, else a `shared/` next to (or above) the repository.</summary>
    public static string SharedDir { get; } = CrystalActors.Crystals.SharedPaths.RequireShared("pseudo");

    public static bool PwInstalled => CrystalActors.Tests.Shared.PwFactAttribute.Installed;


    public static string TempDir(string prefix)
    {
        var d = Path.Combine(Path.GetTempPath(), $"ca-{prefix}-{Guid.NewGuid():N}"[..24]);
        Directory.CreateDirectory(d);
        return d;
    }

    private static string? FindUp(Func<string, bool> found)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (found(d.FullName)) return d.FullName;
        return null;
    }
}
