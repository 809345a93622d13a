using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using CrystalActors.Runtime.Messages;
using CrystalActors.Runtime.Persistence;

namespace CrystalActors.Runtime.Farming;

/// <summary>The farm's snapshot: the job table without its transient lease deadlines.</summary>
[MessageContract("farm.snapshot")]
public sealed record FarmSnapshot(IReadOnlyList<JobRow> Jobs, long Submitted) : IWireMessage;

/// <summary>Farm settings (campaign config `dft.*`, topology). Defaults in the initialisers.</summary>
public sealed record FarmOptions
{
    /// <summary>Lease term; workers renew every third of it. Default 30 s: a long GC or a busy node does not cost the lease.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Attempts (expired leases + retryable failures) before a job is dead-lettered. Default 5.</summary>
    public int MaxAttempts { get; init; } = 5;
    /// <summary>How often expired leases are looked for. Default 1 s.</summary>
    public TimeSpan SweepEvery { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Journal events between snapshots. Default 500.</summary>
    public int SnapshotEvery { get; init; } = 500;
    /// <summary>Persistence id of the farm's journal. Default "dft-farm".</summary>
    public string PersistenceId { get; init; } = "dft-farm";
}

/// <summary>
/// The DFT farm: a cluster singleton that owns the job table and journals every change before it answers
/// (Akka.Persistence.Sql). It decides nothing itself — <see cref="JobTable.Decide"/> does — it persists,
/// replies and hands work to idle workers. A pw.x run of hours is tied to no message timeout: the worker holds
/// a lease it renews, and a lease that runs out sends the job back to the queue.
/// </summary>
public sealed class DftFarmActor : ReceivePersistentActor, IWithTimers
{
    private readonly FarmOptions _o;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private JobTable _table;
    // Idle workers by kind; not journaled: a worker repeats its request while idle.
    private readonly Dictionary<string, (IActorRef Ref, string Kind, DateTime At)> _idle = new(StringComparer.Ordinal);
    private static readonly TimeSpan IdleForgetAfter = TimeSpan.FromSeconds(30);

    /// <summary>Timers are cancelled when the actor restarts, so a restarted farm does not sweep twice.</summary>
    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(FarmOptions options) => Akka.Actor.Props.Create(() => new DftFarmActor(options));

    public DftFarmActor(FarmOptions options)
    {
        _o = options;
        _table = JobTable.Empty(options.Lease, options.MaxAttempts);

        Recover<SnapshotOffer>(o => _table = FromSnapshot((FarmSnapshot)o.Snapshot));
        Recover<IWireMessage>(e => _table = _table.Apply(e));
        Recover<RecoveryCompleted>(_ =>
        {
            _table = _table.GraceLeases(Now);
            var counts = _table.CountByState();
            _log.Info("DFT farm recovered: {0} job(s) ({1})", _table.Jobs.Count, string.Join(", ", counts.Select(kv => $"{kv.Key} {kv.Value}")));
            Timers.StartPeriodicTimer("sweep", Sweep.Instance, _o.SweepEvery);
        });

        Command<SubmitJob>(s => Journal(_table.Decide(s, Now), Sender, () =>
            _log.Info("Job {0} submitted by {1} (stages {2})", s.JobId, s.RequestedBy, string.Join(" → ", s.Stages))));
        Command<RequestWork>(r =>
        {
            var d = _table.Decide(r, Now);
            if (d.Events.Count == 0) { _idle[r.Worker] = (Sender, r.Kind, DateTime.UtcNow); return; }
            _idle.Remove(r.Worker);
            Journal(d, Sender, () => _log.Info("Job {0} leased to {1} (epoch {2})", ((WorkLeased)d.Reply!).JobId, r.Worker, ((WorkLeased)d.Reply).Epoch));
        });
        Command<RenewLease>(r =>
        {
            var (next, refused) = _table.Renew(r.JobId, r.Epoch, r.Worker, Now);
            _table = next;
            if (refused is not null)
            {
                _log.Warning("Renewal of {0} epoch {1} by {2} refused: {3}", r.JobId, r.Epoch, r.Worker, refused);
                Sender.Tell(new LeaseLost(r.JobId, r.Epoch, refused));
            }
        });
        Command<WorkDeclined>(d => Journal(_table.Decide(d, Now), Sender));
        Command<WorkCompleted>(c => Journal(_table.Decide(c, Now), Sender, () => Report(c.JobId, c.Worker)));
        Command<WorkFailed>(f =>
        {
            _log.Warning("{0} reports {1} (epoch {2}) failed: {3}", f.Worker, f.JobId, f.Epoch, f.Error);
            Journal(_table.Decide(f, Now), Sender, () => Report(f.JobId, f.Worker));
        });
        Command<QueryJobs>(q => Sender.Tell(new JobsStatus(q.JobIds.Select(id =>
            _table.Find(id)?.ToStatus() ?? new JobStatus(id, JobStates.Unknown, null, null, null, null, 0)).ToList())));
        Command<GetFarmSummary>(_ => Sender.Tell(_table.Summary()));
        Command<Sweep>(_ =>
        {
            var expired = _table.Expire(Now);
            if (expired.Count > 0)
                _log.Warning("{0} lease(s) expired: {1}", expired.Count, string.Join(", ", expired.Select(e => e is JobRequeued r ? r.JobId : ((JobDeadLettered)e).JobId)));
            Journal(new FarmDecision(expired, null), ActorRefs.NoSender);
            foreach (var (w, entry) in _idle.Where(kv => DateTime.UtcNow - kv.Value.At > IdleForgetAfter).ToList()) _idle.Remove(w);
        });
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning("Farm snapshot failed: {0}", f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    public override string PersistenceId => _o.PersistenceId;

    /// <summary>Akka's own line may say only "cannot rollback"; this one says when the disk is full or the folder read-only.</summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        if (SqliteJournal.Explain(Context.System, cause) is { } why) _log.Error("Journal write failed: {0}", why);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private JobTable FromSnapshot(FarmSnapshot s) => _table with
    {
        Jobs = s.Jobs.ToDictionary(j => j.Id, StringComparer.Ordinal).ToImmutableDictionary(StringComparer.Ordinal),
        Submitted = s.Submitted,
    };

    /// <summary>Journals the decision's events, then applies them, replies, and offers new work to idle workers.</summary>
    private void Journal(FarmDecision d, IActorRef replyTo, Action? afterApply = null)
    {
        if (d.Events.Count == 0)
        {
            if (d.Reply is not null) replyTo.Tell(d.Reply);
            return;
        }
        int left = d.Events.Count;
        PersistAll(d.Events, e =>
        {
            _table = _table.Apply(e);
            if (LastSequenceNr % _o.SnapshotEvery == 0) SaveSnapshot(new FarmSnapshot(_table.Jobs.Values.OrderBy(j => j.Order).ToList(), _table.Submitted));
            if (--left > 0) return;
            if (d.Reply is not null) replyTo.Tell(d.Reply);
            afterApply?.Invoke();
            OfferWork();
        });
    }

    /// <summary>Hands pending stages to workers that asked while there was nothing for them.</summary>
    private void OfferWork()
    {
        foreach (var (worker, (actor, kind, _)) in _idle.ToList())
        {
            if (!_table.HasPending(kind)) continue;
            _idle.Remove(worker);
            var d = _table.Decide(new RequestWork(worker, kind), Now);
            Journal(d, actor, () => _log.Info("Job {0} leased to {1} (epoch {2})", ((WorkLeased)d.Reply!).JobId, worker, ((WorkLeased)d.Reply).Epoch));
            return; // the rest follows when this lease is journaled (one decision at a time keeps the table consistent)
        }
    }

    private void Report(string jobId, string worker)
    {
        if (_table.Find(jobId) is not { } j) return;
        if (j.State == JobStates.Completed) _log.Info("Job {0} completed by {1} ({2:F1} s in the executor)", jobId, worker, j.ExecutorSeconds ?? 0);
        else if (j.State == JobStates.Failed) _log.Warning("Job {0} dead-lettered after {1} attempt(s): {2}", jobId, j.Attempts, j.Error);
        else if (j.State == JobStates.Pending) _log.Info("Job {0} now waits for a '{1}' worker", jobId, j.Stage);
    }

    private sealed record Sweep : INoSerializationVerificationNeeded
    {
        public static readonly Sweep Instance = new();
    }
}
