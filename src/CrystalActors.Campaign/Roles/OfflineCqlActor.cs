using CrystalActors.Learning.Offline;
using CrystalActors.Runtime.Actors;
using CrystalActors.Runtime.Persistence;
using Serilog;

namespace CrystalActors.Campaign.Roles;

/// <summary>
/// The offline CQL learner running alongside the online loop: trains on the MP-20 trajectory
/// dataset in short chunks (so its mailbox stays responsive and it shares the cores fairly),
/// resumes from its latest checkpoint after a restart, and registers each checkpoint with the
/// campaign like any other model version.
/// </summary>
public sealed class OfflineCqlActor(CampaignOptions options, string runDirectory, ContentStore store, Func<ActorRef?> coordinator) : IActor
{
    private const int StepsPerChunk = 10;
    private OfflineTrainer? _trainer;
    private bool _stopped;
    private string CheckpointDir => Path.Combine(runDirectory, "offline-cql", "checkpoints");

    private sealed record TrainChunk
    {
        public static readonly TrainChunk Instance = new();
    }

    public Task StartedAsync(ActorContext context)
    {
        var o = options.OfflineCql;
        var data = TrajectoryDataset.LoadOrBuild(o.Data!).Part(DatasetPart.Train).NonMetals();
        _trainer = new OfflineTrainer(data, new OfflineTrainOptions
        {
            Algorithm = OfflineAlgorithm.Cql, Conditioned = true, CqlWeight = o.CqlWeight, BatchSize = o.BatchSize,
            Steps = long.MaxValue, CheckpointEvery = o.CheckpointEvery, Seed = options.Seed,
        });
        if (OfflineTrainer.LatestCheckpoint(CheckpointDir) is { } latest)
        {
            _trainer.LoadCheckpoint(latest);
            Log.Information("Offline CQL: resumed from {Checkpoint} at step {Step}", latest, _trainer.Step);
        }
        Log.Information("Offline CQL: {Transitions} transitions of {Crystals} crystals, batch {Batch}", data.TransitionCount, data.CrystalCount, o.BatchSize);
        context.Self.TryTell(TrainChunk.Instance);
        return Task.CompletedTask;
    }

    public async Task ReceiveAsync(object message, ActorContext context)
    {
        switch (message)
        {
            case StopGenerating:
                _stopped = true;
                break;
            case TrainChunk when !_stopped:
                LossTerms terms = default;
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                for (int i = 0; i < StepsPerChunk; i++)
                {
                    terms = _trainer!.TrainStep();
                    if (_trainer.Step % options.OfflineCql.CheckpointEvery == 0) await CheckpointAsync(terms).ConfigureAwait(false);
                }
                // duty_cycle < 1 leaves the cores to the online loop and pw.x the rest of the time.
                double duty = options.OfflineCql.DutyCycle;
                var pause = duty >= 1 ? TimeSpan.Zero : System.Diagnostics.Stopwatch.GetElapsedTime(started) * ((1 - duty) / duty);
                if (pause <= TimeSpan.Zero) context.Self.TryTell(TrainChunk.Instance);
                else
                {
                    var self = context.Self;
                    _ = Task.Delay(pause).ContinueWith(_ => self.TryTell(TrainChunk.Instance), TaskScheduler.Default);
                }
                break;
        }
    }

    private async Task CheckpointAsync(LossTerms terms)
    {
        Directory.CreateDirectory(CheckpointDir);
        var path = Path.Combine(CheckpointDir, OfflineTrainer.CheckpointName(_trainer!.Step));
        _trainer.SaveCheckpoint(path);
        ContentRef stored;
        await using (var s = File.OpenRead(path)) stored = await store.PutAsync(s).ConfigureAwait(false);
        coordinator()?.TryTell(new CheckpointWritten("offline-cql", _trainer.Step, stored.Path, stored.Sha256));
        Log.Information("Offline CQL: step {Step}, loss {Loss:F4} (conservative {C:F4}, TD {Td:F4}), mean Q {Q:F3}; checkpoint registered",
            _trainer.Step, terms.Total, terms.Conservative, terms.TemporalDifference, terms.MeanQ);
    }

    public Task StoppingAsync(IReadOnlyList<object> undelivered, ActorContext context)
    {
        _trainer?.Dispose();
        return Task.CompletedTask;
    }
}
