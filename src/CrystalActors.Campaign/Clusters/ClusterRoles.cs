using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Persistence;
using CrystalActors.Campaign.Roles;
using CrystalActors.Crystals;
using CrystalActors.Learning.Clusters;
using CrystalActors.Learning.Environments.Clusters;
using CrystalActors.Models.Clusters;
using CrystalActors.Runtime.Persistence;
using CrystalActors.Torch.Serialization;

namespace CrystalActors.Campaign.Clusters;

/// <summary>What a node's cluster roles share: the run's config, its seed cluster and bag, the content store.</summary>
public sealed class ClusterCampaignContext
{
    public required ClusterRunOptions Options { get; init; }
    public required Molecule Seed { get; init; }
    public required Element[] Bag { get; init; }
    public required ContentStore Store { get; init; }
    public required string RunDirectory { get; init; }

    public static ClusterCampaignContext Create(ClusterRunOptions o)
    {
        var run = ClusterCampaignRunner.RunDirectory(o);
        return new ClusterCampaignContext
        {
            Options = o, Seed = ClusterRunner.ReadSeed(o.SeedXyz, o.SeedFrame), Bag = o.BagElements(), RunDirectory = run,
            Store = new ContentStore(Path.Combine(run, "state", "content")),
        };
    }

    public ClusterPpoOptions Ppo => new()
    {
        EpisodesPerIteration = Options.Rl.EpisodesPerIteration, Epochs = Options.Rl.Epochs, MinibatchSize = Options.Rl.MinibatchSize,
        LearningRate = Options.Rl.LearningRate, EntropyCoef = Options.Rl.EntropyCoef,
        Policy = new CovariantPolicyOptions { Hidden = Options.Rl.Hidden, Lmax = Options.Rl.Lmax, DistanceBins = Options.Rl.DistanceBins },
    };

    /// <summary>Episodes per generator batch: the iteration's episodes shared among the generators of every node.</summary>
    public int EpisodesPerBatch => Math.Max(1, Options.Rl.EpisodesPerIteration / Options.Roles.Generators);
}

/// <summary>
/// A cluster rollout generator on a node with role "rollout": its own copy of the covariant policy and of the energy
/// model, plays a batch of bag-and-canvas episodes off the mailbox (one batched policy pass and one batched energy call
/// per placement), sends it to the learner and the coordinator, and plays the next only when the learner has taken it
/// (back-pressure) and its policy is at least the version the learner acknowledged with (PPO stays on-policy).
/// </summary>
public sealed class ClusterGeneratorActor : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan ResendAfter = TimeSpan.FromSeconds(60);
    private readonly string _name;
    private readonly ClusterCampaignContext _c;
    private readonly IActorRef _learner, _coordinator, _mediator;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Random _rng;
    private CountingPotential? _potential;
    private IDisposable? _potentialOwner;
    private CovariantActorCritic? _policy;
    private IReadOnlyList<ClusterEnvironment>? _envs;
    private long _version = -1, _batch, _waitForVersion; // -1: no weights of the learner's yet
    private PolicyPublished? _pendingPolicy;
    private ClusterEpisodesPlayed? _unacknowledged;
    private bool _playing, _stopped;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string name, ClusterCampaignContext c, int seed, IActorRef learner, IActorRef coordinator, IActorRef mediator) =>
        Akka.Actor.Props.Create(() => new ClusterGeneratorActor(name, c, seed, learner, coordinator, mediator));

    public ClusterGeneratorActor(string name, ClusterCampaignContext c, int seed, IActorRef learner, IActorRef coordinator, IActorRef mediator)
    {
        _name = name;
        _c = c;
        _learner = learner;
        _coordinator = coordinator;
        _mediator = mediator;
        _rng = new Random(seed);
        Receive<PolicyPublished>(p =>
        {
            // Weights never change under a batch being played: a notice waits for the batch's end.
            if (_playing) { if (p.Version > (_pendingPolicy?.Version ?? -1)) _pendingPolicy = p; return; }
            LoadPolicy(p);
            Self.Tell(Play.Instance);
        });
        Receive<StopGenerating>(_ => _stopped = true);
        Receive<SubscribeAck>(_ => { });
        Receive<Play>(_ => PlayBatch());
        Receive<Played>(OnPlayed);
        Receive<EpisodesAccepted>(a =>
        {
            if (_unacknowledged is null || a.Batch != _unacknowledged.Batch) return;
            _unacknowledged = null;
            _waitForVersion = a.LearnerVersion;
            Timers.Cancel("resend");
            // Should the publication be slow to arrive, play on after a few seconds (the ratio in PPO's loss copes).
            Timers.StartSingleTimer("stale", PlayAnyway.Instance, TimeSpan.FromSeconds(10));
            Self.Tell(Play.Instance);
        });
        Receive<PlayAnyway>(_ => { _waitForVersion = 0; Self.Tell(Play.Instance); });
        Receive<AskWeights>(_ =>
        {
            if (_version >= 0) Timers.Cancel("catch-up");
            else _coordinator.Tell(CatchUp.Instance);
        });
        Receive<Resend>(_ => { if (_unacknowledged is not null) _learner.Tell(_unacknowledged); });
        Receive<Status.Failure>(f =>
        {
            _playing = false;
            _log.Error("Cluster generator {0}: a batch failed: {1}; retrying in 5 s", _name, f.Cause.Message);
            Timers.StartSingleTimer("retry", Play.Instance, TimeSpan.FromSeconds(5));
        });
    }

    protected override void PreStart()
    {
        var (potential, owner) = ClusterRunner.LoadPotential(_c.Options.Potential);
        _potential = new CountingPotential(potential);
        _potentialOwner = owner;
        var ppo = _c.Ppo;
        _policy = new CovariantActorCritic(ppo.Policy, _c.Options.Rules());
        _envs = ClusterPpo.Environments(_potential, _c.Seed, _c.Bag, _c.Options.EnvironmentOptions(), _c.EpisodesPerBatch);
        _mediator.Tell(new Subscribe(ClusterCampaignRunner.PolicyTopic, Self));
        _mediator.Tell(new Subscribe(ClusterCampaignRunner.Topic, Self));
        // Play only with the learner's weights (its version 0 at the latest): ask until they arrive.
        _coordinator.Tell(CatchUp.Instance);
        Timers.StartPeriodicTimer("catch-up", AskWeights.Instance, TimeSpan.FromSeconds(2));
    }

    protected override void PostStop()
    {
        _policy?.Dispose();
        _potentialOwner?.Dispose();
    }

    private void LoadPolicy(PolicyPublished p)
    {
        if (p.Version <= _version) return;
        ModelFiles.Verify(p.Path, p.Sha256);
        SafeTensors.LoadInto(p.Path, _policy!);
        _version = p.Version;
    }

    private void PlayBatch()
    {
        if (_stopped || _playing || _unacknowledged is not null || _version < _waitForVersion) return;
        Timers.Cancel("stale");
        _playing = true;
        var policy = _policy!;
        var envs = _envs!;
        var counter = _potential!;
        long version = _version, before = counter.Evaluations;
        var options = _c.Ppo.Policy;
        Task.Run(() =>
        {
            var episodes = ClusterPpo.Collect(envs, policy, options, _rng);
            return new Played(episodes.Select(e => ClusterEpisodeRecord.From(e, version)).ToList(), counter.Evaluations - before);
        }).PipeTo(Self, failure: e => new Status.Failure(e));
    }

    private void OnPlayed(Played p)
    {
        _playing = false;
        var batch = new ClusterEpisodesPlayed(_name, ++_batch, p.Episodes, p.Evaluations);
        _unacknowledged = batch;
        _learner.Tell(batch);
        _coordinator.Tell(batch);
        Timers.StartPeriodicTimer("resend", Resend.Instance, ResendAfter);
        if (_pendingPolicy is { } pending) { _pendingPolicy = null; LoadPolicy(pending); }
    }

    private sealed record Play : INoSerializationVerificationNeeded { public static readonly Play Instance = new(); }
    private sealed record PlayAnyway : INoSerializationVerificationNeeded { public static readonly PlayAnyway Instance = new(); }
    private sealed record AskWeights : INoSerializationVerificationNeeded { public static readonly AskWeights Instance = new(); }
    private sealed record Resend : INoSerializationVerificationNeeded { public static readonly Resend Instance = new(); }
    private sealed record Played(IReadOnlyList<ClusterEpisodeRecord> Episodes, long Evaluations) : INoSerializationVerificationNeeded;
}

/// <summary>
/// The cluster campaign's PPO learner, a persistent cluster singleton on a node with role "learner": gathers the
/// generators' episodes until an iteration's worth (rl.episodes_per_iteration) is in, runs the PPO update off the mailbox
/// (messages meanwhile wait in the stash), publishes the weights through the content store and topic "policy", and only
/// then acknowledges the batches it used. After a kill it resumes from the latest policy in its journal.
/// </summary>
public sealed class ClusterLearnerActor : ReceivePersistentActor, IWithUnboundedStash
{
    private readonly ClusterCampaignContext _c;
    private readonly IActorRef _coordinator, _mediator;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, long> _lastBatch = new(StringComparer.Ordinal);
    private readonly List<(IActorRef Sender, ClusterEpisodesPlayed Batch)> _waiting = [];
    private ClusterPpo? _ppo;
    private PolicySaved? _latest;
    private long _version;

    public static Props Props(ClusterCampaignContext c, IActorRef coordinator, IActorRef mediator) =>
        Akka.Actor.Props.Create(() => new ClusterLearnerActor(c, coordinator, mediator));

    public ClusterLearnerActor(ClusterCampaignContext c, IActorRef coordinator, IActorRef mediator)
    {
        _c = c;
        _coordinator = coordinator;
        _mediator = mediator;
        Recover<PolicySaved>(p => _latest = p);
        Recover<RecoveryCompleted>(_ => Start());
        Command<ClusterEpisodesPlayed>(OnBatch);
        Command<Trained>(_ => { });
    }

    public override string PersistenceId => "learner-clusters";

    /// <summary>Akka's own line may say only "cannot rollback"; this one says when the disk is full or the folder read-only.</summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        if (SqliteJournal.Explain(Context.System, cause) is { } why) _log.Error("Journal write failed: {0}", why);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    private void Start()
    {
        _ppo = new ClusterPpo(_c.Ppo, _c.Options.Rules(), _c.Options.Seed);
        if (_latest is { } p && File.Exists(p.Path))
        {
            ModelFiles.Verify(p.Path, p.Sha256);
            SafeTensors.LoadInto(p.Path, _ppo.Policy);
            _version = p.Version;
            _log.Info("Cluster learner: resumed from policy v{0}", p.Version);
            // Generators that started meanwhile hold the initial weights: give them the journaled ones.
            _mediator.Tell(new Publish(ClusterCampaignRunner.PolicyTopic, new PolicyPublished(p.Version, p.Path, p.Sha256)));
            _coordinator.Tell(new PolicyPublished(p.Version, p.Path, p.Sha256));
        }
        else Publish(0); // every generator starts from the learner's initial weights (version 0)
    }

    private void OnBatch(ClusterEpisodesPlayed b)
    {
        if (b.Batch <= _lastBatch.GetValueOrDefault(b.Generator))
        {
            if (_waiting.All(w => w.Batch.Generator != b.Generator || w.Batch.Batch != b.Batch))
                Sender.Tell(new EpisodesAccepted(b.Generator, b.Batch, _version, 0)); // a re-sent batch already trained on
            return;
        }
        _lastBatch[b.Generator] = b.Batch;
        _waiting.Add((Sender, b));
        int episodes = _waiting.Sum(w => w.Batch.Episodes.Count);
        if (episodes < _c.Options.Rl.EpisodesPerIteration) return;

        var used = _waiting.ToList();
        _waiting.Clear();
        var options = _c.Ppo.Policy;
        var ppo = _ppo!;
        long version = _version + 1;
        var scratch = ModelFiles.Scratch(_c.Store, $"cluster-policy-v{version}");
        Task.Run(async () =>
        {
            var all = used.SelectMany(u => u.Batch.Episodes).ToList();
            var (pl, vl, ent) = ppo.Update(all.Select(e => (IReadOnlyList<ClusterTransition>)e.Steps.Select(s => s.ToTransition(options)).ToList()).ToList());
            SafeTensors.Save(scratch, ppo.Policy, new Dictionary<string, string> { ["version"] = version.ToString() });
            var stored = await ModelFiles.StoreAsync(_c.Store, scratch).ConfigureAwait(false);
            return new Trained(used, new ClusterLearnerUpdate(version, all.Count, all.Average(e => e.Return), pl, vl, ent), stored);
        }).PipeTo(Self, failure: e => new Status.Failure(e));
        BecomeStacked(Training);
    }

    private void Training()
    {
        Command<Trained>(t =>
        {
            UnbecomeStacked();
            Stash.UnstashAll();
            Persist(new PolicySaved(t.Update.Version, t.Stored.Path, t.Stored.Sha256, t.Update.Version, 0), p =>
            {
                _latest = p;
                _version = p.Version;
                var notice = new PolicyPublished(p.Version, p.Path, p.Sha256, 0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                _mediator.Tell(new Publish(ClusterCampaignRunner.PolicyTopic, notice));
                _coordinator.Tell(notice);
                _coordinator.Tell(t.Update);
                foreach (var (sender, batch) in t.Used) sender.Tell(new EpisodesAccepted(batch.Generator, batch.Batch, _version, 0));
                _log.Debug("Cluster learner: policy v{0}, {1} episodes, mean return {2:F3}", p.Version, t.Update.Episodes, t.Update.MeanReturn);
            });
        });
        Command<Status.Failure>(f =>
        {
            UnbecomeStacked();
            Stash.UnstashAll();
            throw new InvalidOperationException($"cluster learner update failed: {f.Cause.Message}", f.Cause);
        });
        CommandAny(_ => Stash.Stash());
    }

    /// <summary>Stores and announces the current weights as <paramref name="version"/> (the initial ones at start).</summary>
    private void Publish(long version)
    {
        var scratch = ModelFiles.Scratch(_c.Store, $"cluster-policy-v{version}");
        SafeTensors.Save(scratch, _ppo!.Policy, new Dictionary<string, string> { ["version"] = version.ToString() });
        var stored = ModelFiles.StoreAsync(_c.Store, scratch).GetAwaiter().GetResult();
        Persist(new PolicySaved(version, stored.Path, stored.Sha256, 0, 0), p =>
        {
            _latest = p;
            _version = version;
            var notice = new PolicyPublished(version, p.Path, p.Sha256);
            _mediator.Tell(new Publish(ClusterCampaignRunner.PolicyTopic, notice));
            _coordinator.Tell(notice);
        });
    }

    protected override void PostStop()
    {
        _ppo?.Dispose();
        base.PostStop();
    }

    private sealed record Trained(List<(IActorRef Sender, ClusterEpisodesPlayed Batch)> Used, ClusterLearnerUpdate Update, ContentRef Stored)
        : INoSerializationVerificationNeeded;
}
