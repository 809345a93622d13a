using CrystalActors.Learning.Dqn;
using CrystalActors.Campaign.Roles;
using CrystalActors.Crystals;
using CrystalActors.Runtime.Messages;

namespace CrystalActors.Campaign.Tests.Roles;

/// <summary>The coordinator's decisions as a pure function: Handle(state, input) -> (state, events, effects).</summary>
public class CampaignCoordinatorTests
{
    private static readonly CampaignOptions Options = new()
    {
        Name = "t", Episodes = 10, DftEvery = 4, DftBudget = 2, GreedyEvalEvery = 5,
        RewardModel = new RewardModelOptions { FinetuneSteps = 3 },
    };

    private static readonly Structure KCl = Structure.FromSpecies(Lattice.Cubic(6.29),
        [Element.FromSymbol("K"), Element.FromSymbol("Cl")], [new Vec3(0, 0, 0), new Vec3(0.5, 0.5, 0.5)], "kcl");

    private static EpisodeRecord Record(long policyVersion = 1) =>
        new(0, [new EpisodeStep([88, 88], 0, 18, 1), new EpisodeStep([18, 88], 1, 16, 255)], policyVersion, KCl);

    private static EpisodesPlayed Batch(string gen, long batch, int n, long policyVersion = 1) =>
        new(gen, batch, Enumerable.Range(0, n).Select(_ => Record(policyVersion)).ToList(), Enumerable.Repeat(0.5, n).ToArray(),
            Enumerable.Repeat<double?>(1.0, n).ToArray(), 1, 0.9, 0);

    /// <summary>A DFT result as the DFT worker writes it.</summary>
    private static string Result(double gap) => System.Text.Json.JsonSerializer.Serialize(new Dft.DftResult
    {
        Formula = "KCl", NumSites = 2, Protocol = "sssp", ProtocolHash = "h", Fingerprint = "f", Status = "ok",
        FailureClass = Dft.Handlers.DftFailureClass.None, BandGapEv = gap, TotalEnergyEv = -20, WallSeconds = 12,
    }, DftJobExecutor.ResultJson);

    private static CoordinatorDecision Handle(CoordinatorState s, CoordinatorInput input) => CampaignCoordinator.Handle(s, input, Options);

    [Fact]
    public void Episodes_AreNumberedAndJournaled_OneDftRequestPerWindow_WithLearnerAndFarmEffects()
    {
        var d = Handle(CoordinatorState.Initial, new EpisodesArrived(Batch("g#1", 1, 8)));
        Assert.Equal(8, d.Events.OfType<EpisodeCompleted>().Count());
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), d.Events.OfType<EpisodeCompleted>().Select(e => e.Episode));
        // dft_every 4: episodes 4 and 8 go to DFT.
        Assert.Equal(["t-e4", "t-e8"], d.Events.OfType<DftRequested>().Select(r => r.JobId));
        var submits = d.Effects.OfType<SubmitToFarm>().Select(s => s.Job).ToList();
        Assert.Equal(["t-e4", "t-e8"], submits.Select(j => j.JobId));
        Assert.Equal(["relax", "dft"], submits[0].Stages);
        Assert.Equal(2, d.Effects.OfType<SendToLearner>().Count(e => e.Message is EpisodeForDft));
        Assert.Equal(8, d.State.Campaign.Episodes);
        // Greedy evaluation every 5 episodes: 0 -> 8 crosses 5.
        Assert.Single(d.Effects.OfType<RequestGreedyEvaluation>());
    }

    [Fact]
    public void ReSentBatch_IsNotCountedTwice()
    {
        var s = Handle(CoordinatorState.Initial, new EpisodesArrived(Batch("g#1", 1, 3))).State;
        var again = Handle(s, new EpisodesArrived(Batch("g#1", 1, 3)));
        Assert.Empty(again.Events);
        Assert.Equal(3, again.State.Campaign.Episodes);
        // Another generator's batch 1 is new.
        Assert.Equal(3, Handle(s, new EpisodesArrived(Batch("h#2", 1, 3))).Events.Count(e => e is EpisodeCompleted));
    }

    [Fact]
    public void EpisodeLimit_StopsGeneration_AndLaterBatchesOnlyRepeatTheStop()
    {
        var s = Handle(CoordinatorState.Initial, new EpisodesArrived(Batch("g#1", 1, 8))).State;
        var d = Handle(s, new EpisodesArrived(Batch("g#1", 2, 8)));
        Assert.Equal(2, d.Events.OfType<EpisodeCompleted>().Count()); // only up to episode 10
        Assert.False(d.State.Generating);
        Assert.Contains(d.Effects, e => e is BroadcastStop);
        var late = Handle(d.State, new EpisodesArrived(Batch("h#2", 1, 8)));
        Assert.Empty(late.Events);
        Assert.Equal([new BroadcastStop()], late.Effects);
    }

    [Fact]
    public void FarmResult_IsJournaledOnce_RewardsTheLearner_AndFineTunesTheRewardModel()
    {
        var s = Handle(CoordinatorState.Initial, new EpisodesArrived(Batch("g#1", 1, 4))).State;
        var result = Result(1.5);
        var relaxed = new DftJobPayload("{\"relaxed\": true}", Options.Dft.Protocol(), "t-e4").ToJson();
        var status = new JobsStatus([new JobStatus("t-e4", JobStates.Completed, relaxed, result, null, 12.0, 1)]);
        var d = Handle(s, new FarmReported(status));
        var finished = Assert.Single(d.Events.OfType<DftFinished>());
        Assert.Equal((true, 1.5, "{\"relaxed\": true}"), (finished.Success, finished.GapEv!.Value, finished.RelaxedStructureJson));
        var reward = Assert.IsType<DftReward>(Assert.Single(d.Effects.OfType<SendToLearner>()).Message);
        Assert.Equal(Math.Exp(-(1.5 - 1.12) * (1.5 - 1.12)), reward.Reward, 12);
        Assert.Equal(1.5, Assert.Single(d.Effects.OfType<SendToFineTuner>()).Sample.GapEv);
        Assert.Equal(1, d.State.PendingFineTunes);
        Assert.Empty(d.Effects.OfType<SendToOfflineLearner>()); // offline_cql is off
        // By default the reward model learns the gap on the designed fill; finetune_pair "relaxed" pairs it with what DFT computed.
        Assert.Equal(s.Campaign.InFlight["t-e4"].StructureJson, d.Effects.OfType<SendToFineTuner>().Single().Sample.StructureJson);
        var relaxedPair = Options with { RewardModel = Options.RewardModel with { FinetunePair = "relaxed" } };
        Assert.Equal("{\"relaxed\": true}", CampaignCoordinator.Handle(s, new FarmReported(status), relaxedPair).Effects.OfType<SendToFineTuner>().Single().Sample.StructureJson);
        // The farm answers again (the next reconcile): nothing more happens.
        var again = Handle(d.State, new FarmReported(status));
        Assert.Empty(again.Events);
        Assert.Empty(again.Effects);
    }

    [Fact]
    public void FarmResult_WithOfflineCql_GoesToTheOfflineLearnerAsADftLabelledDesign()
    {
        var withOffline = Options with { OfflineCql = new OfflineOptions { Enabled = true } };
        var s = CampaignCoordinator.Handle(CoordinatorState.Initial, new EpisodesArrived(Batch("g#1", 1, 4)), withOffline).State;
        var request = Assert.Single(s.Campaign.InFlight.Values);
        var status = new JobsStatus([new JobStatus(request.JobId, JobStates.Completed, null, Result(2.25), null, 12.0, 1)]);
        var sample = Assert.Single(CampaignCoordinator.Handle(s, new FarmReported(status), withOffline).Effects.OfType<SendToOfflineLearner>()).Sample;
        Assert.Equal((request.JobId, request.StructureJson, 2.25), (sample.JobId, sample.StructureJson, sample.GapEv));
        // A failed job teaches the offline learner nothing it can label.
        var failed = new JobsStatus([new JobStatus(request.JobId, JobStates.Failed, null, null, "scf did not converge", 12.0, 5)]);
        Assert.Empty(CampaignCoordinator.Handle(s, new FarmReported(failed), withOffline).Effects.OfType<SendToOfflineLearner>());
    }

    [Fact]
    public void FailedJob_IsAFailedDftWithThePenalty_AndAnUnknownJobIsSubmittedAgain()
    {
        var s = Handle(CoordinatorState.Initial, new EpisodesArrived(Batch("g#1", 1, 8))).State;
        var d = Handle(s, new FarmReported(new JobsStatus([
            new JobStatus("t-e4", JobStates.Failed, null, null, "lease of w expired on attempt 5 of 5", null, 5),
            new JobStatus("t-e8", JobStates.Unknown, null, null, null, null, 0)])));
        var finished = Assert.Single(d.Events.OfType<DftFinished>());
        Assert.False(finished.Success);
        Assert.StartsWith("farm: lease of w expired", finished.FailureClass);
        Assert.Equal(-1.0, ((DftReward)d.Effects.OfType<SendToLearner>().Single().Message).Reward);
        Assert.Equal("t-e8", Assert.Single(d.Effects.OfType<SubmitToFarm>()).Job.JobId);
    }

    [Fact]
    public void Recovery_ResubmitsEveryJobInFlight()
    {
        var s = Handle(CoordinatorState.Initial, new EpisodesArrived(Batch("g#1", 1, 8))).State;
        var d = Handle(s with { Generating = true }, new JournalRecovered());
        Assert.Equal(["t-e4", "t-e8"], d.Effects.OfType<SubmitToFarm>().Select(x => x.Job.JobId));
    }

    [Fact]
    public void Stop_WaitsForDftInFlightAndPendingFineTuning_ThenFinishesOnce()
    {
        var s = Handle(CoordinatorState.Initial, new EpisodesArrived(Batch("g#1", 1, 8))).State;
        s = Handle(s, new EpisodesArrived(Batch("g#1", 2, 2))).State; // episode 10: the limit
        var waiting = Handle(s, new ClockTick(TimeSpan.FromSeconds(5)));
        Assert.DoesNotContain(waiting.Effects, e => e is FinishCampaign); // two DFT jobs in flight
        var ok = Result(1.0);
        s = Handle(waiting.State, new FarmReported(new JobsStatus([
            new JobStatus("t-e4", JobStates.Completed, null, ok, null, 1, 1), new JobStatus("t-e8", JobStates.Completed, null, ok, null, 1, 1)]))).State;
        Assert.Equal(2, s.PendingFineTunes);
        Assert.DoesNotContain(Handle(s, new ClockTick(TimeSpan.FromSeconds(6))).Effects, e => e is FinishCampaign);
        // Past the fine-tuning grace the campaign ends anyway.
        var end = Handle(Handle(s, new ClockTick(TimeSpan.FromSeconds(6))).State, new ClockTick(TimeSpan.FromMinutes(3)));
        Assert.Equal(new FinishCampaign("reached 10 episodes"), Assert.Single(end.Effects.OfType<FinishCampaign>()));
        Assert.Empty(Handle(end.State, new ClockTick(TimeSpan.FromMinutes(4))).Effects);
    }

    [Fact]
    public void ModelVersions_OnlyMoveForward_AndPolicyLagIsMeasuredPerEpisode()
    {
        var s = Handle(CoordinatorState.Initial, new ModelArrived(new ModelVersionRegistered("policy", 5, "p5", new string('a', 64)))).State;
        Assert.Empty(Handle(s, new ModelArrived(new ModelVersionRegistered("policy", 4, "p4", new string('b', 64)))).Events);
        s = Handle(s, new EpisodesArrived(Batch("g#1", 1, 2, policyVersion: 2))).State;
        Assert.Equal(3, s.Campaign.MeanPolicyLag);
        Assert.Equal(3, s.Campaign.PolicyLagMax);
    }

    [Fact]
    public void Greedy_BestEvaluationSoFar_KeepsThatPolicy()
    {
        var d = Handle(CoordinatorState.Initial, new GreedyArrived(new GreedyReport(100, 0.5, 0.6, "KCl", 1.0, 7)));
        Assert.Equal([new KeepBestPolicy(7)], d.Effects);
        var worse = Handle(d.State, new GreedyArrived(new GreedyReport(200, 0.4, 0.6, "KCl", 1.0, 8)));
        Assert.Empty(worse.Effects);
        Assert.Single(worse.Events.OfType<GreedyEvaluated>());
    }

    [Fact]
    public void EveryCampaignMessageAndEvent_CrossesANodeUnchanged()
    {
        var batch = Batch("g#1", 1, 2);
        var back = Runtime.Messages.WireSerializer.RoundTrip(batch);
        Assert.Equal(batch.Episodes[0].Structure.Composition.ReducedFormula, back.Episodes[0].Structure.Composition.ReducedFormula);
        Assert.Equal(batch.Episodes[0].Steps[1].NodeTypes, back.Episodes[0].Steps[1].NodeTypes);
        Assert.Equal(batch.Episodes[0].Structure.Lattice.Matrix[0, 0], back.Episodes[0].Structure.Lattice.Matrix[0, 0], 10);
        var snapshot = new CampaignSnapshot(Handle(CoordinatorState.Initial, new EpisodesArrived(batch)).State.Campaign);
        var restored = Runtime.Messages.WireSerializer.RoundTrip(snapshot).State;
        Assert.Equal(snapshot.State.Episodes, restored.Episodes);
        Assert.Equal(snapshot.State.LastBatch, restored.LastBatch);
        Assert.Equal(snapshot.State.Best.Count, restored.Best.Count);
    }
}
