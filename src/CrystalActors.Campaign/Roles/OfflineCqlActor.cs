using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using System.Text.Json;
using CrystalActors.Learning.Environments.Skeletons;
using CrystalActors.Crystals.Io;
using CrystalActors.Learning.Offline;
using CrystalActors.Runtime.Persistence;
using CrystalActors.Torch;

namespace CrystalActors.Campaign.Roles;

/// <summary>
/// The offline CQL learner running alongside the online loop, a cluster singleton: trains on the MP-20 trajectory
/// dataset in short chunks run off the mailbox (so it stays responsive and shares the cores fairly), resumes from
/// its latest checkpoint after a restart, and registers each checkpoint with the campaign like any other model version.
/// The campaign's successful DFT results arrive as <see cref="DftSample"/>s and join its data as DFT-labelled
/// trajectories (kept in offline-cql/online-dft.jsonl, read back after a restart). Every trajectory, MP-20 or DFT, is
/// rewarded as the campaign rewards its designs (<see cref="OnlineReward.Terminal"/>, conditioned on its target gap),
/// so the two kinds of data share one reward scale.
/// </summary>
public sealed class OfflineCqlActor : ReceiveActor, IWithTimers
{
    private const int StepsPerChunk = 10;
    private readonly CampaignOptions _options;
    private readonly string _runDirectory;
    private readonly Device _device;
    private readonly ContentStore _store;
    private readonly IActorRef _coordinator, _mediator;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private OfflineTrainer? _trainer;
    private bool _stopped;
    private readonly HashSet<string> _dftJobs = new(StringComparer.Ordinal);
    private readonly List<DftSample> _pendingDft = new();
    private int _dftAdded;

    public ITimerScheduler Timers { get; set; } = null!;

    private string CheckpointDir => Path.Combine(_runDirectory, "offline-cql", "checkpoints");
    private string DftDataFile => Path.Combine(_runDirectory, "offline-cql", "online-dft.jsonl");

    public static Props Props(CampaignOptions options, Device device, string runDirectory, ContentStore store, IActorRef coordinator, IActorRef mediator) =>
        Akka.Actor.Props.Create(() => new OfflineCqlActor(options, device, runDirectory, store, coordinator, mediator));

    public OfflineCqlActor(CampaignOptions options, Device device, string runDirectory, ContentStore store, IActorRef coordinator, IActorRef mediator)
    {
        _device = device;
        _options = options;
        _runDirectory = runDirectory;
        _store = store;
        _coordinator = coordinator;
        _mediator = mediator;
        Receive<StopGenerating>(_ => _stopped = true);
        Receive<SubscribeAck>(_ => { });
        Receive<DftSample>(s =>
        {
            if (!_dftJobs.Add(s.JobId)) return;
            // On disk before it is used, so a restarted learner trains on it again.
            Directory.CreateDirectory(Path.GetDirectoryName(DftDataFile)!);
            File.AppendAllText(DftDataFile, JsonSerializer.Serialize(s) + "\n");
            _pendingDft.Add(s);
        });
        Receive<GetOfflineData>(_ => Sender.Tell(new OfflineData(_trainer!.Data.CrystalCount, _trainer.Data.TransitionCount, _dftAdded)));
        Receive<TrainChunk>(_ =>
        {
            if (_stopped) return;
            AddPendingDft(); // between chunks: the trainer is idle
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var trainer = _trainer!;
            Task.Run(async () =>
            {
                LossTerms terms = default;
                CheckpointWritten? written = null;
                for (int i = 0; i < StepsPerChunk; i++)
                {
                    terms = trainer.TrainStep();
                    if (trainer.Step % _options.OfflineCql.CheckpointEvery == 0) written = await CheckpointAsync(trainer, terms).ConfigureAwait(false);
                }
                return new ChunkDone(written, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            }).PipeTo(Self, failure: e => new Status.Failure(e));
        });
        Receive<ChunkDone>(d =>
        {
            if (d.Checkpoint is { } c) _coordinator.Tell(c);
            // duty_cycle < 1 leaves the cores to the online loop and pw.x the rest of the time.
            double duty = _options.OfflineCql.DutyCycle;
            var pause = duty >= 1 ? TimeSpan.Zero : d.Took * ((1 - duty) / duty);
            if (pause <= TimeSpan.Zero) Self.Tell(TrainChunk.Instance);
            else Timers.StartSingleTimer("chunk", TrainChunk.Instance, pause);
        });
        Receive<Status.Failure>(f => throw new InvalidOperationException($"offline CQL step failed: {f.Cause.Message}", f.Cause));
    }

    protected override void PreStart()
    {
        var o = _options.OfflineCql;
        var data = TrajectoryDataset.LoadOrBuild(o.Data!).Part(DatasetPart.Train).NonMetals();
        _trainer = new OfflineTrainer(data, new OfflineTrainOptions
        {
            Algorithm = OfflineAlgorithm.Cql, Conditioned = true, CqlWeight = o.CqlWeight, BatchSize = o.BatchSize,
            Steps = long.MaxValue, CheckpointEvery = o.CheckpointEvery, Seed = _options.Seed,
            Reward = new RewardOptions { TargetBandGap = _options.TargetGapEv },
        }, _device, CampaignRewards(data));
        if (File.Exists(DftDataFile))
        {
            foreach (var line in File.ReadLines(DftDataFile))
            {
                DftSample? s = null;
                try { s = JsonSerializer.Deserialize<DftSample>(line); }
                catch (JsonException e) { _log.Warning("Offline CQL: skipping an unreadable line of {0}: {1}", DftDataFile, e.Message); }
                if (s is not null && _dftJobs.Add(s.JobId)) _pendingDft.Add(s);
            }
            AddPendingDft();
        }
        if (OfflineTrainer.LatestCheckpoint(CheckpointDir) is { } latest)
        {
            _trainer.LoadCheckpoint(latest);
            _log.Info("Offline CQL: resumed from {0} at step {1}", latest, _trainer.Step);
        }
        _log.Info("Offline CQL: {0} transitions of {1} crystals, batch {2}", data.TransitionCount, data.CrystalCount, o.BatchSize);
        _mediator.Tell(new Subscribe(CampaignCoordinatorActor.Topic, Self));
        Self.Tell(TrainChunk.Instance);
    }

    protected override void PostStop() => _trainer?.Dispose();

    /// <summary>The campaign's terminal reward of each crystal of <paramref name="data"/> at its band gap.</summary>
    private float[] CampaignRewards(TrajectoryDataset data) =>
        Enumerable.Range(0, data.CrystalCount).Select(c => (float)OnlineReward.Terminal(data.Actions(c).ToArray().Distinct().Count(),
            data.BandGap[c], dftFailed: false, _options.TargetGapEv, _options.RewardBeta)).ToArray();

    private void AddPendingDft()
    {
        if (_pendingDft.Count == 0) return;
        var crystals = new List<(string, Crystals.Structure, double)>();
        foreach (var s in _pendingDft)
        {
            try { crystals.Add((s.JobId, Mp20JsonlReader.ParseLine(s.StructureJson, s.JobId).Structure!, s.GapEv)); }
            catch (Exception e) when (e is CrystalFormatException or JsonException) { _log.Warning("Offline CQL: design {0} not added: {1}", s.JobId, e.Message); }
        }
        _pendingDft.Clear();
        var skipped = new List<TrajectoryDataset.Skipped>();
        var more = TrajectoryDataset.BuildDftLabelled(crystals, skipped: skipped);
        foreach (var k in skipped) _log.Warning("Offline CQL: design {0} not added: {1}", k.MaterialId, k.Reason);
        _trainer!.AddTrajectories(more, CampaignRewards(more));
        _dftAdded += more.CrystalCount;
        _log.Info("Offline CQL: {0} DFT-labelled design(s) added; {1} crystals, {2} transitions", more.CrystalCount,
            _trainer.Data.CrystalCount, _trainer.Data.TransitionCount);
    }

    private async Task<CheckpointWritten> CheckpointAsync(OfflineTrainer trainer, LossTerms terms)
    {
        Directory.CreateDirectory(CheckpointDir);
        var path = Path.Combine(CheckpointDir, OfflineTrainer.CheckpointName(trainer.Step));
        trainer.SaveCheckpoint(path);
        ContentRef stored;
        await using (var s = File.OpenRead(path)) stored = await _store.PutAsync(s).ConfigureAwait(false);
        _log.Info("Offline CQL: step {0}, loss {1:F4} (conservative {2:F4}, TD {3:F4}), mean Q {4:F3}; checkpoint registered",
            trainer.Step, terms.Total, terms.Conservative, terms.TemporalDifference, terms.MeanQ);
        return new CheckpointWritten("offline-cql", trainer.Step, stored.Path, stored.Sha256);
    }

    /// <summary>Asks for the size of the data trained on; answered with <see cref="OfflineData"/>.</summary>
    public sealed record GetOfflineData : INoSerializationVerificationNeeded { public static readonly GetOfflineData Instance = new(); }
    public sealed record OfflineData(int Crystals, int Transitions, int DftLabelled) : INoSerializationVerificationNeeded;

    private sealed record TrainChunk : INoSerializationVerificationNeeded { public static readonly TrainChunk Instance = new(); }
    private sealed record ChunkDone(CheckpointWritten? Checkpoint, TimeSpan Took) : INoSerializationVerificationNeeded;
}
