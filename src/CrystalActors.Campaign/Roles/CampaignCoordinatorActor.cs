using CrystalActors.Learning.Environments.Skeletons;
using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Persistence;
using CrystalActors.Campaign.Reporting;
using CrystalActors.Crystals.Io;
using CrystalActors.Reporting;
using CrystalActors.Runtime.Messages;
using CrystalActors.Runtime.Persistence;

namespace CrystalActors.Campaign.Roles;

/// <summary>Where the coordinator sends things: proxies of the other singletons and the pub-sub mediator.</summary>
/// <param name="OfflineCql">The offline CQL singleton's proxy, or <see cref="ActorRefs.Nobody"/> when offline_cql is off.</param>
public sealed record CoordinatorPeers(IActorRef Farm, IActorRef Learner, IActorRef FineTuner, IActorRef Mediator, IActorRef OfflineCql);

/// <summary>
/// The campaign coordinator, a persistent cluster singleton: journals every episode, DFT request and result and
/// model version (Akka.Persistence.Sql), asks the farm where its DFT jobs are, stops the campaign and writes the
/// report. Its decisions are <see cref="CampaignCoordinator.Handle"/>; this class only journals and sends.
/// Recovery (after a kill, or when the singleton moves to another node) replays the journal, so the report at the
/// end is the same and no episode or DFT result is counted twice.
/// </summary>
public sealed class CampaignCoordinatorActor : ReceivePersistentActor, IWithTimers
{
    public const string Topic = "campaign", PolicyTopic = "policy", RewardModelTopic = "reward-model";

    private readonly CampaignOptions _o;
    private readonly string _run;
    private readonly CoordinatorPeers _peers;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private CoordinatorState _state = CoordinatorState.Initial;
    private CampaignScalars? _scalars;
    /// <summary>Environment steps journaled when this incarnation started: steps per second count from there.</summary>
    private long _stepsAtStart;
    private OptimumResult? _optimum;
    /// <summary>Policy versions' files, so the best greedy-evaluated one can be kept (the content store holds them all).</summary>
    private readonly SortedDictionary<long, string> _policyFiles = new();

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(CampaignOptions options, string runDirectory, CoordinatorPeers peers) =>
        Akka.Actor.Props.Create(() => new CampaignCoordinatorActor(options, runDirectory, peers));

    public CampaignCoordinatorActor(CampaignOptions options, string runDirectory, CoordinatorPeers peers)
    {
        _o = options;
        _run = runDirectory;
        _peers = peers;

        Recover<SnapshotOffer>(o => _state = _state with { Campaign = ((CampaignSnapshot)o.Snapshot).State });
        Recover<CampaignEvent>(e =>
        {
            _state = _state with { Campaign = _state.Campaign.Apply(e) };
            if (e is ModelVersionRegistered { Model: "policy" } p) RememberPolicy(p.Version, p.Path);
        });
        Recover<RecoveryCompleted>(_ =>
        {
            _scalars = new CampaignScalars(_run);
            if (_scalars.IsNew) _scalars.WriteText("hyperparameters", CampaignCurves.HyperparameterTable(_o.ToJson()));
            _stepsAtStart = _state.Campaign.EnvironmentSteps;
            _optimum = OptimumFile.TryRead(_run);
            var s = _state.Campaign;
            if (s.Episodes > 0)
                _log.Info("Campaign {0}: resuming after episode {1} ({2} DFT requested, {3} in flight)", _o.Name, s.Episodes, s.DftRequestedCount, s.DftInFlight);
            Decide(new JournalRecovered());
            Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.FromSeconds(1));
            Timers.StartPeriodicTimer("reconcile", Reconcile.Instance, TimeSpan.FromSeconds(2));
            Timers.StartPeriodicTimer("progress", ProgressTick.Instance, TimeSpan.FromSeconds(10));
        });

        Command<EpisodesPlayed>(b => Decide(new EpisodesArrived(b)));
        Command<JobsStatus>(s => Decide(new FarmReported(s)));
        Command<PolicyPublished>(p =>
        {
            RememberPolicy(p.Version, p.Path);
            Decide(new ModelArrived(new ModelVersionRegistered("policy", p.Version, p.Path, p.Sha256)));
        });
        Command<RewardModelPublished>(r => Decide(new ModelArrived(new ModelVersionRegistered("reward-model", r.Version, r.Path, r.Sha256))));
        Command<CheckpointWritten>(c => Decide(new ModelArrived(new ModelVersionRegistered(c.Model, c.Version, c.Path, c.Sha256))));
        Command<GreedyReport>(g => Decide(new GreedyArrived(g)));
        // The learner's figures (DQN at each publication, GRPO per update) and each fine-tuning round's.
        Command<LearnerStats>(l => _scalars?.Write(CampaignCurves.Learner(l)));
        Command<RewardModelTuned>(t => _scalars?.Write(CampaignCurves.FineTune(_state.Campaign, t)));
        Command<CatchUp>(_ =>
        {
            var models = _state.Campaign.Models;
            if (models.TryGetValue("policy", out var p)) Sender.Tell(new PolicyPublished(p.Version, p.Path, p.Sha256, _state.Campaign.EnvironmentSteps));
            if (models.TryGetValue("reward-model", out var r)) Sender.Tell(new RewardModelPublished(r.Version, r.Path, r.Sha256));
            if (!_state.Generating) Sender.Tell(StopGenerating.Instance);
        });
        Command<GetProgress>(_ => Sender.Tell(Progress()));
        Command<Tick>(_ => Decide(new ClockTick(_clock.Elapsed)));
        Command<Reconcile>(_ =>
        {
            if (_state.Campaign.InFlight.Count > 0) _peers.Farm.Tell(new QueryJobs(_state.Campaign.InFlight.Keys.Order(StringComparer.Ordinal).ToList()));
        });
        Command<ProgressTick>(_ => LogProgress());
        Command<JobAccepted>(_ => { });
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning("Campaign snapshot failed: {0}", f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    public override string PersistenceId => "campaign";

    /// <summary>Akka's own line may say only "cannot rollback"; this one says when the disk is full or the folder read-only.</summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        if (SqliteJournal.Explain(Context.System, cause) is { } why) _log.Error("Journal write failed: {0}", why);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    private CampaignProgress Progress() => CampaignProgress.From(_o, _state.Campaign, _state.Epsilon, _clock.Elapsed, _state.FinishedReason);

    /// <summary>Runs the pure decision, journals its events, then adopts its state and carries out its effects.</summary>
    private void Decide(CoordinatorInput input)
    {
        var d = CampaignCoordinator.Handle(_state, input, _o);
        var sender = Sender;
        if (d.Events.Count == 0) { Adopt(d, sender, input); return; }
        int left = d.Events.Count;
        PersistAll(d.Events, _ =>
        {
            if (--left > 0) return;
            Adopt(d, sender, input);
            if (LastSequenceNr / 1000 > (LastSequenceNr - d.Events.Count) / 1000) SaveSnapshot(new CampaignSnapshot(_state.Campaign));
        });
    }

    private void Adopt(CoordinatorDecision d, IActorRef sender, CoordinatorInput input)
    {
        _state = d.State;
        foreach (var e in d.Events) Record(e);
        if (input is EpisodesArrived { Batch: var batch } && d.Events.Any(e => e is EpisodeCompleted))
        {
            double seconds = _clock.Elapsed.TotalSeconds;
            long steps = _state.Campaign.EnvironmentSteps - _stepsAtStart;
            _scalars!.Write(CampaignCurves.Batch(_state.Campaign, _state.Epsilon, batch, steps > 0 && seconds > 0 ? steps / seconds : null));
        }
        foreach (var fx in d.Effects) Carry(fx, sender);
    }

    private void Carry(CoordinatorEffect effect, IActorRef sender)
    {
        switch (effect)
        {
            case SubmitToFarm s: _peers.Farm.Tell(s.Job); break;
            case SendToLearner l: _peers.Learner.Tell(l.Message); break;
            case SendToFineTuner f: _peers.FineTuner.Tell(f.Sample); break;
            case SendToOfflineLearner s: _peers.OfflineCql.Tell(s.Sample); break;
            case BroadcastStop: _peers.Mediator.Tell(new Publish(Topic, StopGenerating.Instance)); break;
            case RequestGreedyEvaluation g: sender.Tell(g.Request); break;
            case KeepBestPolicy k when _policyFiles.TryGetValue(k.Version, out var file) && File.Exists(file):
                CopyAtomically(file, Path.Combine(_run, "best-policy.safetensors"));
                break;
            case FinishCampaign f: Finish(f.Reason); break;
        }
    }

    /// <summary>Log lines and scalars for what was just journaled.</summary>
    private void Record(CampaignEvent e)
    {
        switch (e)
        {
            case EpisodeCompleted ep:
                _scalars!.Write(CampaignCurves.Episode(ep));
                break;
            case DftFinished f:
                if (_state.Campaign.Designs.LastOrDefault(x => x.Result.JobId == f.JobId) is { } design)
                    _scalars!.Write(CampaignCurves.Dft(design.Request, f));
                _log.Info("Campaign: DFT {0}: {1}{2}", f.JobId, f.Success ? FormattableString.Invariant($"gap {f.GapEv:F3} eV") : $"failed ({f.FailureClass})",
                    f.RelaxedStructureJson is null ? "" : " (relaxed structure kept)");
                break;
            case GreedyEvaluated g:
                _scalars!.Write(CampaignCurves.Greedy(g));
                var optimum = _optimum is { } o ? FormattableString.Invariant($" ({100 * g.MeanReward / o.Reward:F1}% of the optimum {o.Reward:F4}, {o.Formula})") : "";
                _log.Info(FormattableString.Invariant(
                    $"Campaign {_o.Name}: greedy policy v{g.PolicyVersion} after {g.EnvironmentSteps} steps: mean reward {g.MeanReward:F4}, best {g.BestReward:F4} ({g.BestFormula}){optimum}"));
                break;
            case ModelVersionRegistered m:
                _log.Info("Campaign: {0} v{1} registered", m.Model, m.Version);
                break;
        }
    }

    private void RememberPolicy(long version, string path)
    {
        if (version < 0) return;
        _policyFiles[version] = path;
        while (_policyFiles.Count > 256) _policyFiles.Remove(_policyFiles.Keys.First());
    }

    private void Finish(string reason)
    {
        var s = _state.Campaign;
        var report = CampaignReport.From(_o.Name, s, reason, _clock.Elapsed.TotalSeconds, Path.Combine(_run, "best"), _optimum);
        report.Write(_run, s);
        DesignsTable.Write(_run, s, _o);
        if (s.Models.TryGetValue("policy", out var policy) && File.Exists(policy.Path))
            CopyAtomically(policy.Path, Path.Combine(_run, "policy.safetensors")); // Exp. 4 starts from it
        _scalars?.Flush();
        WriteHtmlReport();
        _log.Info("Campaign {0} finished: {1}. Report: {2}", _o.Name, reason, Path.Combine(_run, "report.json"));
    }

    /// <summary>report.html beside report.json. It only presents what is already written, so a failure (a plotting
    /// library whose native part will not load on this node, say) is logged and the campaign still ends normally.</summary>
    private void WriteHtmlReport()
    {
        try
        {
            var report = RunReports.Write(_run);
            foreach (var problem in report.Problems) _log.Warning("Campaign report: {0}", problem);
        }
        catch (Exception e)
        {
            _log.Warning("Campaign report: {0} not written ({1}); `crystal-actors report --run {2}` retries it", RunReports.FileName, FileErrors.Describe(e) ?? e.Message, _run);
        }
    }

    private void LogProgress()
    {
        var s = _state.Campaign;
        _log.Info(FormattableString.Invariant(
            $"Campaign {_o.Name}: episode {s.Episodes}/{_o.Episodes}, epsilon {_state.Epsilon:F3}, mean reward (last 100) {s.MeanRecentReward:F3}, DFT in flight {s.DftInFlight}, done {s.DftSucceeded}, failed {s.DftFailed}, policy lag {s.MeanPolicyLag:F2}, models {string.Join(" ", s.Models.Select(m => $"{m.Key}=v{m.Value.Version}"))}"));
        _scalars!.Flush();
    }

    private static void CopyAtomically(string from, string to) => AtomicFile.Write(to, target =>
    {
        using var source = File.OpenRead(from);
        source.CopyTo(target);
    });

    protected override void PostStop()
    {
        _scalars?.Dispose();
        base.PostStop();
    }

    private sealed record Tick : INoSerializationVerificationNeeded { public static readonly Tick Instance = new(); }
    private sealed record Reconcile : INoSerializationVerificationNeeded { public static readonly Reconcile Instance = new(); }
    private sealed record ProgressTick : INoSerializationVerificationNeeded { public static readonly ProgressTick Instance = new(); }
}
