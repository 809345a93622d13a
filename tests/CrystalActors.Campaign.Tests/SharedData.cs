using CrystalActors.Crystals;

namespace CrystalActors.Campaign.Tests;

internal static class SharedData
{
    /// <summary>../shared next to the checkout (or CRYSTAL_ACTORS_SHARED).</summary>
    public static string Root => SharedPaths.RequireShared("reference");

    public static string File(params string[] parts) => System.IO.Path.Combine(new[] { Root }.Concat(parts).ToArray());
}
