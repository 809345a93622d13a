using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;

namespace CrystalActors.Learning.Tests;

/// <summary>Locates ../shared (next to the repository) by walking up from the test assembly, or CRYSTAL_ACTORS_SHARED.</summary>
public static class TestData
{
    private static readonly Lazy<string> Shared = new(Find);

    public static string SharedDir => Shared.Value;

    public static string Mp20Val => Path.Combine(SharedDir, "data", "mp20", "mp20_val.jsonl.gz");

    private static string Find() => SharedPaths.RequireShared(Path.Combine("data", "mp20"));

    /// <summary>The first <paramref name="count"/> records of the MP-20 validation file that satisfy <paramref name="keep"/>.</summary>
    public static List<Mp20Record> Mp20Records(int count, Func<Mp20Record, bool>? keep = null) =>
        Mp20JsonlReader.Read(Mp20Val).Where(r => keep?.Invoke(r) ?? true).Take(count).ToList();
}
