using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrystalActors.Reporting.Csv;

namespace CrystalActors.Reporting.Offline;

public static class OfflineRunReader
{
    public const string HeldoutFile = "heldout.csv";

    public static OfflineRun Read(string directory)
    {
        var warnings = new List<string>();
        return new OfflineRun(
            Name(directory),
            Options(Path.Combine(directory, RunFolder.OfflineOptions), warnings),
            CsvTable.TryRead(Path.Combine(directory, RunFolder.Scalars), warnings),
            CsvTable.TryRead(Path.Combine(directory, HeldoutFile), warnings),
            warnings);
    }

    /// <summary>Offline runs sit in nested folders (runs/table1/p2/bc/seed0): a bare "seed0" would say little.</summary>
    private static string Name(string directory)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        var parts = full.Split(Path.DirectorySeparatorChar);
        int runs = Array.LastIndexOf(parts, "runs");
        return runs >= 0 && runs < parts.Length - 1 ? string.Join('/', parts[(runs + 1)..]) : parts[^1];
    }

    private static List<SummaryItem> Options(string path, ICollection<string> warnings)
    {
        var items = new List<SummaryItem>();
        if (!File.Exists(path)) return items;
        try
        {
            if (JsonNode.Parse(File.ReadAllText(path)) is JsonObject o) Flatten(o, "", items);
            else warnings.Add($"{path}: not a JSON object; options not shown");
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            warnings.Add($"{path}: unreadable ({e.Message}); options not shown");
        }
        return items;
    }

    private static void Flatten(JsonObject o, string prefix, List<SummaryItem> into)
    {
        foreach (var (key, value) in o)
        {
            if (value is JsonObject inner) Flatten(inner, $"{prefix}{key}.", into);
            else into.Add(new SummaryItem(prefix + key, value switch
            {
                null => "–",
                JsonValue v when v.TryGetValue<double>(out var x) => x.ToString("G6", CultureInfo.InvariantCulture),
                _ => value.ToJsonString().Trim('"'),
            }));
        }
    }
}
