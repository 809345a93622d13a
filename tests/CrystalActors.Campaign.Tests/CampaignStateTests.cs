using CrystalActors.Campaign;

namespace CrystalActors.Campaign.Tests;

public class CampaignStateTests
{
    private static EpisodeCompleted Episode(long n, string formula, double reward, double gap = 1.0) =>
        new(n, "gen-0", formula, reward, gap, 1, 1, "{}");

    [Fact]
    public void Apply_CountsEpisodesAndDftOutcomes_ForTheTable2Columns()
    {
        var s = new CampaignState();
        for (int i = 1; i <= 30; i++) s = s.Apply(Episode(i, $"F{i % 7}", i / 30.0));
        s = s.Apply(new DftRequested("job-1", 30, "F2", "{}", 1.1));
        s = s.Apply(new DftRequested("job-2", 30, "F3", "{}", 0.5));
        Assert.Equal(2, s.DftInFlight);
        s = s.Apply(new DftFinished("job-1", true, 1.3, -10, null, 40, null, false));
        s = s.Apply(new DftFinished("job-2", false, null, null, "scf_not_converged", 60, null, false));
        Assert.Equal(30, s.Episodes);
        Assert.Equal(2, s.DftRequestedCount);
        Assert.Equal(1, s.DftSucceeded);
        Assert.Equal(1, s.DftFailed);
        Assert.Equal(0, s.DftInFlight);
        Assert.Equal(1.3, s.MeanGapOfLast100Successes);
        Assert.Equal(50.0, s.SimulationSeconds.Average());
        Assert.Equal("scf_not_converged", s.FailureClasses["job-2"]);
    }

    [Fact]
    public void Apply_IsIdempotentForRepeatedRequestsAndResults()
    {
        var s = new CampaignState()
            .Apply(new DftRequested("job-1", 1, "NaCl", "{}", 4.0))
            .Apply(new DftRequested("job-1", 1, "NaCl", "{}", 4.0));
        Assert.Equal(1, s.DftRequestedCount);
        var done = new DftFinished("job-1", true, 5.0, -3, null, 10, null, false);
        s = s.Apply(done).Apply(done).Apply(new DftRequested("job-1", 1, "NaCl", "{}", 4.0));
        Assert.Equal(1, s.DftSucceeded);
        Assert.Equal(1, s.DftRequestedCount);
        Assert.Single(s.SuccessGaps);
    }

    [Fact]
    public void Best_KeepsTheTopDistinctFormulas_AndRecordsDftGaps()
    {
        var s = new CampaignState();
        for (int i = 1; i <= 40; i++) s = s.Apply(Episode(i, $"F{i}", i));
        s = s.Apply(Episode(41, "F40", 10)); // a worse repeat of a formula does not displace it
        Assert.Equal(CampaignState.BestKept, s.Best.Count);
        Assert.Equal(40, s.Best[0].Reward);
        Assert.Equal("F40", s.Best[0].Formula);
        s = s.Apply(new DftRequested("j", 40, "F40", "{}", 1)).Apply(new DftFinished("j", true, 1.25, -1, null, 1, null, false));
        Assert.Equal(1.25, s.Best[0].DftGapEv);
    }

    [Fact]
    public void MeanGap_UsesOnlyTheLast100Successes()
    {
        var s = new CampaignState();
        for (int i = 0; i < 150; i++)
        {
            s = s.Apply(new DftRequested($"j{i}", i, "X", "{}", null));
            s = s.Apply(new DftFinished($"j{i}", true, i < 50 ? 100 : 1, 0, null, 1, null, false));
        }
        Assert.Equal(1.0, s.MeanGapOfLast100Successes);
    }

    [Theory]
    [InlineData(30, 30, 10, 0, true, true)]
    [InlineData(29, 30, 10, 0, true, false)]   // before the first boundary
    [InlineData(31, 30, 10, 30, true, false)]  // this window already sent one
    [InlineData(31, 30, 10, 0, true, true)]    // episode 30 had > 5 elements: the next eligible one goes
    [InlineData(30, 30, 10, 0, false, false)]  // > 5 elements: never to DFT
    [InlineData(60, 30, 1, 30, true, false)]   // budget used
    [InlineData(7, 1, 10, 6, true, true)]      // Exp. 2: every episode
    public void ShouldRequestDft_OnePerWindowOfNEpisodes_EligibleWithinBudget(long episode, int every, long budget, long lastRequest, bool eligible, bool expected)
    {
        var s = new CampaignState();
        if (lastRequest > 0) s = s.Apply(new DftRequested("j", lastRequest, "X", "{}", null));
        Assert.Equal(expected, CampaignPolicy.ShouldRequestDft(s, episode, every, budget, eligible));
    }

    [Fact]
    public void StopCriteria_NameTheReason()
    {
        var stop = new StopCriteria(MaxEpisodes: 5, DftBudget: 1, WallTime: TimeSpan.FromMinutes(1));
        var s = new CampaignState();
        Assert.Null(stop.Reason(s, TimeSpan.Zero));
        Assert.Contains("wall-time", stop.Reason(s, TimeSpan.FromMinutes(2)));
        s = s.Apply(new DftRequested("j", 1, "X", "{}", null));
        Assert.Null(stop.Reason(s, TimeSpan.Zero)); // in flight: wait for it
        s = s.Apply(new DftFinished("j", false, null, null, "walltime", 1, null, false));
        Assert.Contains("DFT budget", stop.Reason(s, TimeSpan.Zero));
    }
}
