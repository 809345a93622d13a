using System.Text.Json;
using System.Text.Json.Serialization;
using CrystalActors.Crystals.Io;
using Spectre.Console;

namespace CrystalActors.Campaign.Reporting;

/// <summary>
/// The end-of-campaign report: the pipeline paper's Table 2 columns (% DFT calls, % DFT success,
/// mean DFT gap of the last 100 successes, mean simulation time) and the best crystals, written
/// as report.json and as CIF files that pymatgen, ASE and VESTA open.
/// </summary>
public sealed record CampaignReport(
    [property: JsonPropertyName("campaign")] string Campaign,
    [property: JsonPropertyName("stop_reason")] string StopReason,
    [property: JsonPropertyName("episodes")] long Episodes,
    [property: JsonPropertyName("dft_requested")] long DftRequested,
    [property: JsonPropertyName("dft_succeeded")] long DftSucceeded,
    [property: JsonPropertyName("dft_failed")] long DftFailed,
    [property: JsonPropertyName("percent_dft_calls")] double PercentDftCalls,
    [property: JsonPropertyName("percent_dft_success")] double? PercentDftSuccess,
    [property: JsonPropertyName("mean_dft_gap_last100_ev")] double? MeanDftGapLast100Ev,
    [property: JsonPropertyName("mean_simulation_seconds")] double? MeanSimulationSeconds,
    [property: JsonPropertyName("mean_reward_last100")] double MeanRewardLast100,
    [property: JsonPropertyName("failure_classes")] IReadOnlyDictionary<string, int> FailureClasses,
    [property: JsonPropertyName("model_versions")] IReadOnlyDictionary<string, long> ModelVersions,
    [property: JsonPropertyName("best")] IReadOnlyList<BestCrystalReport> Best,
    [property: JsonPropertyName("wall_seconds")] double WallSeconds)
{
    public static CampaignReport From(string campaign, CampaignState s, string stopReason, double wallSeconds, string cifDirectory) => new(
        campaign, stopReason, s.Episodes, s.DftRequestedCount, s.DftSucceeded, s.DftFailed,
        s.Episodes == 0 ? 0 : 100.0 * s.DftRequestedCount / s.Episodes,
        s.DftDone == 0 ? null : 100.0 * s.DftSucceeded / s.DftDone,
        s.MeanGapOfLast100Successes,
        s.SimulationSeconds.Count == 0 ? null : s.SimulationSeconds.Average(),
        s.MeanRecentReward,
        s.FailureClasses.Values.GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count()),
        s.Models.ToDictionary(m => m.Key, m => m.Value.Version),
        s.Best.Select((b, i) => new BestCrystalReport(i + 1, b.Formula, b.Reward, b.PredictedGapEv, b.DftGapEv, b.Episode,
            Path.Combine(cifDirectory, $"{i + 1:D2}_{b.Formula}.cif"))).ToList(),
        wallSeconds);

    /// <summary>Writes report.json and one CIF per best crystal into <paramref name="directory"/>.</summary>
    public void Write(string directory, CampaignState s)
    {
        Directory.CreateDirectory(directory);
        var cifDir = Path.GetDirectoryName(Best.FirstOrDefault()?.CifPath ?? Path.Combine(directory, "best", "x"))!;
        Directory.CreateDirectory(cifDir);
        for (int i = 0; i < Best.Count && i < s.Best.Count; i++)
        {
            var structure = Mp20JsonlReader.ParseLine(s.Best[i].StructureJson, "campaign journal").Structure!;
            CifWriter.WriteFile(structure, Best[i].CifPath);
        }
        File.WriteAllText(Path.Combine(directory, "report.json"), JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));
    }

    public void Print(IAnsiConsole console)
    {
        var t = new Table { Title = new TableTitle($"Campaign {Campaign}: {StopReason}") };
        t.AddColumn("episodes");
        t.AddColumn("% DFT calls");
        t.AddColumn("% DFT success");
        t.AddColumn("mean DFT gap, last 100 (eV)");
        t.AddColumn("mean simulation time (s)");
        t.AddColumn("mean reward, last 100");
        t.AddRow(Episodes.ToString(), $"{PercentDftCalls:F2}", PercentDftSuccess is { } p ? $"{p:F1}" : "-",
            MeanDftGapLast100Ev is { } g ? $"{g:F3}" : "-", MeanSimulationSeconds is { } m ? $"{m:F1}" : "-", $"{MeanRewardLast100:F3}");
        console.Write(t);
        var best = new Table { Title = new TableTitle("Best crystals") };
        foreach (var c in new[] { "#", "formula", "reward", "predicted gap (eV)", "DFT gap (eV)", "CIF" }) best.AddColumn(c);
        foreach (var b in Best)
            best.AddRow(b.Rank.ToString(), Markup.Escape(b.Formula), $"{b.Reward:F3}", b.PredictedGapEv is { } pg ? $"{pg:F3}" : "-",
                b.DftGapEv is { } dg ? $"{dg:F3}" : "-", Markup.Escape(b.CifPath));
        console.Write(best);
    }
}

public sealed record BestCrystalReport(
    [property: JsonPropertyName("rank")] int Rank,
    [property: JsonPropertyName("formula")] string Formula,
    [property: JsonPropertyName("reward")] double Reward,
    [property: JsonPropertyName("predicted_gap_ev")] double? PredictedGapEv,
    [property: JsonPropertyName("dft_gap_ev")] double? DftGapEv,
    [property: JsonPropertyName("episode")] long Episode,
    [property: JsonPropertyName("cif")] string CifPath);
