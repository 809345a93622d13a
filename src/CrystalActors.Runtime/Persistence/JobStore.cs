using System.Text.Json;
using CrystalActors.Runtime.Messages;

namespace CrystalActors.Runtime.Persistence;

/// <summary>Job lifecycle: Pending (dispatch queued) → Leased (a worker holds epoch N) → Completed | Failed.</summary>
public static class JobStates
{
    public const string Pending = "pending";
    public const string Leased = "leased";
    public const string Completed = "completed";
    public const string Failed = "failed";
}

/// <summary>Outcome of a lease request.</summary>
public sealed record LeaseDecision(bool Granted, long Epoch, DateTimeOffset Expires, string? Reason);

/// <summary>Outcome of applying a worker report: Applied, Duplicate (seen in the inbox) or Rejected (fenced off).</summary>
public enum ApplyOutcome { Applied, Duplicate, Rejected }

public sealed record ApplyResult(ApplyOutcome Outcome, string? Reason = null);

/// <summary>One outbox row: an encoded frame waiting to be published to <see cref="Destination"/>.</summary>
public sealed record OutboxMessage(long Id, string Destination, byte[] Body);

/// <summary>Settings of the job table. Defaults in the initialisers.</summary>
public sealed class JobStoreOptions
{
    /// <summary>How long a lease lasts without renewal. Default 15 s.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>Attempts (lease expiries + retryable failures) before a job is marked failed. Default 5.</summary>
    public int MaxAttempts { get; init; } = 5;
    /// <summary>Outbox destination of job dispatches. Default "queue/dft.jobs".</summary>
    public string DispatchDestination { get; init; } = "queue/dft.jobs";
    /// <summary>Outbox destination of completion notices (a broadcast). Default "broadcast/dft.results".</summary>
    public string ResultDestination { get; init; } = "broadcast/dft.results";
    /// <summary>Sender name written into frames this store enqueues. Default "coordinator".</summary>
    public string Sender { get; init; } = "coordinator";
}

/// <summary>
/// The job table with leases and fencing epochs, an inbox for exactly-once application of worker
/// reports, and an outbox so that every dispatch is published only after the state change committed.
/// Every state change is also journaled under entity <see cref="JournalEntity"/>.
///
/// Fencing: a lease grant increments the job's epoch; renewals and results must carry the current
/// epoch, the job must still be leased, and the lease must not have expired — so a worker that was
/// presumed dead cannot overwrite the work of its successor.
/// </summary>
public sealed class JobStore(ClusterDatabase db, JobStoreOptions? options = null, TimeProvider? time = null, MessageCodec? codec = null) : IDisposable
{
    public const string JournalEntity = "dft-jobs";
    private readonly JobStoreOptions _o = options ?? new JobStoreOptions();
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly MessageCodec _codec = codec ?? MessageCodec.Default;
    private readonly EventJournal _journal = new(db, time);

    public JobStoreOptions Options => _o;
    public EventJournal Journal => _journal;
    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Records a new job and queues its dispatch. Idempotent: a known job id returns false.</summary>
    public bool Submit(DftJobRequested request) => db.InTransaction(() =>
    {
        var inserted = db.Execute("""
            insert or ignore into jobs(id, payload, protocol, requested_by, state, epoch, created_ms)
            values ($id, $p, $proto, $by, $st, 0, $now)
            """, ("$id", request.JobId), ("$p", request.StructureJson), ("$proto", request.Protocol),
            ("$by", request.RequestedBy), ("$st", JobStates.Pending), ("$now", NowMs)) == 1;
        if (!inserted) return false;
        _journal.Append(JournalEntity, "JobRequested", Json(new { jobId = request.JobId, requestedBy = request.RequestedBy }));
        EnqueueDispatch(request.JobId, 0);
        return true;
    });

    /// <summary>Grants a lease when the job is pending and the worker holds its current dispatch.</summary>
    public LeaseDecision TryLease(string jobId, string worker, long dispatchEpoch) => db.InTransaction(() =>
    {
        var job = Find(jobId);
        if (job is null) return new LeaseDecision(false, 0, default, $"unknown job {jobId}");
        // The same request again (our reply was lost when the coordinator died): grant the same lease again.
        if (job.State == JobStates.Leased && job.Worker == worker && job.Epoch == dispatchEpoch + 1 && job.LeaseExpiresMs >= NowMs)
            return new LeaseDecision(true, job.Epoch, DateTimeOffset.FromUnixTimeMilliseconds(job.LeaseExpiresMs!.Value), null);
        if (job.State != JobStates.Pending) return new LeaseDecision(false, job.Epoch, default, $"job is {job.State}");
        if (dispatchEpoch != job.Epoch) return new LeaseDecision(false, job.Epoch, default, $"stale dispatch (epoch {dispatchEpoch}, current {job.Epoch})");
        var epoch = job.Epoch + 1;
        var expires = NowMs + (long)_o.LeaseDuration.TotalMilliseconds;
        db.Execute("update jobs set state=$st, epoch=$ep, worker=$w, lease_expires_ms=$exp, leased_ms=$now where id=$id",
            ("$st", JobStates.Leased), ("$ep", epoch), ("$w", worker), ("$exp", expires), ("$now", NowMs), ("$id", jobId));
        _journal.Append(JournalEntity, "JobLeased", Json(new { jobId, worker, epoch }));
        return new LeaseDecision(true, epoch, DateTimeOffset.FromUnixTimeMilliseconds(expires), null);
    });

    /// <summary>Extends a live lease. False when the epoch is stale, the job moved on or the lease already expired.</summary>
    public bool Renew(string jobId, string worker, long epoch) =>
        db.Execute("""
            update jobs set lease_expires_ms = $exp
            where id=$id and state=$st and epoch=$ep and worker=$w and lease_expires_ms >= $now
            """, ("$exp", NowMs + (long)_o.LeaseDuration.TotalMilliseconds), ("$id", jobId), ("$st", JobStates.Leased),
            ("$ep", epoch), ("$w", worker), ("$now", NowMs)) == 1;

    /// <summary>Applies a result exactly once (inbox keyed by <paramref name="messageId"/>), fenced by epoch and lease expiry.</summary>
    public ApplyResult ApplyCompleted(string messageId, DftJobCompleted done) => db.InTransaction(() =>
    {
        if (SeenInInbox(messageId)) return new ApplyResult(ApplyOutcome.Duplicate);
        var fence = Fence(done.JobId, done.Epoch, done.Worker);
        if (fence is not null) { RecordInbox(messageId, "completed", "rejected: " + fence); return new ApplyResult(ApplyOutcome.Rejected, fence); }
        db.Execute("""
            update jobs set state=$st, result=$r, completed_ms=$now, executor_seconds=$xs, lease_expires_ms=null where id=$id
            """, ("$st", JobStates.Completed), ("$r", done.ResultJson), ("$now", NowMs), ("$xs", done.ExecutorSeconds), ("$id", done.JobId));
        _journal.Append(JournalEntity, "JobCompleted", Json(new { jobId = done.JobId, epoch = done.Epoch, worker = done.Worker }));
        RecordInbox(messageId, "completed", "applied");
        Enqueue(_o.ResultDestination, done, $"done:{done.JobId}");
        return new ApplyResult(ApplyOutcome.Applied);
    });

    /// <summary>Applies a failure report exactly once: retryable failures go back to pending until MaxAttempts.</summary>
    public ApplyResult ApplyFailed(string messageId, DftJobFailed failed) => db.InTransaction(() =>
    {
        if (SeenInInbox(messageId)) return new ApplyResult(ApplyOutcome.Duplicate);
        var fence = Fence(failed.JobId, failed.Epoch, failed.Worker);
        if (fence is not null) { RecordInbox(messageId, "failed", "rejected: " + fence); return new ApplyResult(ApplyOutcome.Rejected, fence); }
        RecordInbox(messageId, "failed", "applied");
        Requeue(failed.JobId, failed.Retryable, failed.Error);
        return new ApplyResult(ApplyOutcome.Applied);
    });

    /// <summary>Returns expired leases to pending (re-dispatching them) or fails jobs out of attempts; returns affected job ids.</summary>
    public IReadOnlyList<string> ExpireLeases() => db.InTransaction(() =>
    {
        var expired = new List<string>();
        using (var cmd = db.Command("select id from jobs where state=$st and lease_expires_ms < $now order by id", ("$st", JobStates.Leased), ("$now", NowMs)))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) expired.Add(r.GetString(0));
        foreach (var id in expired) Requeue(id, retryable: true, "lease expired");
        return expired;
    });

    /// <summary>
    /// Leases could not be renewed while the coordinator was down; give every live lease a full term from now
    /// so a coordinator restart does not look like dead workers. Returns the number of leases extended.
    /// </summary>
    public int GraceActiveLeases() =>
        db.Execute("update jobs set lease_expires_ms = max(lease_expires_ms, $exp) where state=$st",
            ("$exp", NowMs + (long)_o.LeaseDuration.TotalMilliseconds), ("$st", JobStates.Leased));

    /// <summary>Pending jobs whose dispatch went out more than <paramref name="age"/> ago and that nobody leased.</summary>
    public int CountStaleDispatches(TimeSpan age) => Convert.ToInt32(db.Scalar("select count(*) from jobs where state=$st and dispatched_ms < $cut",
        ("$st", JobStates.Pending), ("$cut", NowMs - (long)age.TotalMilliseconds)));

    /// <summary>
    /// The database, not the broker, is the truth: when the job queue is empty yet jobs are still pending, their
    /// dispatches were lost (e.g. dead-lettered during a broker restart). Publish them again, counting an attempt,
    /// so a job that keeps vanishing (a poison payload) ends as failed instead of looping.
    /// </summary>
    public IReadOnlyList<string> RedispatchStale(TimeSpan age) => db.InTransaction(() =>
    {
        var stale = new List<string>();
        using (var cmd = db.Command("select id from jobs where state=$st and dispatched_ms < $cut order by id",
            ("$st", JobStates.Pending), ("$cut", NowMs - (long)age.TotalMilliseconds)))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) stale.Add(r.GetString(0));
        foreach (var id in stale) Requeue(id, retryable: true, "dispatch lost: not leased and not queued");
        return stale;
    });

    private void Requeue(string jobId, bool retryable, string error)
    {
        var job = Find(jobId)!;
        var attempts = job.Attempts + 1;
        // Epoch stays: the new dispatch carries the current epoch, so older dispatch copies cannot take a lease.
        var giveUp = !retryable || attempts >= _o.MaxAttempts;
        db.Execute("update jobs set state=$st, attempts=$a, error=$err, worker=null, lease_expires_ms=null where id=$id",
            ("$st", giveUp ? JobStates.Failed : JobStates.Pending), ("$a", attempts), ("$err", error), ("$id", jobId));
        _journal.Append(JournalEntity, giveUp ? "JobFailed" : "JobRequeued", Json(new { jobId, epoch = job.Epoch, attempts, error }));
        if (!giveUp) EnqueueDispatch(jobId, job.Epoch);
    }

    private string? Fence(string jobId, long epoch, string worker)
    {
        var job = Find(jobId);
        if (job is null) return $"unknown job {jobId}";
        if (job.State != JobStates.Leased) return $"job is {job.State}";
        if (job.Epoch != epoch) return $"stale epoch {epoch} (current {job.Epoch})";
        if (job.Worker != worker) return $"lease belongs to {job.Worker}, not {worker}";
        if (job.LeaseExpiresMs < NowMs) return "lease expired";
        return null;
    }

    private bool SeenInInbox(string messageId) => db.Scalar("select 1 from inbox where message_id=$m", ("$m", messageId)) is not null;

    private void RecordInbox(string messageId, string kind, string outcome) =>
        db.Execute("insert into inbox(message_id, kind, outcome, applied_ms) values ($m, $k, $o, $now)",
            ("$m", messageId), ("$k", kind), ("$o", outcome), ("$now", NowMs));

    private void EnqueueDispatch(string jobId, long epoch)
    {
        var job = Find(jobId)!;
        db.Execute("update jobs set dispatched_ms=$now where id=$id", ("$now", NowMs), ("$id", jobId));
        Enqueue(_o.DispatchDestination, new DftJobRequested(job.Id, job.Payload, job.Protocol, job.RequestedBy, epoch), $"dispatch:{jobId}:{epoch}");
    }

    /// <summary>Adds a message to the outbox (inside the caller's transaction).</summary>
    public void Enqueue(string destination, IClusterMessage message, string messageId) =>
        db.Execute("insert into outbox(destination, body, created_ms) values ($d, $b, $now)",
            ("$d", destination), ("$b", _codec.Encode(message, _o.Sender, messageId)), ("$now", NowMs));

    public IReadOnlyList<OutboxMessage> PendingOutbox(int limit = 100)
    {
        var list = new List<OutboxMessage>();
        using var cmd = db.Command("select id, destination, body from outbox where published_ms is null order by id limit $n", ("$n", limit));
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(new OutboxMessage(r.GetInt64(0), r.GetString(1), (byte[])r[2]));
        return list;
    }

    public void MarkPublished(long outboxId) => db.Execute("update outbox set published_ms=$now where id=$id", ("$now", NowMs), ("$id", outboxId));

    public JobRow? Find(string jobId)
    {
        using var cmd = db.Command("""
            select id, payload, protocol, requested_by, state, epoch, worker, lease_expires_ms, attempts, result, error,
                   created_ms, leased_ms, completed_ms, executor_seconds from jobs where id=$id
            """, ("$id", jobId));
        using var r = cmd.ExecuteReader();
        if (!r.Read()) return null;
        return new JobRow(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt64(5),
            r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetInt64(7), r.GetInt32(8),
            r.IsDBNull(9) ? null : r.GetString(9), r.IsDBNull(10) ? null : r.GetString(10), r.GetInt64(11),
            r.IsDBNull(12) ? null : r.GetInt64(12), r.IsDBNull(13) ? null : r.GetInt64(13), r.IsDBNull(14) ? null : r.GetDouble(14));
    }

    public IReadOnlyDictionary<string, int> CountByState()
    {
        var d = new SortedDictionary<string, int>(StringComparer.Ordinal);
        using var cmd = db.Command("select state, count(*) from jobs group by state");
        using var r = cmd.ExecuteReader();
        while (r.Read()) d[r.GetString(0)] = r.GetInt32(1);
        return d;
    }

    /// <summary>Records a node's heartbeat (upsert).</summary>
    public void RecordHeartbeat(Heartbeat hb) =>
        db.Execute("insert into nodes(name, roles, last_heartbeat_ms) values ($n, $r, $t) on conflict(name) do update set roles=$r, last_heartbeat_ms=max(last_heartbeat_ms, $t)",
            ("$n", hb.Node), ("$r", string.Join(",", hb.Roles)), ("$t", hb.Time.ToUnixTimeMilliseconds()));

    /// <summary>Closes the underlying database.</summary>
    public void Dispose() => db.Dispose();

    private static string Json<T>(T value) => JsonSerializer.Serialize(value);
}

/// <summary>A row of the job table. Times are Unix milliseconds.</summary>
public sealed record JobRow(string Id, string Payload, string Protocol, string RequestedBy, string State, long Epoch, string? Worker,
    long? LeaseExpiresMs, int Attempts, string? Result, string? Error, long CreatedMs, long? LeasedMs, long? CompletedMs, double? ExecutorSeconds);
