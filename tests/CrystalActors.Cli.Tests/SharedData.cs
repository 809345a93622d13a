using CrystalActors.Crystals;

namespace CrystalActors.Cli.Tests;

internal static class SharedData
{
    /// <summary>../shared next to the checkout (or CRYSTAL_ACTORS_SHARED).</summary>
    public static string Root => SharedPaths.RequireShared("reference");

    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);
}
