using CrystalActors.Learning.Dqn;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.TestKit.Xunit2;
using CrystalActors.Campaign.Reporting;
using CrystalActors.Campaign.Roles;
using CrystalActors.Models.Megnet;
using CrystalActors.Models.Reward;
using CrystalActors.Runtime.Messages;
using CrystalActors.Runtime.Persistence;
using CrystalActors.Runtime.Tests;
using CrystalActors.Torch;

namespace CrystalActors.Campaign.Tests.Roles;

/// <summary>
/// The campaign roles as actors, against TestKit probes standing in for their peers. Every message goes through the
/// wire serializer (serialize-messages = on) as if it crossed a node; the journal is in memory.
/// </summary>
public class RoleProtocolTests() : TestKit(AkkaTestConfig.Local)
{
    private static CampaignOptions Options(string root) => new()
    {
        Name = "proto", OutputRoot = root, Seed = 5, Episodes = 16, DftEvery = 8, DftBudget = 2, GreedyEvalEvery = 0,
        Skeleton = new SkeletonOptions { Data = SharedData.File("data", "mp20", "mp20_val.jsonl.gz"), MaterialIds = ["mp-23289"] }, // KCl
        Vocabulary = ["K", "Na", "Cl"],
        Dqn = new DqnOptions { BatchSize = 8, LearningStarts = 8, UpdatesPerEpisode = 1, PublishEvery = 8, TargetUpdateEvery = 8 },
        RewardModel = new RewardModelOptions { Weights = SharedData.File("reference", "megnet", "MEGNet-MP-2019.4.1-BandGap-mfi.safetensors"), FinetuneSteps = 2 },
        Relax = new RelaxOptions { Enabled = false },
    };

    private static string TempRoot() => Directory.CreateTempSubdirectory("ca-proto-").FullName;

    [Fact]
    public void Generator_WaitsForTheLearnersAcknowledgement_BeforeItPlaysTheNextBatch()
    {
        var o = Options(TempRoot());
        var context = CampaignContext.Create(o);
        var rewardModel = CreateTestProbe();
        var learner = CreateTestProbe();
        var coordinator = CreateTestProbe();
        var mediator = CreateTestProbe();
        var gen = Sys.ActorOf(RolloutGeneratorActor.Props("n/gen-0#1", context, 1, rewardModel, learner, coordinator, mediator));
        coordinator.ExpectMsg<CatchUp>();
        var ask = rewardModel.ExpectMsg<PredictGaps>();
        Assert.All(ask.Structures, s => Assert.Equal(2, s.NumSites));
        rewardModel.Reply(new GapPredictions(ask.Structures.Select(_ => 1.12).ToArray(), 1));
        var batch = learner.ExpectMsg<EpisodesPlayed>();
        Assert.Equal(1, batch.Batch);
        Assert.Equal(batch.Batch, coordinator.ExpectMsg<EpisodesPlayed>().Batch);
        Assert.All(batch.Rewards, r => Assert.Equal(1.0, r, 12)); // gap = target
        // No credit, no new batch.
        rewardModel.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        gen.Tell(new EpisodesAccepted(batch.Generator, batch.Batch, 0, 16), learner);
        rewardModel.ExpectMsg<PredictGaps>();
        // A stop from the coordinator ends generation after the batch in hand.
        gen.Tell(StopGenerating.Instance);
    }

    [Fact]
    public void Learner_AcknowledgesBatches_PublishesPolicies_AndRecoversItsVersionFromTheJournal()
    {
        var o = Options(TempRoot());
        var context = CampaignContext.Create(o);
        var coordinator = CreateTestProbe();
        var mediator = CreateTestProbe();
        var learner = Sys.ActorOf(LearnerActor.Props(context, Device.CPU, coordinator, mediator), "learner-a");
        var played = PlayOneBatch(context);
        learner.Tell(played, TestActor);
        var ack = ExpectMsg<EpisodesAccepted>(TimeSpan.FromSeconds(30));
        Assert.Equal((played.Generator, 1L), (ack.Generator, ack.Batch));
        // 8 episodes x 1 update >= publish_every 8: version 1 is in the content store, announced on topic "policy";
        // the coordinator also gets the learner's figures for the scalars.
        var stats = coordinator.ExpectMsg<LearnerStats>(TimeSpan.FromSeconds(30));
        Assert.Equal((1L, 8L), (stats.Version, stats.Episodes));
        Assert.True(double.IsFinite(stats.Scalars["losses/td"]));
        Assert.True(stats.Scalars["charts/updates_per_second"] > 0);
        var published = coordinator.ExpectMsg<PolicyPublished>(TimeSpan.FromSeconds(30));
        Assert.Equal(1, published.Version);
        Assert.True(File.Exists(published.Path));
        var topic = mediator.ExpectMsg<Publish>();
        Assert.Equal(CampaignCoordinatorActor.PolicyTopic, topic.Topic);
        // The same batch again (a generator re-send) is acknowledged without training.
        learner.Tell(played, TestActor);
        ExpectMsg<EpisodesAccepted>();
        coordinator.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        Watch(learner);
        Sys.Stop(learner);
        ExpectTerminated(learner);
        var again = Sys.ActorOf(LearnerActor.Props(context, Device.CPU, coordinator, mediator), "learner-b");
        again.Tell(PlayOneBatch(context, "n/gen-0#2"), TestActor);
        ExpectMsg<EpisodesAccepted>(TimeSpan.FromSeconds(30));
        // The episode count, the curves' x-axis, continues from the journal too.
        var resumed = coordinator.ExpectMsg<LearnerStats>(TimeSpan.FromSeconds(30));
        Assert.Equal((2L, 16L), (resumed.Version, resumed.Episodes));
        Assert.Equal(2, coordinator.ExpectMsg<PolicyPublished>(TimeSpan.FromSeconds(30)).Version); // continues from v1
    }

    [Fact]
    public void Coordinator_JournalsEpisodes_SubmitsDft_AppliesTheResultOnce_AndRecovers()
    {
        var root = TempRoot();
        var o = Options(root) with { Relax = new RelaxOptions { Enabled = false } };
        var farm = CreateTestProbe();
        var learner = CreateTestProbe();
        var tuner = CreateTestProbe();
        var mediator = CreateTestProbe();
        var peers = new CoordinatorPeers(farm, learner, tuner, mediator, ActorRefs.Nobody);
        var run = Path.Combine(root, "proto");
        var coordinator = Sys.ActorOf(CampaignCoordinatorActor.Props(o, run, peers), "coord-a");
        var context = CampaignContext.Create(o);
        coordinator.Tell(PlayOneBatch(context), TestActor);
        var job = farm.ExpectMsg<SubmitJob>();
        Assert.Equal(("proto-e8", "dft"), (job.JobId, Assert.Single(job.Stages)));
        Assert.IsType<EpisodeForDft>(learner.ExpectMsg<EpisodeForDft>());
        // The farm reports the job done when asked (the coordinator reconciles every 2 s).
        var query = farm.FishForMessage<QueryJobs>(_ => true, TimeSpan.FromSeconds(5));
        Assert.Equal(["proto-e8"], query.JobIds);
        var result = System.Text.Json.JsonSerializer.Serialize(new Dft.DftResult
        {
            Formula = "KCl", NumSites = 2, Protocol = "sssp", ProtocolHash = "h", Fingerprint = "f", Status = "ok",
            FailureClass = Dft.Handlers.DftFailureClass.None, BandGapEv = 5.0, TotalEnergyEv = -20, WallSeconds = 3,
        }, DftJobExecutor.ResultJson);
        coordinator.Tell(new JobsStatus([new JobStatus("proto-e8", JobStates.Completed, job.Payload, result, null, 3, 1)]), farm);
        Assert.Equal(5.0, tuner.ExpectMsg<DftSample>().GapEv);
        Assert.IsType<DftReward>(learner.ExpectMsg<DftReward>());
        coordinator.Tell(GetProgress.Instance, TestActor);
        var progress = ExpectMsg<CampaignProgress>();
        Assert.Equal((8L, 1L, 0L), (progress.Episodes, progress.DftSucceeded, progress.DftInFlight));
        // The DFT result and the fine-tuning round it started are plotted at the design's episode (8), as is the batch.
        coordinator.Tell(new RewardModelTuned("proto-e8", 1, 5.0, 3.9, 4.2, 0.35, 0.19), TestActor);
        coordinator.Tell(GetProgress.Instance, TestActor);
        ExpectMsg<CampaignProgress>();
        var rows = File.ReadLines(Path.Combine(run, "scalars.csv")).Skip(1).Select(l => l.Split(',')).Select(c => (long.Parse(c[1]), c[2])).ToList();
        foreach (var tag in new[] { "charts/episode_reward", "charts/epsilon", "dft/gap_ev", "dft/wall_seconds", "finetune/loss_after", "finetune/error_before_ev" })
            Assert.Contains((8L, tag), rows);
        Assert.Contains(Directory.GetFiles(Path.Combine(run, "tensorboard")), f => File.ReadAllText(f).Contains("|dqn.batch_size|8|"));

        Watch(coordinator);
        Sys.Stop(coordinator);
        ExpectTerminated(coordinator);
        var again = Sys.ActorOf(CampaignCoordinatorActor.Props(o, run, peers), "coord-b");
        again.Tell(GetProgress.Instance, TestActor);
        var recovered = ExpectMsg<CampaignProgress>();
        Assert.Equal((8L, 1L), (recovered.Episodes, recovered.DftSucceeded));
        // The same result once more changes nothing.
        again.Tell(new JobsStatus([new JobStatus("proto-e8", JobStates.Completed, job.Payload, result, null, 3, 1)]), farm);
        tuner.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void FineTuner_TurnsADftSampleIntoTheNextRewardModelVersion()
    {
        var o = Options(TempRoot());
        var store = new ContentStore(Path.Combine(o.OutputRoot, "content"));
        var coordinator = CreateTestProbe();
        var mediator = CreateTestProbe();
        var tune = new FineTuneOptions { Steps = 2, LearningRate = 1e-3, Seed = 1, Fidelity = Fidelity.Pbe };
        var tuner = Sys.ActorOf(FineTunerActor.Props(o.RewardModel.Weights, tune, Device.CPU, store, coordinator, mediator));
        coordinator.ExpectMsg<CatchUp>();
        var line = Crystals.Io.Mp20JsonWriter.ToJsonLine(Crystals.Structure.FromSpecies(Crystals.Lattice.Cubic(6.29),
            [Crystals.Element.FromSymbol("K"), Crystals.Element.FromSymbol("Cl")], [new Crystals.Vec3(0, 0, 0), new Crystals.Vec3(0.5, 0.5, 0.5)], "kcl"), 0, "kcl");
        tuner.Tell(new DftSample("job-1", line, 4.8));
        var published = coordinator.ExpectMsg<RewardModelPublished>(TimeSpan.FromSeconds(60));
        Assert.Equal(1, published.Version);
        Assert.Equal(CampaignCoordinatorActor.RewardModelTopic, mediator.ExpectMsg<Publish>().Topic);
        // Then how the round went, for the finetune/ curves: two steps towards KCl's 4.8 eV bring the prediction closer.
        var tuned = coordinator.ExpectMsg<RewardModelTuned>();
        Assert.Equal(("job-1", 1L, 4.8), (tuned.JobId, tuned.Version, tuned.DftGapEv));
        Assert.True(Math.Abs(tuned.PredictedGapAfterEv - 4.8) < Math.Abs(tuned.PredictedGapBeforeEv - 4.8), $"{tuned}");
        Assert.True(tuned.LossAfter < tuned.LossBefore, $"{tuned}");
        using var model = BandGapModel.Load(published.Path);
        Assert.Equal(1, model.Version);
    }

    /// <summary>Eight episodes on the KCl skeleton played by a fresh policy, with made-up rewards.</summary>
    private static EpisodesPlayed PlayOneBatch(CampaignContext c, string generator = "n/gen-0#1")
    {
        using var policy = new DqnPolicy(c.Skeletons, c.Tasks[0].VocabularyActions, c.Options.TargetGapEv);
        var played = EpisodeRunner.Play(policy, c.Tasks, new int[8], new int[8], 1.0, new Random(3)).Select(EpisodeRecord.From).ToList();
        return new EpisodesPlayed(generator, 1, played, Enumerable.Repeat(0.5, 8).ToArray(), Enumerable.Repeat<double?>(1.0, 8).ToArray(), 0, 1.0, 0);
    }

    [Fact]
    public void OfflineCql_AddsEachDftLabelledDesignOnce_AndKeepsItAcrossARestart()
    {
        var root = TempRoot();
        // A small MP-20 pool: the first 60 val crystals (its train-part non-metals are the offline data).
        var pool = Path.Combine(root, "pool.jsonl");
        using (var reader = Crystals.Io.DataFile.OpenText(SharedData.File("data", "mp20", "mp20_val.jsonl.gz")))
            File.WriteAllLines(pool, Enumerable.Range(0, 60).Select(_ => reader.ReadLine()!));
        var o = Options(root) with { OfflineCql = new OfflineOptions { Enabled = true, Data = pool, BatchSize = 8, CheckpointEvery = 100_000 } };
        var store = new ContentStore(Path.Combine(root, "content"));
        var run = Path.Combine(root, "proto");
        var kcl = Crystals.Io.Mp20JsonlReader.Read(SharedData.File("data", "mp20", "mp20_val.jsonl.gz"))
            .First(r => r.MaterialId == "mp-23289").Structure!;
        var design = Crystals.Io.Mp20JsonWriter.ToJsonLine(kcl, 0, "proto-e8");

        var offline = Sys.ActorOf(OfflineCqlActor.Props(o, Device.CPU, run, store, CreateTestProbe(), CreateTestProbe()), "offline-a");
        var before = offline.Ask<OfflineCqlActor.OfflineData>(OfflineCqlActor.GetOfflineData.Instance, TimeSpan.FromSeconds(30)).Result;
        Assert.True(before.Crystals > 0);
        Assert.Equal(0, before.DftLabelled);
        offline.Tell(new DftSample("proto-e8", design, 1.5));
        offline.Tell(new DftSample("proto-e8", design, 1.5)); // the same job again
        AwaitAssert(() =>
        {
            var now = offline.Ask<OfflineCqlActor.OfflineData>(OfflineCqlActor.GetOfflineData.Instance, TimeSpan.FromSeconds(5)).Result;
            Assert.Equal((1, before.Crystals + 1), (now.DftLabelled, now.Crystals));
            // KCl's 2-site cell, filled in each of its breadth-first orders: whole episodes of 2 transitions.
            Assert.Equal(0, (now.Transitions - before.Transitions) % 2);
            Assert.True(now.Transitions > before.Transitions);
        }, TimeSpan.FromSeconds(30));

        Watch(offline);
        Sys.Stop(offline);
        ExpectTerminated(offline);
        var again = Sys.ActorOf(OfflineCqlActor.Props(o, Device.CPU, run, store, CreateTestProbe(), CreateTestProbe()), "offline-b");
        var resumed = again.Ask<OfflineCqlActor.OfflineData>(OfflineCqlActor.GetOfflineData.Instance, TimeSpan.FromSeconds(30)).Result;
        Assert.Equal((1, before.Crystals + 1), (resumed.DftLabelled, resumed.Crystals));
        again.Tell(StopGenerating.Instance);
    }
}
