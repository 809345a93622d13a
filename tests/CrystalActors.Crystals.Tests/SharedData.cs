namespace CrystalActors.Crystals.Tests;

/// <summary>Locates ../shared: $CRYSTAL_ACTORS_SHARED, or the first ancestor of the test assembly directory
/// that has a "shared" folder (the repository sits next to shared/).</summary>
internal static class SharedData
{
    private static readonly Lazy<string> Root = new(Find);

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root.Value, .. parts]);

    public static string Mp20Val => Path("data", "mp20", "mp20_val.jsonl.gz");
    public static string Mp20ValCsv => Path("data", "mp20", "mp20_val_cif.csv.gz");

    private static string Find() => SharedPaths.RequireShared("data");
}
