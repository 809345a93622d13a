using CrystalActors.Campaign.Dqn;
using CrystalActors.Campaign.Design;
using CrystalActors.Learning.Offline;
using CrystalActors.Runtime.Actors;
using Serilog;

namespace CrystalActors.Campaign.Roles;

/// <summary>
/// A rollout generator: plays batches of epsilon-greedy episodes with its own copy of the policy,
/// gets their rewards from the reward model, and sends them to the learner and the coordinator.
/// It refreshes its weights whenever the learner publishes and never waits on DFT.
/// </summary>
public sealed class RolloutGeneratorActor(
    string name, TrajectoryDataset skeletons, IReadOnlyList<DesignTask> tasks, CampaignOptions options, int seed,
    Func<ActorRef?> rewardModel, Func<ActorRef?> learner, Func<ActorRef?> coordinator, Func<long> globalSteps, Action<long> countSteps,
    string? initialPolicy) : IActor
{
    private const int EpisodesPerBatch = 8;
    private DqnPolicy? _policy;
    private Random _rng = new(seed);
    private bool _stopped;
    private long _batches;

    public Task StartedAsync(ActorContext context)
    {
        _policy = new DqnPolicy(skeletons, tasks[0].VocabularyActions, options.TargetGapEv);
        if (initialPolicy is not null) _policy.Load(initialPolicy);
        // A restarted generator must not replay the same random stream.
        _rng = new Random(seed + (int)(globalSteps() % int.MaxValue));
        context.Self.TryTell(PlayBatch.Instance);
        return Task.CompletedTask;
    }

    public async Task ReceiveAsync(object message, ActorContext context)
    {
        switch (message)
        {
            case PolicyPublished p when p.Version > _policy!.Version:
                ModelFiles.Verify(p.Path, p.Sha256);
                _policy.Load(p.Path);
                break;
            case StopGenerating:
                _stopped = true;
                break;
            case PlayBatch when !_stopped:
                await PlayAsync().ConfigureAwait(false);
                context.Self.TryTell(PlayBatch.Instance);
                break;
        }
    }

    private async Task PlayAsync()
    {
        var schedule = options.Epsilon.Schedule;
        double epsilon = schedule.At(globalSteps());
        var crystals = Enumerable.Range(0, EpisodesPerBatch).Select(_ => _rng.Next(tasks.Count)).ToArray();
        var orders = crystals.Select(_ => _rng.Next(5)).ToArray();
        var played = EpisodeRunner.Play(_policy!, tasks, crystals, orders, epsilon, _rng);
        countSteps(played.Sum(p => p.Steps.Count));

        // Crystals with too many elements are penalised without asking the reward model.
        var valid = played.Select((p, i) => (p, i)).Where(x => x.p.Episode.DistinctElements <= OnlineReward.MaxDistinctElements).ToArray();
        var gaps = new double?[played.Count];
        long rewardVersion = 0;
        if (valid.Length > 0)
        {
            var reply = await rewardModel()!.AskAsync<GapPredictions>(
                new PredictGaps(valid.Select(v => v.p.Episode.ToStructure()).ToList()), TimeSpan.FromMinutes(2)).ConfigureAwait(false);
            rewardVersion = reply.Version;
            for (int k = 0; k < valid.Length; k++) gaps[valid[k].i] = reply.GapsEv[k];
        }
        var rewards = played.Select((p, i) => OnlineReward.Terminal(p.Episode.DistinctElements, gaps[i], false, options.TargetGapEv, options.RewardBeta)).ToArray();
        var batch = new EpisodesPlayed(name, played, rewards, gaps, rewardVersion);
        learner()?.TryTell(batch);
        var c = coordinator();
        if (c is not null) await c.TellAsync(batch).ConfigureAwait(false);
        if (++_batches % 25 == 0)
            Log.Debug("Generator {Name}: {Batches} batches, epsilon {Epsilon:F3}, policy v{Version}", name, _batches, epsilon, _policy!.Version);
    }

    public Task StoppingAsync(IReadOnlyList<object> undelivered, ActorContext context)
    {
        _policy?.Dispose();
        return Task.CompletedTask;
    }
}
