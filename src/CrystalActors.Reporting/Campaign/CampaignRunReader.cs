using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrystalActors.Reporting.Csv;

namespace CrystalActors.Reporting.Campaign;

/// <summary>
/// Reads a campaign's run folder into a <see cref="CampaignRun"/>. The files are read by their field names, as pandas
/// would, rather than through the Campaign project's types: the report then works on folders written by older versions,
/// and the Campaign project (which writes report.html when a campaign ends) can depend on this one.
/// </summary>
public static class CampaignRunReader
{
    public const string DesignsFile = "designs.csv";
    public const string OptimumFile = "optimum.json";

    /// <summary>Sections of report.json that the report shows as figures and tables rather than as summary lines.</summary>
    private static readonly HashSet<string> NotSummary = ["campaign", "best", "failure_classes", "model_versions", "greedy"];

    public static CampaignRun Read(string directory)
    {
        var warnings = new List<string>();
        var config = ReadJson(Path.Combine(directory, RunFolder.CampaignConfig), warnings);
        var report = ReadJson(Path.Combine(directory, RunFolder.CampaignReport), warnings);
        var optimum = ReadJson(Path.Combine(directory, OptimumFile), warnings);
        var scalars = CsvTable.TryRead(Path.Combine(directory, RunFolder.Scalars), warnings) is { } s
            ? TaggedScalars.Read(s, warnings)
            : new Dictionary<string, Series>();
        var designs = CsvTable.TryRead(Path.Combine(directory, DesignsFile), warnings) is { } d ? Designs(d, directory, warnings) : null;
        var greedy = report?["greedy"] as JsonObject;
        return new CampaignRun(
            String(config, "name") ?? String(report, "campaign") ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory))),
            Number(config, "target_gap_ev"),
            scalars,
            report is not null,
            report is null ? [] : Summary(report),
            report?["best"] is JsonArray best ? Best(best, directory) : [],
            designs,
            (long?)Number(report, "dft_succeeded"),
            report is null ? null : FailureClasses(report["failure_classes"] as JsonObject),
            Optimum(Number(optimum, "reward"), String(optimum, "formula")) ?? Optimum(Number(greedy, "optimum_reward"), String(greedy, "optimum_formula")),
            warnings);
    }

    private static JsonObject? ReadJson(string path, ICollection<string> warnings)
    {
        if (!File.Exists(path)) return null;
        try
        {
            if (JsonNode.Parse(File.ReadAllText(path)) is JsonObject o) return o;
            warnings.Add($"{path}: not a JSON object; not used");
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            warnings.Add($"{path}: unreadable ({e.Message}); not used");
        }
        return null;
    }

    private static IReadOnlyList<SummaryItem> Summary(JsonObject report)
    {
        var items = new List<SummaryItem>();
        foreach (var (key, value) in report)
            if (!NotSummary.Contains(key) && Scalar(value) is { } text) items.Add(new SummaryItem(Label(key), text));
        if (report["model_versions"] is JsonObject models && models.Count > 0)
            items.Add(new SummaryItem("model versions", string.Join(", ", models.Select(m => $"{m.Key} v{Scalar(m.Value)}"))));
        if (report["greedy"] is JsonObject greedy)
            foreach (var (key, value) in greedy)
                if (Scalar(value) is { } text) items.Add(new SummaryItem("greedy: " + Label(key), text));
        return items;
    }

    /// <summary>report.json's snake_case keys as words, with the project's abbreviations spelt as in its tables.</summary>
    private static string Label(string key) => string.Join(' ', key.Split('_').Select(w => w switch
    {
        "dft" => "DFT",
        "ev" => "(eV)",
        "percent" or "pct" => "%",
        "90pct" => "90%",
        "last100" => "last 100",
        _ => w,
    }));

    private static string? Scalar(JsonNode? node) => node switch
    {
        null => "–",
        JsonValue v when v.TryGetValue<double>(out var x) => x == Math.Floor(x) && Math.Abs(x) < 1e15
            ? x.ToString("F0", CultureInfo.InvariantCulture)
            : x.ToString("G4", CultureInfo.InvariantCulture),
        JsonValue v when v.TryGetValue<string>(out var t) => t,
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "yes" : "no",
        _ => null,
    };

    private static List<DesignTableRow> Best(JsonArray best, string directory) => best.OfType<JsonObject>().Select(b =>
    {
        double? dftGap = Number(b, "dft_gap_ev");
        // report.json holds the CIF's absolute path when written; the folder may have moved since, so look in best/.
        var cif = String(b, "cif") is { } path ? Link(directory, Path.Combine("best", Path.GetFileName(path))) : null;
        return new DesignTableRow("best", (int?)Number(b, "rank"), (long)(Number(b, "episode") ?? 0), String(b, "formula") ?? "?",
            Number(b, "reward"), Number(b, "predicted_gap_ev"), dftGap, dftGap is null ? null : "ok", cif, null);
    }).ToList();

    private static List<DesignTableRow> Designs(CsvTable t, string directory, ICollection<string> warnings)
    {
        string?[] Col(string name) => t.Text(name) ?? new string?[t.Rows.Count];
        var (source, rank, episode, formula, reward) = (Col("source"), Col("top_rank"), Col("episode"), Col("formula"), Col("reward"));
        var (predicted, dft, status, cif, relaxed) = (Col("predicted_gap_ev"), Col("dft_gap_ev"), Col("dft_status"), Col("cif"), Col("relaxed_cif"));
        var rows = new List<DesignTableRow>();
        var bad = new List<int>();
        for (int i = 0; i < t.Rows.Count; i++)
        {
            if (CsvTable.ParseNumber(episode[i]) is not { } ep || string.IsNullOrEmpty(formula[i]))
            {
                bad.Add(t.Rows[i].Line);
                continue;
            }
            rows.Add(new DesignTableRow(source[i] ?? "", (int?)CsvTable.ParseNumber(rank[i]), (long)ep, formula[i]!,
                CsvTable.ParseNumber(reward[i]), CsvTable.ParseNumber(predicted[i]), CsvTable.ParseNumber(dft[i]),
                string.IsNullOrEmpty(status[i]) ? null : status[i], Link(directory, cif[i]), Link(directory, relaxed[i])));
        }
        if (bad.Count > 0) warnings.Add(CsvTable.SkippedLines(t.Path, bad, "no episode number or formula"));
        return rows;
    }

    private static Dictionary<string, int> FailureClasses(JsonObject? classes) =>
        classes?.Where(c => Number(c.Value) is not null).ToDictionary(c => c.Key, c => (int)Number(c.Value)!.Value) ?? [];

    private static Level? Optimum(double? reward, string? formula) =>
        reward is { } r ? new Level(formula is null ? "optimum" : $"optimum ({formula})", r) : null;

    /// <summary>A run-folder-relative path with '/' separators when that file exists, for an href; else null.</summary>
    private static string? Link(string directory, string? relative)
    {
        if (string.IsNullOrEmpty(relative) || Path.IsPathRooted(relative) || !File.Exists(Path.Combine(directory, relative))) return null;
        return relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    private static string? String(JsonObject? o, string key) =>
        o?[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static double? Number(JsonObject? o, string key) => Number(o?[key]);

    private static double? Number(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<double>(out var x) ? x : null;
}
