using System.Text;
using System.Text.Json.Nodes;
using CrystalActors.Campaign.Roles;

namespace CrystalActors.Campaign.Reporting;

/// <summary>One point of a learning curve: <paramref name="Value"/> of <paramref name="Tag"/> at <paramref name="Step"/>.</summary>
public readonly record struct ScalarPoint(long Step, string Tag, double Value);

/// <summary>
/// What the coordinator writes to scalars.csv and TensorBoard for each thing that happens, and at which step. The x-axis
/// of every campaign curve is the episode number, and each figure sits at the episode it belongs to, not at the episode
/// count of the moment it reached the coordinator (a DFT job ends, and a fine-tuning round follows, long after its design
/// was played; in a short campaign every result arrives after the last episode):
/// <list type="bullet">
/// <item><c>charts/episode_reward</c>: each episode at its number.</item>
/// <item>per batch of episodes, at its last journaled episode: <c>charts/epsilon</c> (GRPO: the sampling temperature),
/// <c>charts/mean_reward_last100</c>, <c>charts/policy_lag_mean</c>, <c>charts/steps_per_second</c> (environment steps per
/// second since this coordinator started) and <c>reward/&lt;component&gt;</c> (batch means of a multi-objective reward's parts).</item>
/// <item><c>dft/*</c>: at the episode of the design the job computed.</item>
/// <item><c>finetune/*</c>: at the episode of the design whose DFT result started the round.</item>
/// <item><c>learner/*</c>: at the number of episodes the learner had trained on.</item>
/// <item><c>greedy/*</c>: at the episode count that triggered the evaluation.</item>
/// </list>
/// </summary>
public static class CampaignCurves
{
    public static ScalarPoint Episode(EpisodeCompleted e) => new(e.Episode, "charts/episode_reward", e.Reward);

    /// <summary>The figures of a batch of episodes, once its episodes are journaled (<paramref name="s"/> includes them).</summary>
    /// <param name="stepsPerSecond">Environment steps per second, or null when not yet measurable.</param>
    public static IReadOnlyList<ScalarPoint> Batch(CampaignState s, double epsilon, EpisodesPlayed batch, double? stepsPerSecond)
    {
        long step = s.Episodes;
        var points = new List<ScalarPoint>
        {
            new(step, "charts/epsilon", epsilon),
            new(step, "charts/mean_reward_last100", s.MeanRecentReward),
            new(step, "charts/policy_lag_mean", s.MeanPolicyLag),
        };
        if (stepsPerSecond is { } sps) points.Add(new(step, "charts/steps_per_second", sps));
        foreach (var (name, values) in (batch.RewardComponents ?? new Dictionary<string, double[]>()).OrderBy(c => c.Key, StringComparer.Ordinal))
            if (values.Length > 0) points.Add(new(step, $"reward/{name}", values.Average()));
        return points;
    }

    /// <summary>
    /// A DFT job's figures at its design's episode: <c>dft/success</c> (1 or 0), <c>dft/wall_seconds</c> (pw.x's wall time over
    /// all attempts; 0 for a result from the cache), <c>dft/predicted_gap_ev</c> (the reward model's gap when the design was played), and either
    /// <c>dft/gap_ev</c> and <c>dft/gap_error_ev</c> (predicted − DFT) or <c>dft/failure/&lt;class&gt;</c> = 1.
    /// </summary>
    public static IReadOnlyList<ScalarPoint> Dft(DftRequested request, DftFinished result)
    {
        long step = request.Episode;
        var points = new List<ScalarPoint>
        {
            new(step, "dft/success", result.Success ? 1 : 0),
            new(step, "dft/wall_seconds", result.SimulationSeconds),
        };
        if (request.PredictedGapEv is { } predicted) points.Add(new(step, "dft/predicted_gap_ev", predicted));
        if (result.Success && result.GapEv is { } gap)
        {
            points.Add(new(step, "dft/gap_ev", gap));
            if (request.PredictedGapEv is { } p) points.Add(new(step, "dft/gap_error_ev", p - gap));
        }
        else points.Add(new(step, $"dft/failure/{FailureTag(result.FailureClass)}", 1));
        return points;
    }

    /// <summary>A failure class as a tag: its name before any detail ("farm: lease expired" is "farm").</summary>
    public static string FailureTag(string? failureClass)
    {
        var name = (failureClass ?? "unknown").Split(':', 2)[0].Trim();
        return name.Length == 0 ? "unknown" : name;
    }

    /// <summary>
    /// A fine-tuning round's figures at the episode of the design whose DFT result started it (the campaign's latest
    /// episode when the journal no longer knows the job): <c>finetune/version</c>, <c>finetune/loss_before</c> and
    /// <c>finetune/loss_after</c> (MSE of the normalised gap on the new sample, before the first and after the last
    /// step), <c>finetune/error_before_ev</c> and <c>finetune/error_after_ev</c> (the parent's and the new version's
    /// predicted gap minus the DFT gap).
    /// </summary>
    public static IReadOnlyList<ScalarPoint> FineTune(CampaignState s, RewardModelTuned t)
    {
        long step = s.Designs.FirstOrDefault(d => d.Request.JobId == t.JobId)?.Request.Episode
                    ?? s.InFlight.GetValueOrDefault(t.JobId)?.Episode ?? s.Episodes;
        return
        [
            new(step, "finetune/version", t.Version),
            new(step, "finetune/loss_before", t.LossBefore),
            new(step, "finetune/loss_after", t.LossAfter),
            new(step, "finetune/error_before_ev", t.PredictedGapBeforeEv - t.DftGapEv),
            new(step, "finetune/error_after_ev", t.PredictedGapAfterEv - t.DftGapEv),
        ];
    }

    /// <summary>The learner's figures under learner/, at the number of episodes it had trained on.</summary>
    public static IReadOnlyList<ScalarPoint> Learner(LearnerStats l) =>
        l.Scalars.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new ScalarPoint(l.Episodes, $"learner/{kv.Key}", kv.Value)).ToList();

    public static IReadOnlyList<ScalarPoint> Greedy(GreedyEvaluated g) =>
        [new(g.Episode, "greedy/mean_reward", g.MeanReward), new(g.Episode, "greedy/best_reward", g.BestReward)];

    /// <summary>
    /// The run's configuration as a Markdown table of <c>key.path | value</c> rows (lists inline as JSON), for
    /// TensorBoard's Text tab (tag <c>hyperparameters</c>, as CleanRL records its arguments).
    /// </summary>
    public static string HyperparameterTable(string configJson)
    {
        var sb = new StringBuilder("|parameter|value|\n|-|-|\n");
        void Walk(string path, JsonNode? node)
        {
            if (node is JsonObject o)
                foreach (var (key, child) in o) Walk(path.Length == 0 ? key : $"{path}.{key}", child);
            else
            {
                var text = node is JsonValue v && v.TryGetValue<string>(out var str) ? str : node?.ToJsonString() ?? "null";
                sb.Append('|').Append(path).Append('|').Append(text.Replace("|", "\\|")).Append("|\n");
            }
        }
        Walk("", JsonNode.Parse(configJson));
        return sb.ToString();
    }
}
