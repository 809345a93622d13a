using CrystalActors.Campaign.Reporting;
using CrystalActors.Campaign.Roles;

namespace CrystalActors.Campaign.Tests.Reporting;

/// <summary>Which scalars each event of a campaign writes, and at which step (issue #19: curves at their true steps).</summary>
public class CampaignCurvesTests
{
    private static EpisodeCompleted Episode(long n, double reward, long policy = 1, int steps = 3) =>
        new(n, "gen-0", "NaCl", reward, 1.0, policy, 0, "{}", steps, n);

    /// <summary>48 episodes; episode 24's design went to DFT (job c-e24), then DFT ended long after, at episode 48.</summary>
    private static CampaignState State(bool finished = true)
    {
        var s = new CampaignState();
        for (int i = 1; i <= 48; i++)
        {
            s = s.Apply(Episode(i, 0.5));
            if (i == 24) s = s.Apply(new DftRequested("c-e24", 24, "NaCl", "{}", 1.5, 0.5));
        }
        return finished ? s.Apply(new DftFinished("c-e24", true, 1.2, -10, null, 33, null, false)) : s;
    }

    private static Dictionary<string, ScalarPoint> ByTag(IEnumerable<ScalarPoint> points) => points.ToDictionary(p => p.Tag);

    [Fact]
    public void Dft_ASuccess_IsPlottedAtItsDesignsEpisode_WithGapAndPredictionError()
    {
        var design = State().Designs.Single();
        var points = ByTag(CampaignCurves.Dft(design.Request, design.Result));
        Assert.All(points.Values, p => Assert.Equal(24, p.Step));
        Assert.Equal(["dft/gap_error_ev", "dft/gap_ev", "dft/predicted_gap_ev", "dft/success", "dft/wall_seconds"], points.Keys.Order());
        Assert.Equal(1, points["dft/success"].Value);
        Assert.Equal(33, points["dft/wall_seconds"].Value);
        Assert.Equal(1.2, points["dft/gap_ev"].Value);
        Assert.Equal(1.5, points["dft/predicted_gap_ev"].Value);
        Assert.Equal(0.3, points["dft/gap_error_ev"].Value, 12);
    }

    [Fact]
    public void Dft_AFailure_CountsUnderItsClass_WithoutAGap()
    {
        var request = new DftRequested("c-e7", 7, "KBr", "{}", null);
        var points = ByTag(CampaignCurves.Dft(request, new DftFinished("c-e7", false, null, null, "farm: lease lost after 3 attempts", 60, null, false)));
        Assert.Equal(["dft/failure/farm", "dft/success", "dft/wall_seconds"], points.Keys.Order());
        Assert.All(points.Values, p => Assert.Equal(7, p.Step));
        Assert.Equal((1.0, 0.0, 60.0), (points["dft/failure/farm"].Value, points["dft/success"].Value, points["dft/wall_seconds"].Value));
        Assert.Equal("ScfNotConverged", CampaignCurves.FailureTag("ScfNotConverged"));
        Assert.Equal("unknown", CampaignCurves.FailureTag(null));
    }

    [Fact]
    public void FineTune_IsPlottedAtTheEpisodeOfTheDesignWhoseDftResultStartedIt()
    {
        var tuned = new RewardModelTuned("c-e24", 3, DftGapEv: 1.2, PredictedGapBeforeEv: 1.5, PredictedGapAfterEv: 1.3, LossBefore: 0.026, LossAfter: 0.003);
        var points = ByTag(CampaignCurves.FineTune(State(), tuned));
        Assert.Equal(["finetune/error_after_ev", "finetune/error_before_ev", "finetune/loss_after", "finetune/loss_before", "finetune/version"], points.Keys.Order());
        Assert.All(points.Values, p => Assert.Equal(24, p.Step));
        Assert.Equal(3, points["finetune/version"].Value);
        Assert.Equal(0.026, points["finetune/loss_before"].Value);
        Assert.Equal(0.003, points["finetune/loss_after"].Value);
        Assert.Equal(0.3, points["finetune/error_before_ev"].Value, 12);
        Assert.Equal(0.1, points["finetune/error_after_ev"].Value, 12);
        // A job still in flight in this incarnation's view, and one the journal never saw (the campaign's latest episode).
        Assert.All(CampaignCurves.FineTune(State(finished: false), tuned), p => Assert.Equal(24, p.Step));
        Assert.All(CampaignCurves.FineTune(State(), tuned with { JobId = "other" }), p => Assert.Equal(48, p.Step));
    }

    [Fact]
    public void Batch_IsPlottedAtItsLastEpisode_WithRewardComponentMeans()
    {
        var s = new CampaignState();
        for (int i = 1; i <= 8; i++) s = s.Apply(Episode(i, i / 8.0, policy: i <= 4 ? 1 : 0));
        var batch = new EpisodesPlayed("n/gen-0#1", 1, [], [], [], 0, 0.5, 24,
            new Dictionary<string, double[]> { ["energy"] = [-0.2, -0.4], ["target_gap"] = [1.0, 0.5] });
        var points = ByTag(CampaignCurves.Batch(s, 0.75, batch, stepsPerSecond: 120));
        Assert.All(points.Values, p => Assert.Equal(8, p.Step));
        Assert.Equal(0.75, points["charts/epsilon"].Value);
        Assert.Equal(4.5 / 8, points["charts/mean_reward_last100"].Value, 12);
        Assert.Equal(s.MeanPolicyLag, points["charts/policy_lag_mean"].Value);
        Assert.Equal(120, points["charts/steps_per_second"].Value);
        Assert.Equal(-0.3, points["reward/energy"].Value, 12);
        Assert.Equal(0.75, points["reward/target_gap"].Value, 12);
        Assert.DoesNotContain("charts/steps_per_second", CampaignCurves.Batch(s, 0.75, batch, null).Select(p => p.Tag));
    }

    [Fact]
    public void Learner_AndGreedy_AreAtTheirOwnEpisodeCounts()
    {
        var learner = CampaignCurves.Learner(new LearnerStats(5, new Dictionary<string, double> { ["losses/td"] = 0.1, ["charts/mean_q"] = 0.4 }, 160));
        Assert.Equal([(160L, "learner/charts/mean_q", 0.4), (160L, "learner/losses/td", 0.1)], learner.Select(p => (p.Step, p.Tag, p.Value)));
        var greedy = CampaignCurves.Greedy(new GreedyEvaluated(256, 768, 0.8, 0.99, "NaCl", 1.1, 4));
        Assert.Equal([(256L, "greedy/mean_reward", 0.8), (256L, "greedy/best_reward", 0.99)], greedy.Select(p => (p.Step, p.Tag, p.Value)));
    }

    [Fact]
    public void HyperparameterTable_FlattensTheConfig_OneRowPerKey()
    {
        var table = CampaignCurves.HyperparameterTable("""{"name":"smoke","seed":0,"dqn":{"batch_size":64,"lr":0.0005},"vocabulary":["Li","O"],"initial_policy":null}""");
        Assert.Equal("|parameter|value|\n|-|-|\n|name|smoke|\n|seed|0|\n|dqn.batch_size|64|\n|dqn.lr|0.0005|\n|vocabulary|[\"Li\",\"O\"]|\n|initial_policy|null|\n", table);
    }
}
