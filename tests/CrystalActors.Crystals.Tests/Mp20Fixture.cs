using CrystalActors.Crystals.Io;

namespace CrystalActors.Crystals.Tests;

/// <summary>The MP-20 val split, loaded once per test run (9047 crystals, ~1 s).</summary>
internal static class Mp20Val
{
    private static readonly Lazy<IReadOnlyList<Mp20Record>> s_records = new(() =>
    {
        var bad = new List<CrystalFormatException>();
        var list = Mp20JsonlReader.Read(SharedData.Mp20Val, bad.Add).ToList();
        if (bad.Count > 0) throw new InvalidDataException($"val split has bad rows: {bad[0].Message}");
        return list;
    });

    private static readonly Lazy<string[]> s_lines = new(() =>
    {
        using var r = DataFile.OpenText(SharedData.Mp20Val);
        return r.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    });

    public static IReadOnlyList<Mp20Record> Records => s_records.Value;
    public static string[] Lines => s_lines.Value;
}
