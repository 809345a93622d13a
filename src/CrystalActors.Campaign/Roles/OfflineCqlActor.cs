using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using CrystalActors.Learning.Offline;
using CrystalActors.Runtime.Persistence;
using CrystalActors.Torch;

namespace CrystalActors.Campaign.Roles;

/// <summary>
/// The offline CQL learner running alongside the online loop, a cluster singleton: trains on the MP-20 trajectory
/// dataset in short chunks run off the mailbox (so it stays responsive and shares the cores fairly), resumes from
/// its latest checkpoint after a restart, and registers each checkpoint with the campaign like any other model version.
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

    public ITimerScheduler Timers { get; set; } = null!;

    private string CheckpointDir => Path.Combine(_runDirectory, "offline-cql", "checkpoints");

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
        Receive<TrainChunk>(_ =>
        {
            if (_stopped) return;
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
        }, _device);
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

    private sealed record TrainChunk : INoSerializationVerificationNeeded { public static readonly TrainChunk Instance = new(); }
    private sealed record ChunkDone(CheckpointWritten? Checkpoint, TimeSpan Took) : INoSerializationVerificationNeeded;
}
