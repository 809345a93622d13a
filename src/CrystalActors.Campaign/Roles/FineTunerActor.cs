using CrystalActors.Crystals.Io;
using CrystalActors.Models.Megnet;
using CrystalActors.Models.Reward;
using CrystalActors.Runtime.Actors;
using CrystalActors.Runtime.Persistence;
using Serilog;

namespace CrystalActors.Campaign.Roles;

/// <summary>
/// The fine-tuner role: each DFT result becomes k gradient steps on a copy of the current reward
/// model; the new immutable version goes to the content store and is announced to the reward
/// model and the coordinator.
/// </summary>
public sealed class FineTunerActor(string initialWeights, FineTuneOptions options, ContentStore store, Func<ActorRef?> rewardModel, Func<ActorRef?> coordinator)
    : IActor
{
    private BandGapModel? _current;
    private RewardModelFineTuner? _tuner;

    public Task StartedAsync(ActorContext context)
    {
        _current = BandGapModel.Load(initialWeights);
        _tuner = new RewardModelFineTuner(options);
        return Task.CompletedTask;
    }

    public async Task ReceiveAsync(object message, ActorContext context)
    {
        if (message is RewardModelPublished adopted)
        {
            // A restart resumes from the latest registered version.
            if (adopted.Version > _current!.Version)
            {
                ModelFiles.Verify(adopted.Path, adopted.Sha256);
                _current.Dispose();
                _current = BandGapModel.Load(adopted.Path);
            }
            return;
        }
        if (message is not DftSample sample) return;
        var structure = Mp20JsonlReader.ParseLine(sample.StructureJson, $"DFT job {sample.JobId}").Structure!;
        var scratch = ModelFiles.Scratch(store, $"reward-v{_current!.Version + 1}");
        var result = _tuner!.FineTune(_current, new[] { new RewardSample(structure, sample.GapEv, sample.JobId) }, scratch);
        var stored = await ModelFiles.StoreAsync(store, scratch).ConfigureAwait(false);
        _current.Dispose();
        _current = result.Model;
        Log.Information("Fine-tuner: reward model v{Version} from job {Job} (gap {Gap:F3} eV), loss {First:F4} -> {Last:F4}",
            _current.Version, sample.JobId, sample.GapEv, result.Losses.FirstOrDefault(), result.Losses.LastOrDefault());
        var notice = new RewardModelPublished(_current.Version, stored.Path, stored.Sha256);
        rewardModel()?.TryTell(notice);
        coordinator()?.TryTell(notice);
    }

    public Task StoppingAsync(IReadOnlyList<object> undelivered, ActorContext context)
    {
        _current?.Dispose();
        return Task.CompletedTask;
    }
}
