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
    private const string GreedyEvaluator = "gen-0";
    private long _sinceGreedy;
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
                try
                {
                    await PlayAsync().ConfigureAwait(false);
                }
                catch (System.Threading.Channels.ChannelClosedException)
                {
                    // The learner or coordinator stopped first (the node is shutting down): the batch has nowhere to go.
                    _stopped = true;
                    Log.Debug("Generator {Name}: a receiver has stopped; generation ends", name);
                    break;
                }
                context.Self.TryTell(PlayBatch.Instance);
                break;
        }
    }

    private async Task PlayAsync()
    {
        var schedule = options.Epsilon.Schedule;
        long stepsBefore = globalSteps();
        double epsilon = schedule.At(stepsBefore);
        var crystals = Enumerable.Range(0, EpisodesPerBatch).Select(_ => _rng.Next(tasks.Count)).ToArray();
        var orders = crystals.Select(_ => _rng.Next(options.Orders)).ToArray();
        var played = EpisodeRunner.Play(_policy!, tasks, crystals, orders, epsilon, _rng);
        countSteps(played.Sum(p => p.Steps.Count));

        var (rewards, gaps, rewardVersion) = await RewardsAsync(played).ConfigureAwait(false);
        var batch = new EpisodesPlayed(name, played, rewards, gaps, rewardVersion, epsilon, globalSteps());
        // The learner's small mailbox paces the generators: they run at most a few batches ahead of learning, so that
        // the epsilon schedule (driven by environment steps) and the gradient steps per episode hold as configured.
        if (learner() is { } l) await l.TellAsync(batch).ConfigureAwait(false);
        var c = coordinator();
        if (c is not null) await c.TellAsync(batch).ConfigureAwait(false);
        if (++_batches % 25 == 0)
            Log.Debug("Generator {Name}: {Batches} batches, epsilon {Epsilon:F3}, policy v{Version}", name, _batches, epsilon, _policy!.Version);

        // One generator measures the greedy policy now and then (Exp. 1: does it reach the optimum?).
        _sinceGreedy += played.Count;
        if (name == GreedyEvaluator && options.GreedyEvalEvery > 0 && _sinceGreedy >= options.GreedyEvalEvery && c is not null)
        {
            _sinceGreedy = 0;
            await c.TellAsync(await EvaluateGreedyAsync().ConfigureAwait(false)).ConfigureAwait(false);
        }
    }

    /// <summary>Terminal rewards: the penalty for more than 5 elements (no need to ask), else the reward model's gap.</summary>
    private async Task<(double[] Rewards, double?[] Gaps, long Version)> RewardsAsync(IReadOnlyList<PlayedEpisode> played)
    {
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
        return (rewards, gaps, rewardVersion);
    }

    /// <summary>The greedy policy (epsilon 0) from every configured breadth-first order of every skeleton.</summary>
    private async Task<GreedyReport> EvaluateGreedyAsync()
    {
        var crystals = new List<int>();
        var orders = new List<int>();
        for (int t = 0; t < tasks.Count; t++)
            for (int o = 0; o < Math.Min(options.Orders, tasks[t].Skeleton.BreadthFirstOrders().Count); o++)
            {
                crystals.Add(t);
                orders.Add(o);
            }
        var played = EpisodeRunner.Play(_policy!, tasks, crystals, orders, epsilon: 0, _rng);
        var (rewards, gaps, _) = await RewardsAsync(played).ConfigureAwait(false);
        int best = Array.IndexOf(rewards, rewards.Max());
        return new GreedyReport(globalSteps(), rewards.Average(), rewards[best],
            played[best].Episode.ToStructure().Composition.ReducedFormula, gaps[best], _policy!.Version);
    }

    public Task StoppingAsync(IReadOnlyList<object> undelivered, ActorContext context)
    {
        _policy?.Dispose();
        return Task.CompletedTask;
    }
}
