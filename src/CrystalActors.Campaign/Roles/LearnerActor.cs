using CrystalActors.Campaign.Dqn;
using CrystalActors.Learning.Offline;
using CrystalActors.Runtime.Actors;
using CrystalActors.Runtime.Persistence;
using Serilog;

namespace CrystalActors.Campaign.Roles;

/// <summary>
/// The DQN learner: fills the replay buffer from the generators, takes gradient steps, publishes
/// its weights to the content store for the generators, and measures how stale incoming
/// transitions are (policy versions behind the current one).
/// </summary>
public sealed class LearnerActor(
    TrajectoryDataset skeletons, IReadOnlyList<int> vocabularyActions, CampaignOptions options, ContentStore store,
    Func<IReadOnlyList<ActorRef>> generators, Func<ActorRef?> coordinator, string? initialPolicy) : IActor
{
    private OnlineDqn? _dqn;
    private ReplayBuffer? _replay;
    private Random _rng = new((int)options.Seed);
    private long _version;
    private long _sincePublish;
    private readonly Dictionary<long, PlayedEpisode> _awaitingDft = new();
    private double _stalenessSum;
    private long _stalenessCount;

    public double MeanStaleness => _stalenessCount == 0 ? 0 : _stalenessSum / _stalenessCount;

    public Task StartedAsync(ActorContext context)
    {
        _dqn = new OnlineDqn(skeletons, vocabularyActions, options.TargetGapEv, options.Dqn, options.Seed);
        if (initialPolicy is not null) _dqn.LoadPolicy(initialPolicy);
        _replay = new ReplayBuffer(options.Dqn.ReplayCapacity);
        return Task.CompletedTask;
    }

    public async Task ReceiveAsync(object message, ActorContext context)
    {
        switch (message)
        {
            case EpisodesPlayed batch:
                for (int i = 0; i < batch.Episodes.Count; i++)
                {
                    var e = batch.Episodes[i];
                    _stalenessSum += _version - e.PolicyVersion;
                    _stalenessCount++;
                    foreach (var t in e.Transitions(batch.Rewards[i], options.Dqn.NStep, options.Dqn.Gamma)) _replay!.Add(t);
                }
                await TrainAsync(batch.Episodes.Count * options.Dqn.UpdatesPerEpisode).ConfigureAwait(false);
                break;
            case PolicyPublished p when p.Version > _version:
                // A restarted learner continues from the latest policy the journal registered (its replay buffer
                // refills from new episodes).
                ModelFiles.Verify(p.Path, p.Sha256);
                _dqn!.LoadPolicy(p.Path);
                _version = p.Version;
                Log.Information("Learner: resumed from policy v{Version}", p.Version);
                break;
            case EpisodeForDft e:
                _awaitingDft[e.Episode] = e.Played;
                break;
            case DftReward r when _awaitingDft.Remove(r.Episode, out var played):
                // The DFT verdict enters the buffer as the episode's corrected terminal transition.
                foreach (var t in played.Transitions(r.Reward, options.Dqn.NStep, options.Dqn.Gamma).Where(t => t.Done)) _replay!.Add(t);
                break;
        }
    }

    private async Task TrainAsync(int updates)
    {
        if (_replay!.Count < options.Dqn.LearningStarts) return;
        double loss = 0, q = 0;
        for (int i = 0; i < updates; i++)
            (loss, q) = _dqn!.Update(_replay.Sample(options.Dqn.BatchSize, _rng));
        _sincePublish += updates;
        if (_sincePublish >= options.Dqn.PublishEvery)
        {
            _sincePublish = 0;
            _version++;
            var scratch = ModelFiles.Scratch(store, $"policy-v{_version}");
            _dqn.SavePolicy(scratch, _version);
            var stored = await ModelFiles.StoreAsync(store, scratch).ConfigureAwait(false);
            var notice = new PolicyPublished(_version, stored.Path, stored.Sha256);
            foreach (var g in generators()) g.TryTell(notice);
            coordinator()?.TryTell(notice);
            Log.Debug("Learner: step {Step}, loss {Loss:F4}, mean Q {Q:F3}, policy v{Version}, staleness {Stale:F2}",
                _dqn.Steps, loss, q, _version, MeanStaleness);
        }
    }

    public Task StoppingAsync(IReadOnlyList<object> undelivered, ActorContext context)
    {
        _dqn?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>Coordinator → learner: this episode went to DFT; keep its transitions for the corrected reward.</summary>
public sealed record EpisodeForDft(long Episode, PlayedEpisode Played);
