using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CsvHelper;

namespace CrystalActors.Learning.Offline;

/// <summary>One evaluated model of a sweep: its row label (e.g. "cql-1-10-3-w5"), seed, and metrics.json values.</summary>
public sealed record SweepResult(string Row, int Seed, IReadOnlyDictionary<string, double> Metrics);

/// <summary>Mean and sample standard deviation over seeds of one metric of one row (std 0 for a single seed).</summary>
public readonly record struct MeanStd(double Mean, double Std, int Count)
{
    public static MeanStd Of(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        double std = values.Count < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return new MeanStd(mean, std, values.Count);
    }
}

/// <summary>
/// The table of a sweep over reward settings and seeds (the offline paper's Table 1, and Table 3's post-simulation
/// columns): one row per model, each metric as mean ± std over seeds, rows in the order first seen. Pre-simulation
/// fractions are shown as percentages, like the paper.
/// </summary>
public static class SweepTable
{
    /// <summary>Columns: (metrics.json key, header, scale to display).</summary>
    public static readonly (string Key, string Header, double Scale)[] Columns =
    [
        ("accuracy", "accuracy %", 100), ("similarity", "similarity %", 100), ("validity", "validity %", 100),
        ("reconstruction", "reconstruction %", 100), ("mean_predicted_gap_ev", "predicted gap (eV)", 1),
        ("predicted_in_target_pct", "predicted in p̂ ± 0.25 %", 1), ("in_target_pct", "ν (DFT gap in p̂ ± 0.25) %", 1), ("kappa_pct", "κ %", 1),
        ("mean_gap_ev", "DFT gap (eV)", 1), ("emd_gap_ev", "EMD gap (eV)", 1), ("emd_energy_ev_per_atom", "EMD energy (eV/atom)", 1), ("dft_success_pct", "DFT success %", 1),
        ("dft_n", "DFT n", 1),
    ];

    public static IReadOnlyList<(string Row, int Seeds, IReadOnlyDictionary<string, MeanStd> Stats)> Summarize(IEnumerable<SweepResult> results) =>
        results.GroupBy(r => r.Row).Select(g =>
        {
            var stats = new Dictionary<string, MeanStd>();
            foreach (var (key, _, _) in Columns)
            {
                var values = g.Where(r => r.Metrics.ContainsKey(key)).Select(r => r.Metrics[key]).ToList();
                if (values.Count > 0) stats[key] = MeanStd.Of(values);
            }
            return (g.Key, g.Select(r => r.Seed).Distinct().Count(), (IReadOnlyDictionary<string, MeanStd>)stats);
        }).ToList();

    /// <summary>Reads <c>&lt;root&gt;/&lt;row&gt;/seed&lt;S&gt;/metrics.json</c> files (the layout scripts/table1.sh writes).</summary>
    public static List<SweepResult> Read(string root)
    {
        var results = new List<SweepResult>();
        foreach (var rowDir in Directory.GetDirectories(root).OrderBy(d => d, StringComparer.Ordinal))
            foreach (var seedDir in Directory.GetDirectories(rowDir, "seed*").OrderBy(d => d, StringComparer.Ordinal))
            {
                var file = Path.Combine(seedDir, "metrics.json");
                if (!File.Exists(file) || !int.TryParse(Path.GetFileName(seedDir)[4..], out int seed)) continue;
                var json = JsonNode.Parse(File.ReadAllText(file))?.AsObject()
                           ?? throw new InvalidDataException($"{file}: not a JSON object");
                var metrics = new Dictionary<string, double>();
                foreach (var (k, v) in json)
                    if (v is JsonValue value && value.TryGetValue<double>(out var d)) metrics[k] = d;
                results.Add(new SweepResult(Path.GetFileName(rowDir), seed, metrics));
            }
        return results;
    }

    public static string Markdown(IReadOnlyList<(string Row, int Seeds, IReadOnlyDictionary<string, MeanStd> Stats)> rows)
    {
        var used = Columns.Where(c => rows.Any(r => r.Stats.ContainsKey(c.Key))).ToList();
        var sb = new StringBuilder();
        sb.Append("| model | seeds | ").AppendJoin(" | ", used.Select(c => c.Header)).Append(" |\n");
        sb.Append("|---|---|").Append(string.Concat(used.Select(_ => "---|"))).Append('\n');
        foreach (var (row, seeds, stats) in rows)
        {
            sb.Append("| ").Append(row).Append(" | ").Append(seeds).Append(" | ");
            sb.AppendJoin(" | ", used.Select(c => stats.TryGetValue(c.Key, out var m)
                ? string.Create(CultureInfo.InvariantCulture, $"{m.Mean * c.Scale:F2} ± {m.Std * c.Scale:F2}") : "-"));
            sb.Append(" |\n");
        }
        return sb.ToString();
    }

    /// <summary>The table as CSV: model, seeds, then mean and std of each metric (empty where a row lacks it).</summary>
    public static string Csv(IReadOnlyList<(string Row, int Seeds, IReadOnlyDictionary<string, MeanStd> Stats)> rows)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var csv = CsvWriter.Create(text, CsvWriterOptions.Default, leaveOpen: true))
        {
            csv.WriteHeader(["model", "seeds", .. Columns.SelectMany(c => new[] { c.Key + "_mean", c.Key + "_std" })]);
            foreach (var (row, seeds, stats) in rows)
                csv.WriteRecord([row, seeds.ToString(CultureInfo.InvariantCulture), .. Columns.SelectMany(c => stats.TryGetValue(c.Key, out var m)
                    ? new[] { (m.Mean * c.Scale).ToString("R", CultureInfo.InvariantCulture), (m.Std * c.Scale).ToString("R", CultureInfo.InvariantCulture) }
                    : ["", ""])]);
        }
        return text.ToString();
    }
}
