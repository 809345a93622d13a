using System.Globalization;
using System.Text;
using System.Text.Json;
using CrystalActors.Crystals.Io;

namespace CrystalActors.Learning.Clusters;

/// <summary>
/// The README's comparison table of several seeds of one cluster config (`clusters report`): reads
/// &lt;runs&gt;/&lt;config&gt;-seed&lt;N&gt;/summary.json and &lt;method&gt;/isomers.xyz, and writes per method the lowest energy (best
/// seed, and mean ± sd over seeds), the unique minima and those within <c>window</c> eV of the lowest energy any method
/// found in any seed.
/// </summary>
public static class ClusterReport
{
    private sealed record MethodRun(string Method, int Seed, double[] Energies, long Evaluations, double Seconds);

    public static string Markdown(string runsDirectory, string config, double windowEv = 0.1)
    {
        var runs = Directory.Exists(runsDirectory)
            ? Directory.GetDirectories(runsDirectory, $"{config}-seed*").Where(d => File.Exists(Path.Combine(d, "summary.json"))).Order(StringComparer.Ordinal).ToList()
            : [];
        if (runs.Count == 0) throw new FileNotFoundException($"{runsDirectory}: no {config}-seed<N>/summary.json (run `clusters run --config ... --seed N` first)");
        var all = new List<MethodRun>();
        foreach (var dir in runs)
        {
            int seed = int.Parse(dir[(dir.LastIndexOf("-seed", StringComparison.Ordinal) + 5)..], CultureInfo.InvariantCulture);
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            foreach (var m in summary.RootElement.GetProperty("methods").EnumerateArray())
            {
                var method = m.GetProperty("method").GetString()!;
                var energies = ExtendedXyz.ReadMolecules(Path.Combine(dir, method, "isomers.xyz"))
                    .Select(f => f.Energy ?? throw new InvalidDataException($"{dir}/{method}/isomers.xyz: a frame without energy")).ToArray();
                all.Add(new MethodRun(method, seed, energies, m.GetProperty("evaluations").GetInt64(), m.GetProperty("seconds").GetDouble()));
            }
        }
        double global = all.Where(r => r.Energies.Length > 0).Min(r => r.Energies.Min());
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"### {config}  (global lowest over all methods and seeds: {global:F4} eV)\n");
        sb.Append($"| method | seeds | evaluations/run | lowest E (eV), best seed | lowest E, mean ± sd over seeds | unique minima (mean) | within {windowEv.ToString(inv)} eV of global lowest (mean) | s/run |\n");
        sb.Append("|---|---|---|---|---|---|---|---|\n");
        foreach (var method in all.Select(r => r.Method).Distinct())
        {
            var rs = all.Where(r => r.Method == method && r.Energies.Length > 0).ToList();
            var mins = rs.Select(r => r.Energies.Min()).ToArray();
            double mean = mins.Average();
            double sd = mins.Length > 1 ? Math.Sqrt(mins.Sum(x => (x - mean) * (x - mean)) / (mins.Length - 1)) : 0; // sample sd, as statistics.stdev
            sb.Append(inv, $"| {method} | {rs.Count} | {rs.Max(r => r.Evaluations)} | {mins.Min():F4} | {mean:F4} ± {sd:F4} | ");
            sb.Append(inv, $"{rs.Average(r => r.Energies.Length):F1} | {rs.Average(r => r.Energies.Count(e => e <= global + windowEv)):F1} | {rs.Average(r => r.Seconds):F0} |\n");
        }
        return sb.ToString();
    }
}
