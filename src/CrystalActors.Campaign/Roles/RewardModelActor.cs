using CrystalActors.Models.Megnet;
using CrystalActors.Runtime.Actors;
using Serilog;

namespace CrystalActors.Campaign.Roles;

/// <summary>
/// The reward-model role: answers gap predictions with the current MEGNet version and swaps to a
/// new version when the fine-tuner publishes one (verified by hash first). Predictions never wait
/// for fine-tuning, which runs in the fine-tuner's own actor on its own copy.
/// </summary>
public sealed class RewardModelActor(string initialWeights, Fidelity fidelity) : IActor
{
    private BandGapModel? _model;

    public Task StartedAsync(ActorContext context)
    {
        _model = BandGapModel.Load(initialWeights);
        Log.Information("Reward model: version {Version} from {Path}", _model.Version, initialWeights);
        return Task.CompletedTask;
    }

    public Task ReceiveAsync(object message, ActorContext context)
    {
        switch (message)
        {
            case PredictGaps p:
                var prediction = _model!.Predict(p.Structures, fidelity);
                context.Reply(new GapPredictions(prediction.GapsEv, prediction.Version));
                break;
            case RewardModelPublished published:
                ModelFiles.Verify(published.Path, published.Sha256);
                var next = BandGapModel.Load(published.Path);
                var old = _model;
                _model = next;
                old?.Dispose();
                Log.Information("Reward model: now version {Version}", next.Version);
                break;
        }
        return Task.CompletedTask;
    }

    public Task StoppingAsync(IReadOnlyList<object> undelivered, ActorContext context)
    {
        _model?.Dispose();
        return Task.CompletedTask;
    }
}
