using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using CrystalActors.Learning.Dqn;
using CrystalActors.Learning.Grpo;
using CrystalActors.Learning.Environments.Skeletons;
using CrystalActors.Runtime.Messages;

namespace CrystalActors.Campaign.Roles;

/// <summary>
/// A rollout generator, on any node with role "rollout": plays batches of epsilon-greedy episodes with its own
/// copy of the policy, scores them with the reward model, and sends them to the learner and the coordinator. It
/// plays the next batch only when the learner has acknowledged the last (back-pressure: generators on other nodes
/// never outrun learning); an unacknowledged batch is re-sent, so a learner that moves to another node loses
/// nothing. New policy versions arrive by publication (topic "policy"); it never waits on DFT. With the GRPO learner it
/// plays one group per batch — <c>grpo.group_size</c> episodes of one skeleton sampled from the policy's softmax, with
/// their log-probabilities — and only with the learner's weights (version 0 at the least), so the ratio in GRPO's loss
/// compares the learner's policy with the one that really played.
/// </summary>
public sealed class RolloutGeneratorActor : ReceiveActor, IWithTimers
{
    private const int EpisodesPerBatch = 8;
    private static readonly TimeSpan ResendAfter = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RewardTimeout = TimeSpan.FromMinutes(2);

    private readonly string _name;
    private readonly CampaignContext _c;
    private readonly IActorRef _rewardModel, _learner, _coordinator, _mediator;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Random _rng;
    private DqnPolicy? _policy;
    private GrpoPolicy? _grpo;
    private bool _hasLearnerWeights;
    private bool _stopped;
    private long _batch;
    private long _environmentSteps;
    private EpisodesPlayed? _unacknowledged;
    private bool _playing;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="name">Cluster-unique: node/gen-k#incarnation, so a restarted generator's batches are never taken for re-sends.</param>
    public static Props Props(string name, CampaignContext context, int seed, IActorRef rewardModel, IActorRef learner, IActorRef coordinator, IActorRef mediator) =>
        Akka.Actor.Props.Create(() => new RolloutGeneratorActor(name, context, seed, rewardModel, learner, coordinator, mediator));

    public RolloutGeneratorActor(string name, CampaignContext context, int seed, IActorRef rewardModel, IActorRef learner, IActorRef coordinator, IActorRef mediator)
    {
        _name = name;
        _c = context;
        _rewardModel = rewardModel;
        _learner = learner;
        _coordinator = coordinator;
        _mediator = mediator;
        _rng = new Random(seed);

        Receive<PolicyPublished>(p =>
        {
            _environmentSteps = Math.Max(_environmentSteps, p.EnvironmentSteps);
            if (p.Version <= _policy!.Version && (_hasLearnerWeights || _grpo is null)) return;
            ModelFiles.Verify(p.Path, p.Sha256);
            _policy.Load(p.Path);
            if (!_hasLearnerWeights && _grpo is not null) Self.Tell(Play.Instance);
            _hasLearnerWeights = true;
            if (p.PublishedAtMs > 0) RecordLatency(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - p.PublishedAtMs);
        });
        Receive<StopGenerating>(_ => _stopped = true);
        Receive<SubscribeAck>(_ => { });
        Receive<Play>(_ => PlayBatch());
        Receive<AskWeights>(_ =>
        {
            if (_hasLearnerWeights) return;
            _coordinator.Tell(CatchUp.Instance);
            Self.Tell(Play.Instance);
        });
        Receive<Scored>(OnScored);
        Receive<EpisodesAccepted>(a =>
        {
            if (_unacknowledged is null || a.Batch != _unacknowledged.Batch) return;
            _unacknowledged = null;
            _environmentSteps = Math.Max(_environmentSteps, a.EnvironmentSteps);
            Timers.Cancel("resend");
            Self.Tell(Play.Instance);
        });
        Receive<Resend>(_ =>
        {
            if (_unacknowledged is null) return;
            _log.Warning("Generator {0}: batch {1} not acknowledged by the learner in {2} s; sending it again", _name, _unacknowledged.Batch, ResendAfter.TotalSeconds);
            _learner.Tell(_unacknowledged);
        });
        Receive<EvaluateGreedy>(_ => EvaluateGreedyAsync().PipeTo(Self, success: r => new GreedyDone(r, null), failure: e => new GreedyDone(null, e.Message)));
        Receive<GreedyDone>(d =>
        {
            if (d.Report is { } report) _coordinator.Tell(report);
            else _log.Warning("Generator {0}: greedy evaluation failed: {1}", _name, d.Error);
        });
        Receive<Status.Failure>(f =>
        {
            // The reward model did not answer (its node left, or it is loading a new version): try again shortly.
            _playing = false;
            _log.Warning("Generator {0}: {1}; retrying in 5 s", _name, f.Cause.Message);
            Timers.StartSingleTimer("retry", Play.Instance, TimeSpan.FromSeconds(5));
        });
    }

    protected override void PreStart()
    {
        if (_c.Options.Learner == "grpo")
        {
            _grpo = new GrpoPolicy(_c.Skeletons, _c.Tasks[0].VocabularyActions, _c.Options.TargetGapEv);
            _policy = _grpo.Greedy; // the same network: its greedy action is the policy's mode
        }
        else
        {
            _policy = new DqnPolicy(_c.Skeletons, _c.Tasks[0].VocabularyActions, _c.Options.TargetGapEv);
            if (_c.Options.InitialPolicy is { } initial) _policy.Load(initial);
        }
        _mediator.Tell(new Subscribe(CampaignCoordinatorActor.PolicyTopic, Self));
        _mediator.Tell(new Subscribe(CampaignCoordinatorActor.Topic, Self));
        _coordinator.Tell(CatchUp.Instance);
        Self.Tell(Play.Instance);
    }

    protected override void PostStop()
    {
        if (_latencies.Count > 0) LogLatency();
        if (_grpo is not null) _grpo.Dispose();
        else _policy?.Dispose();
    }

    /// <summary>Publication-to-loaded latencies of policy versions (ms): the policy broadcast figure of bench/cluster.</summary>
    private readonly List<long> _latencies = [];

    private void RecordLatency(long ms)
    {
        // A week-long campaign publishes thousands of versions: the figure covers the latest 1,000.
        if (_latencies.Count == 1000) _latencies.RemoveAt(0);
        _latencies.Add(ms);
        if (++_versionsSeen % 20 == 0) LogLatency();
    }

    private long _versionsSeen;

    private void LogLatency()
    {
        var sorted = _latencies.Order().ToList();
        _log.Info("Generator {0}: policy broadcast latency over {1} versions: median {2} ms, p95 {3} ms, max {4} ms",
            _name, sorted.Count, sorted[sorted.Count / 2], sorted[(int)(0.95 * (sorted.Count - 1))], sorted[^1]);
    }

    private void PlayBatch()
    {
        if (_stopped || _playing || _unacknowledged is not null) return;
        if (_grpo is not null) { PlayGroup(); return; }
        _playing = true;
        var o = _c.Options;
        double epsilon = o.Epsilon.Schedule.At(_environmentSteps);
        var tasks = _c.Tasks;
        var crystals = Enumerable.Range(0, EpisodesPerBatch).Select(_ => _rng.Next(tasks.Count)).ToArray();
        var orders = crystals.Select(_ => _rng.Next(o.Orders)).ToArray();
        // One batched forward pass per step of eight short episodes: milliseconds, so it runs here.
        var played = EpisodeRunner.Play(_policy!, tasks, crystals, orders, epsilon, _rng).Select(EpisodeRecord.From).ToList();
        ScoreAsync(played).PipeTo(Self, success: r => new Scored(played, r.Rewards, r.Gaps, r.Version, epsilon, r.Components), failure: e => new Status.Failure(e));
    }

    /// <summary>GRPO: one group of episodes of one skeleton, sampled at the configured temperature (batched steps: milliseconds).</summary>
    private void PlayGroup()
    {
        if (!_hasLearnerWeights)
        {
            // The learner's version 0 arrives by publication or catch-up; ask again should both have been missed.
            Timers.StartSingleTimer("catch-up", AskWeights.Instance, TimeSpan.FromSeconds(3));
            return;
        }
        _playing = true;
        var o = _c.Options;
        int crystal = _rng.Next(_c.Tasks.Count), order = _rng.Next(o.Orders);
        var played = GroupRollout.Play(_grpo!, _c.Tasks, [crystal], [order], o.Grpo.GroupSize, o.Grpo.Temperature, _rng).Select(EpisodeRecord.From).ToList();
        ScoreAsync(played).PipeTo(Self, success: r => new Scored(played, r.Rewards, r.Gaps, r.Version, o.Grpo.Temperature, r.Components), failure: e => new Status.Failure(e));
    }

    private void OnScored(Scored s)
    {
        _playing = false;
        var batch = new EpisodesPlayed(_name, ++_batch, s.Played, s.Rewards, s.Gaps, s.RewardVersion, s.Epsilon, _environmentSteps, s.Components);
        _unacknowledged = batch;
        _environmentSteps += s.Played.Sum(p => p.Steps.Count);
        _learner.Tell(batch);
        _coordinator.Tell(batch);
        Timers.StartPeriodicTimer("resend", Resend.Instance, ResendAfter);
        if (_batch % 25 == 0) _log.Debug("Generator {0}: {1} batches, epsilon {2:F3}, policy v{3}", _name, _batch, s.Epsilon, _policy!.Version);
    }

    /// <summary>
    /// Terminal rewards: the penalty for more than 5 elements (no need to ask), else the reward model's gap reward — or,
    /// with a multi-objective <c>reward</c> block, the whole batch scored at once by a reward-model replica (its
    /// normalisations and diversity terms are per batch: for GRPO, per group).
    /// </summary>
    private async Task<(double[] Rewards, double?[] Gaps, long Version, IReadOnlyDictionary<string, double[]>? Components)> ScoreAsync(IReadOnlyList<EpisodeRecord> played)
    {
        var o = _c.Options;
        bool Penalised(EpisodeRecord p) => p.DistinctElements > OnlineReward.MaxDistinctElements;
        if (o.Reward.IsMultiObjective)
        {
            var scores = await _rewardModel.Ask<CrystalScores>(new ScoreCrystals(played.Select(p => p.Structure).ToList()), RewardTimeout).ConfigureAwait(false);
            var totals = played.Select((p, i) => Penalised(p) ? OnlineReward.Penalty : scores.Totals[i]).ToArray();
            return (totals, scores.GapsEv, scores.Version, scores.Components);
        }
        var valid = played.Select((p, i) => (p, i)).Where(x => !Penalised(x.p)).ToArray();
        var gaps = new double?[played.Count];
        long version = 0;
        if (valid.Length > 0)
        {
            var reply = await _rewardModel.Ask<GapPredictions>(new PredictGaps(valid.Select(v => v.p.Structure).ToList()), RewardTimeout).ConfigureAwait(false);
            version = reply.Version;
            for (int k = 0; k < valid.Length; k++) gaps[valid[k].i] = reply.GapsEv[k];
        }
        var rewards = played.Select((p, i) => OnlineReward.Terminal(p.DistinctElements, gaps[i], false, o.TargetGapEv, o.RewardBeta)).ToArray();
        return (rewards, gaps, version, null);
    }

    /// <summary>The greedy policy (epsilon 0) from every configured breadth-first order of every skeleton.</summary>
    private async Task<GreedyReport> EvaluateGreedyAsync()
    {
        var tasks = _c.Tasks;
        var crystals = new List<int>();
        var orders = new List<int>();
        for (int t = 0; t < tasks.Count; t++)
            for (int k = 0; k < Math.Min(_c.Options.Orders, tasks[t].Skeleton.BreadthFirstOrders().Count); k++)
            {
                crystals.Add(t);
                orders.Add(k);
            }
        var played = EpisodeRunner.Play(_policy!, tasks, crystals, orders, epsilon: 0, _rng).Select(EpisodeRecord.From).ToList();
        long version = _policy!.Version;
        var (rewards, gaps, _, _) = await ScoreAsync(played).ConfigureAwait(false);
        int best = Array.IndexOf(rewards, rewards.Max());
        return new GreedyReport(_environmentSteps, rewards.Average(), rewards[best], played[best].Structure.Composition.ReducedFormula, gaps[best], version);
    }

    private sealed record Play : INoSerializationVerificationNeeded { public static readonly Play Instance = new(); }
    private sealed record AskWeights : INoSerializationVerificationNeeded { public static readonly AskWeights Instance = new(); }
    private sealed record Resend : INoSerializationVerificationNeeded { public static readonly Resend Instance = new(); }
    private sealed record GreedyDone(GreedyReport? Report, string? Error) : INoSerializationVerificationNeeded;
    private sealed record Scored(IReadOnlyList<EpisodeRecord> Played, double[] Rewards, double?[] Gaps, long RewardVersion, double Epsilon,
        IReadOnlyDictionary<string, double[]>? Components) : INoSerializationVerificationNeeded;
}
