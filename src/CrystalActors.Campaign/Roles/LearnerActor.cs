using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Persistence;
using CrystalActors.Learning.Dqn;
using CrystalActors.Learning.Grpo;
using CrystalActors.Learning.Offline;
using CrystalActors.Runtime.Messages;
using CrystalActors.Runtime.Persistence;
using CrystalActors.Torch;

namespace CrystalActors.Campaign.Roles;

/// <summary>The learner's journal: each published policy (weights in the content store) and the clocks at that moment
/// (<paramref name="Episodes"/>: episodes trained on, the x-axis of its curves; 0 in journals written before it was added).</summary>
[MessageContract("learner.event.policy-saved")]
public sealed record PolicySaved(long Version, string Path, string Sha256, long GradientSteps, long EnvironmentSteps, long Episodes = 0) : IWireMessage;

/// <summary>
/// The online learner, a persistent cluster singleton, running the config's algorithm. DQN (the default): fills the replay buffer from the generators' batches,
/// trains off the mailbox (the gradient steps run as a task whose end is piped back; messages meanwhile wait in
/// the stash), acknowledges each batch — the generators' back-pressure credit — and publishes its weights to the
/// content store and topic "policy". After a kill it recovers the latest policy from its journal (the replay
/// buffer refills from new episodes). GRPO: each batch is one group of episodes of one skeleton, sampled with their
/// log-probabilities; one update per group, then the new weights are published and the generator acknowledged (so
/// generators play the current policy). The learner's initial weights are published as version 0 before any
/// generator plays, and they stay the reference of the KL term across restarts.
/// </summary>
public sealed class LearnerActor : ReceivePersistentActor, IWithUnboundedStash
{
    private readonly CampaignContext _c;
    private readonly Device _device;
    private readonly IActorRef _coordinator;
    private readonly IActorRef _mediator;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private OnlineDqn? _dqn;
    private GrpoLearner? _grpo;
    private PolicySaved? _reference;
    private ReplayBuffer? _replay;
    private Random _rng;
    private PolicySaved? _latest;
    private long _version;
    private long _sincePublish;
    private long _environmentSteps;
    private long _episodes;
    private readonly Dictionary<string, long> _lastBatch = new(StringComparer.Ordinal);
    private readonly Dictionary<long, EpisodeRecord> _awaitingDft = new();
    private double _lagSum;
    private long _lagCount;

    public static Props Props(CampaignContext context, Device device, IActorRef coordinator, IActorRef mediator) =>
        Akka.Actor.Props.Create(() => new LearnerActor(context, device, coordinator, mediator));

    public LearnerActor(CampaignContext context, Device device, IActorRef coordinator, IActorRef mediator)
    {
        _device = device;
        _c = context;
        _coordinator = coordinator;
        _mediator = mediator;
        _rng = new Random((int)context.Options.Seed);
        Recover<PolicySaved>(p =>
        {
            _latest = p;
            if (p.Version == 0) _reference ??= p;
        });
        Recover<RecoveryCompleted>(_ => Start());
        Ready();
    }

    public override string PersistenceId => _c.Options.Learner == "grpo" ? "learner-grpo" : "learner-dqn";

    /// <summary>Akka's own line may say only "cannot rollback"; this one says when the disk is full or the folder read-only.</summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        if (SqliteJournal.Explain(Context.System, cause) is { } why) _log.Error("Journal write failed: {0}", why);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <summary>Mean policy lag (learner version minus the version that played) of the episodes received.</summary>
    public double MeanLag => _lagCount == 0 ? 0 : _lagSum / _lagCount;

    private CampaignOptions O => _c.Options;

    private void Start()
    {
        if (O.Learner == "grpo") { StartGrpo(); return; }
        _dqn = new OnlineDqn(_c.Skeletons, _c.Tasks[0].VocabularyActions, O.TargetGapEv, O.Dqn, O.Seed, _device);
        _replay = new ReplayBuffer(O.Dqn.ReplayCapacity);
        if (_latest is { } p && File.Exists(p.Path))
        {
            ModelFiles.Verify(p.Path, p.Sha256);
            _dqn.LoadPolicy(p.Path);
            _version = p.Version;
            _environmentSteps = p.EnvironmentSteps;
            _episodes = p.Episodes;
            _rng = new Random((int)O.Seed + (int)(p.GradientSteps % int.MaxValue)); // a resumed learner must not replay the same samples
            _log.Info("Learner: resumed from policy v{0} ({1} environment steps)", p.Version, p.EnvironmentSteps);
        }
        else if (O.InitialPolicy is { } initial) _dqn.LoadPolicy(initial);
    }

    private void Ready()
    {
        Command<EpisodesPlayed>(OnBatch);
        Command<EpisodeForDft>(e => { if (_replay is not null) _awaitingDft[e.Episode] = e.Played; });
        Command<DftReward>(r =>
        {
            // The DFT verdict enters the buffer as the episode's corrected terminal transition (DQN; GRPO learns from groups only).
            if (_awaitingDft.Remove(r.Episode, out var played) && _replay is not null)
                foreach (var t in played.Transitions(r.Reward, O.Dqn.NStep, O.Dqn.Gamma).Where(t => t.Done)) _replay!.Add(t);
        });
        Command<Trained>(_ => { });
        Command<SaveSnapshotSuccess>(_ => { });
    }

    private void StartGrpo()
    {
        _grpo = new GrpoLearner(_c.Skeletons, _c.Tasks[0].VocabularyActions, O.TargetGapEv, O.Grpo, O.Seed, _device);
        if (_latest is { } p && File.Exists(p.Path))
        {
            ModelFiles.Verify(p.Path, p.Sha256);
            _grpo.LoadPolicy(p.Path);
            if (_reference is { } r && File.Exists(r.Path)) _grpo.LoadReference(r.Path);
            _version = p.Version;
            _environmentSteps = p.EnvironmentSteps;
            _episodes = p.Episodes;
            _log.Info("Learner (GRPO): resumed from policy v{0} ({1} environment steps)", p.Version, p.EnvironmentSteps);
            Announce(p);
            return;
        }
        if (O.InitialPolicy is { } initial) _grpo.LoadPolicy(initial);
        // Version 0: the weights every generator samples with first, and the KL term's reference from then on.
        var scratch = ModelFiles.Scratch(_c.Store, "policy-v0");
        _grpo.SavePolicy(scratch, 0);
        var stored = ModelFiles.StoreAsync(_c.Store, scratch).GetAwaiter().GetResult();
        Persist(new PolicySaved(0, stored.Path, stored.Sha256, 0, 0), saved =>
        {
            _latest = _reference = saved;
            Announce(saved);
        });
    }

    private void Announce(PolicySaved p)
    {
        var notice = new PolicyPublished(p.Version, p.Path, p.Sha256, p.EnvironmentSteps, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        _mediator.Tell(new Publish(CampaignCoordinatorActor.PolicyTopic, notice));
        _coordinator.Tell(notice);
    }

    /// <summary>GRPO: one update on the group, off the mailbox; the new weights are published before the generator hears back.</summary>
    private void OnGroup(EpisodesPlayed b)
    {
        var generator = Sender;
        var grpo = _grpo!;
        long version = _version + 1;
        var trajectories = b.Episodes.Select(e => e.Trajectory()).ToList();
        foreach (var e in b.Episodes)
        {
            _lagSum += _version - e.PolicyVersion;
            _lagCount++;
            _environmentSteps += e.Steps.Count;
        }
        long episodes = _episodes += b.Episodes.Count;
        Task.Run(async () =>
        {
            var stats = grpo.Update(trajectories, b.Rewards, b.RewardComponents);
            var scratch = ModelFiles.Scratch(_c.Store, $"policy-v{version}");
            grpo.SavePolicy(scratch, version);
            var stored = await ModelFiles.StoreAsync(_c.Store, scratch).ConfigureAwait(false);
            _log.Debug(FormattableString.Invariant(
                $"Learner (GRPO): update {stats.Update}: reward {stats.RewardMean:F4} ± {stats.RewardStd:F4}, KL {stats.Kl:F5}, entropy {stats.Entropy:F3}, clip {stats.ClipFraction:F3}, loss {stats.Loss:F4}"));
            _coordinator.Tell(new LearnerStats(version, stats.Scalars().ToDictionary(kv => kv.Key, kv => kv.Value), episodes));
            return new Trained(b, generator, stats.Loss, stats.Kl, grpo.GradientSteps, version, stored, 0);
        }).PipeTo(Self, failure: e => new Status.Failure(e));
        BecomeStacked(Training);
    }

    private void OnBatch(EpisodesPlayed b)
    {
        if (b.Batch <= _lastBatch.GetValueOrDefault(b.Generator))
        {
            Sender.Tell(new EpisodesAccepted(b.Generator, b.Batch, _version, _environmentSteps)); // a re-sent batch: already in the buffer
            return;
        }
        _lastBatch[b.Generator] = b.Batch;
        if (_grpo is not null) { OnGroup(b); return; }
        for (int i = 0; i < b.Episodes.Count; i++)
        {
            var e = b.Episodes[i];
            _lagSum += _version - e.PolicyVersion;
            _lagCount++;
            _environmentSteps += e.Steps.Count;
            foreach (var t in e.Transitions(b.Rewards[i], O.Dqn.NStep, O.Dqn.Gamma)) _replay!.Add(t);
        }
        _episodes += b.Episodes.Count;
        int updates = b.Episodes.Count * O.Dqn.UpdatesPerEpisode;
        if (_replay!.Count < O.Dqn.LearningStarts || updates == 0)
        {
            Sender.Tell(new EpisodesAccepted(b.Generator, b.Batch, _version, _environmentSteps));
            return;
        }
        // Gradient steps run off the mailbox; what arrives meanwhile waits in the stash.
        var generator = Sender;
        var dqn = _dqn!;
        var batches = Enumerable.Range(0, updates).Select(_ => _replay.Sample(O.Dqn.BatchSize, _rng)).ToList();
        bool publish = (_sincePublish += updates) >= O.Dqn.PublishEvery;
        if (publish) _sincePublish = 0;
        long version = publish ? _version + 1 : _version;
        Task.Run(async () =>
        {
            // Means over the batch's updates: one update's TD loss is too noisy to plot.
            double loss = 0, q = 0;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            foreach (var batch in batches)
            {
                var (l, mq) = dqn.Update(batch);
                loss += l / batches.Count;
                q += mq / batches.Count;
            }
            double updatesPerSecond = batches.Count / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            ContentRef? stored = null;
            if (publish)
            {
                var scratch = ModelFiles.Scratch(_c.Store, $"policy-v{version}");
                dqn.SavePolicy(scratch, version);
                stored = await ModelFiles.StoreAsync(_c.Store, scratch).ConfigureAwait(false);
            }
            return new Trained(b, generator, loss, q, dqn.Steps, version, stored, updatesPerSecond);
        }).PipeTo(Self, failure: e => new Status.Failure(e));
        BecomeStacked(Training);
    }

    private void Training()
    {
        Command<Trained>(t =>
        {
            UnbecomeStacked();
            Stash.UnstashAll();
            // DQN's figures at each publication (GRPO sends its own per update): the learning curve's true steps.
            if (_dqn is not null && t.Stored is not null)
                _coordinator.Tell(new LearnerStats(t.Version, new Dictionary<string, double>
                {
                    ["losses/td"] = t.Loss, ["charts/mean_q"] = t.MeanQ, ["charts/gradient_steps"] = t.GradientSteps,
                    ["charts/updates_per_second"] = t.UpdatesPerSecond, ["charts/replay_size"] = _replay!.Count, ["charts/policy_lag_mean"] = MeanLag,
                }, _episodes));
            if (t.Stored is { } stored)
            {
                var saved = new PolicySaved(t.Version, stored.Path, stored.Sha256, t.GradientSteps, _environmentSteps, _episodes);
                Persist(saved, p =>
                {
                    _latest = p;
                    _version = p.Version;
                    var notice = new PolicyPublished(p.Version, p.Path, p.Sha256, p.EnvironmentSteps, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                    _mediator.Tell(new Publish(CampaignCoordinatorActor.PolicyTopic, notice));
                    _coordinator.Tell(notice);
                    _log.Debug("Learner: step {0}, loss {1:F4}, mean Q {2:F3}, policy v{3}, mean lag {4:F2}", t.GradientSteps, t.Loss, t.MeanQ, p.Version, MeanLag);
                });
            }
            t.Generator.Tell(new EpisodesAccepted(t.Batch.Generator, t.Batch.Batch, t.Version, _environmentSteps));
        });
        Command<Status.Failure>(f =>
        {
            UnbecomeStacked();
            Stash.UnstashAll();
            throw new InvalidOperationException($"learner training step failed: {f.Cause.Message}", f.Cause);
        });
        CommandAny(_ => Stash.Stash());
    }

    protected override void PostStop()
    {
        _dqn?.Dispose();
        _grpo?.Dispose();
        base.PostStop();
    }

    /// <param name="UpdatesPerSecond">DQN: gradient steps per second of this batch's updates (0 for GRPO, which reports its own figures).</param>
    private sealed record Trained(EpisodesPlayed Batch, IActorRef Generator, double Loss, double MeanQ, long GradientSteps, long Version, ContentRef? Stored,
        double UpdatesPerSecond) : INoSerializationVerificationNeeded;
}
