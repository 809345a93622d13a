using CrystalActors.Learning.Environments.Skeletons;
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
    [property: JsonPropertyName("wall_seconds")] double WallSeconds,
    [property: JsonPropertyName("greedy")] GreedyReportSection? Greedy = null,
    [property: JsonPropertyName("policy_lag_mean")] double PolicyLagMean = 0,
    [property: JsonPropertyName("policy_lag_max")] long PolicyLagMax = 0)
{
    public static CampaignReport From(string campaign, CampaignState s, string stopReason, double wallSeconds, string cifDirectory,
        OptimumResult? optimum = null) => new(
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
        wallSeconds, GreedyReportSection.From(s, optimum), s.MeanPolicyLag, s.PolicyLagMax);

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
        AtomicFile.WriteAllText(Path.Combine(directory, "report.json"), JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>A report.json written by <see cref="Write"/>; null when it is missing or unreadable.</summary>
    public static CampaignReport? TryRead(string path)
    {
        try { return JsonSerializer.Deserialize<CampaignReport>(File.ReadAllText(path)); }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { return null; }
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
        if (Greedy is { } greedy)
        {
            var opt = greedy.OptimumReward is { } o ? FormattableString.Invariant($"; optimum under the reward model {o:F4} ({greedy.OptimumFormula})") : "";
            var reached = greedy.StepsTo90PercentOfOptimum is { } st
                ? FormattableString.Invariant($"; reached 90% of the optimum after {st} environment steps ({greedy.EpisodesTo90PercentOfOptimum} episodes)")
                : greedy.OptimumReward is null ? "" : "; the mean over orders has not reached 90% of the optimum";
            if (greedy.BestOrderStepsTo90PercentOfOptimum is { } bo && bo != greedy.StepsTo90PercentOfOptimum)
                reached += FormattableString.Invariant($"; best order reached 90% after {bo} steps");
            if (greedy.BestPolicyVersion is { } bv)
                reached += FormattableString.Invariant($"; best policy v{bv} ({greedy.BestPolicyFormula}, after {greedy.BestPolicySteps} steps) in best-policy.safetensors");
            console.MarkupLine(Markup.Escape(FormattableString.Invariant(
                $"Greedy policy: final mean reward {greedy.FinalMeanReward:F4}, best {greedy.BestMeanReward:F4} ({greedy.Evaluations} evaluations){opt}{reached}")));
        }
    }
}

/// <summary>What a live progress display shows; the coordinator's answer to <see cref="Roles.GetProgress"/> (from any node).</summary>
/// <param name="StopReason">Set once the campaign has finished (report written).</param>
[Runtime.Messages.MessageContract("campaign.progress")]
public sealed record CampaignProgress(
    string Campaign, long Episodes, long MaxEpisodes, double Epsilon, double MeanRewardLast100,
    long DftInFlight, long DftSucceeded, long DftFailed, long DftBudget, IReadOnlyDictionary<string, long> ModelVersions,
    double? GreedyMeanReward, TimeSpan Elapsed, string? StopReason = null, double MeanPolicyLag = 0) : Runtime.Messages.IWireMessage
{
    public bool Finished => StopReason is not null;

    public static CampaignProgress From(CampaignOptions options, CampaignState s, double epsilon, TimeSpan elapsed, string? stopReason = null) => new(
        options.Name, s.Episodes, options.Episodes, epsilon, s.MeanRecentReward, s.DftInFlight, s.DftSucceeded, s.DftFailed,
        options.DftEvery == 0 ? 0 : options.DftBudget, s.Models.ToDictionary(m => m.Key, m => m.Value.Version),
        s.Greedy.Count == 0 ? null : s.Greedy[^1].MeanReward, elapsed, stopReason, s.MeanPolicyLag);
}

/// <summary>How the greedy policy did (Exp. 1's acceptance): last and best mean reward, and when it first reached 90% of the optimum.</summary>
public sealed record GreedyReportSection(
    [property: JsonPropertyName("evaluations")] int Evaluations,
    [property: JsonPropertyName("final_mean_reward")] double FinalMeanReward,
    [property: JsonPropertyName("final_best_formula")] string FinalBestFormula,
    [property: JsonPropertyName("best_mean_reward")] double BestMeanReward,
    [property: JsonPropertyName("optimum_reward")] double? OptimumReward,
    [property: JsonPropertyName("optimum_formula")] string? OptimumFormula,
    [property: JsonPropertyName("optimum_gap_ev")] double? OptimumGapEv,
    [property: JsonPropertyName("steps_to_90pct_of_optimum")] long? StepsTo90PercentOfOptimum,
    [property: JsonPropertyName("episodes_to_90pct_of_optimum")] long? EpisodesTo90PercentOfOptimum,
    [property: JsonPropertyName("best_order_steps_to_90pct_of_optimum")] long? BestOrderStepsTo90PercentOfOptimum = null,
    [property: JsonPropertyName("best_policy_version")] long? BestPolicyVersion = null,
    [property: JsonPropertyName("best_policy_steps")] long? BestPolicySteps = null,
    [property: JsonPropertyName("best_policy_formula")] string? BestPolicyFormula = null)
{
    public static GreedyReportSection? From(CampaignState s, OptimumResult? optimum)
    {
        if (s.Greedy.Count == 0) return null;
        // Mean over every breadth-first order (strict), and the best order's greedy design.
        var first = optimum is null ? null : s.Greedy.FirstOrDefault(g => g.MeanReward >= 0.9 * optimum.Reward);
        var firstBest = optimum is null ? null : s.Greedy.FirstOrDefault(g => g.BestReward >= 0.9 * optimum.Reward);
        var top = s.Greedy.MaxBy(g => g.MeanReward)!; // the first of equals: best-policy.safetensors holds that one
        return new GreedyReportSection(s.Greedy.Count, s.Greedy[^1].MeanReward, s.Greedy[^1].BestFormula, top.MeanReward,
            optimum?.Reward, optimum?.Formula, optimum?.GapEv, first?.EnvironmentSteps, first?.Episode, firstBest?.EnvironmentSteps,
            top.PolicyVersion, top.EnvironmentSteps, top.BestFormula);
    }
}

/// <summary>optimum.json in a run directory: the result of <see cref="Design.OptimumSearch"/>.</summary>
public static class OptimumFile
{
    public const string FileName = "optimum.json";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static void Write(string runDirectory, OptimumResult result)
    {
        Directory.CreateDirectory(runDirectory);
        var path = Path.Combine(runDirectory, FileName);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(result, Json));
    }

    public static OptimumResult? TryRead(string runDirectory)
    {
        var path = Path.Combine(runDirectory, FileName);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<OptimumResult>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not an optimum file ({e.Message})", e); }
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
