using System.Collections.Immutable;
using CrystalActors.Runtime.Messages;

namespace CrystalActors.Runtime.Farming;

// The farm's journal events. The job table is rebuilt from them on recovery; each is one fact.

/// <summary>A job entered the farm.</summary>
[MessageContract("farm.event.submitted")]
public sealed record JobSubmitted(string JobId, string Payload, IReadOnlyList<string> Stages, string RequestedBy, long AtMs) : IWireMessage;

/// <summary>Lease <paramref name="Epoch"/> of the job's current stage went to <paramref name="Worker"/>.</summary>
[MessageContract("farm.event.leased")]
public sealed record JobLeased(string JobId, long Epoch, string Worker, long AtMs) : IWireMessage;

/// <summary>The current stage finished under lease <paramref name="Epoch"/>: the next stage is pending, or the job is completed.</summary>
[MessageContract("farm.event.stage-completed")]
public sealed record StageCompleted(string JobId, long Epoch, string Worker, string Output, double ExecutorSeconds, long AtMs) : IWireMessage;

/// <summary>The stage goes back to the queue (lease expired, retryable failure, or declined when <paramref name="CountsAttempt"/> is false).</summary>
[MessageContract("farm.event.requeued")]
public sealed record JobRequeued(string JobId, long Epoch, string Reason, bool CountsAttempt, long AtMs) : IWireMessage;

/// <summary>The job ended in the dead-letter state.</summary>
[MessageContract("farm.event.dead-lettered")]
public sealed record JobDeadLettered(string JobId, long Epoch, string Reason, long AtMs) : IWireMessage;

/// <summary>One job. Times are Unix milliseconds; <see cref="LeaseExpiresMs"/> is not journaled (see <see cref="JobTable.GraceLeases"/>).
/// <see cref="StageDoneEpoch"/> is the lease whose completion was applied last, so a re-sent report of it is told "applied".</summary>
public sealed record JobRow(
    string Id, string Payload, ImmutableArray<string> Stages, int StageIndex, string RequestedBy, string State, long Epoch,
    string? Worker, long? LeaseExpiresMs, int Attempts, string? Result, string? Error, long Order, long CreatedMs,
    long? LeasedMs, long? CompletedMs, double? ExecutorSeconds, long? StageDoneEpoch = null)
{
    public string Stage => Stages[Math.Min(StageIndex, Stages.Length - 1)];
    public bool Ended => State is JobStates.Completed or JobStates.Failed;

    public JobStatus ToStatus() => new(Id, State, Payload, Result, Error, ExecutorSeconds, Attempts);
}

/// <summary>What the farm does with one command: events to journal, then a reply to the sender (either may be empty).</summary>
public sealed record FarmDecision(IReadOnlyList<IWireMessage> Events, IWireMessage? Reply)
{
    public static readonly FarmDecision None = new([], null);
}

/// <summary>
/// The DFT farm's job table as a pure, event-sourced value (STYLE.md §4): <see cref="Decide"/> turns a command into
/// events and a reply, <see cref="Apply"/> folds an event. No I/O, no clock (callers pass <c>nowMs</c>), so every
/// rule below is a unit test.
///
/// Fencing: a lease grant increments the job's epoch; renewals and reports must carry the current epoch, the job
/// must still be leased, to that worker. A worker presumed dead (its lease expired and was granted again) cannot
/// overwrite its successor's work, and a report is applied at most once.
/// </summary>
public sealed record JobTable(ImmutableDictionary<string, JobRow> Jobs, long Submitted, TimeSpan Lease, int MaxAttempts)
{
    public static JobTable Empty(TimeSpan lease, int maxAttempts)
    {
        if (lease <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(lease), lease, "the lease must be positive");
        if (maxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(maxAttempts), maxAttempts, "at least one attempt");
        return new(ImmutableDictionary<string, JobRow>.Empty.WithComparers(StringComparer.Ordinal), 0, lease, maxAttempts);
    }

    public JobRow? Find(string jobId) => Jobs.GetValueOrDefault(jobId);

    /// <summary>The table a farm journal describes (for readers: audit, status, report), every attempt allowed.</summary>
    public static JobTable Replay(IEnumerable<object> events) =>
        events.OfType<IWireMessage>().Aggregate(Empty(TimeSpan.FromSeconds(1), int.MaxValue), (t, e) => t.Apply(e));

    /// <summary>The oldest pending job whose current stage is <paramref name="kind"/>.</summary>
    public JobRow? NextPending(string kind)
    {
        JobRow? best = null;
        foreach (var j in Jobs.Values)
            if (j.State == JobStates.Pending && j.Stage == kind && (best is null || j.Order < best.Order)) best = j;
        return best;
    }

    public bool HasPending(string kind) => NextPending(kind) is not null;

    public FarmDecision Decide(IWireMessage command, long nowMs) => command switch
    {
        SubmitJob s => Submit(s, nowMs),
        RequestWork r => NextPending(r.Kind) is { } job
            ? new FarmDecision([new JobLeased(job.Id, job.Epoch + 1, r.Worker, nowMs)],
                new WorkLeased(job.Id, job.Epoch + 1, job.Stage, job.Payload, Lease.TotalSeconds))
            : FarmDecision.None,
        WorkDeclined d => Fence(d.JobId, d.Epoch, d.Worker) is null
            ? new FarmDecision([new JobRequeued(d.JobId, d.Epoch, $"declined by {d.Worker}", CountsAttempt: false, nowMs)], null)
            : FarmDecision.None,
        WorkCompleted c => Complete(c, nowMs),
        WorkFailed f => Fail(f, nowMs),
        _ => FarmDecision.None,
    };

    private FarmDecision Submit(SubmitJob s, long nowMs)
    {
        if (Jobs.ContainsKey(s.JobId)) return new FarmDecision([], new JobAccepted(s.JobId, Duplicate: true));
        if (s.Stages.Count == 0) throw new ArgumentException($"job {s.JobId} names no stage", nameof(s));
        return new FarmDecision([new JobSubmitted(s.JobId, s.Payload, s.Stages, s.RequestedBy, nowMs)], new JobAccepted(s.JobId, Duplicate: false));
    }

    private FarmDecision Complete(WorkCompleted c, long nowMs)
    {
        if (Fence(c.JobId, c.Epoch, c.Worker) is { } refused)
        {
            // A report of a stage that this very lease already completed is a re-send after a lost ack: settle it quietly.
            // A lease that merely expired (same epoch, back in the queue) completed nothing, so its report is refused.
            var applied = Find(c.JobId) is { } j && j.StageDoneEpoch == c.Epoch;
            return new FarmDecision([], new WorkAcknowledged(c.JobId, c.Epoch, applied, applied ? null : refused));
        }
        return new FarmDecision([new StageCompleted(c.JobId, c.Epoch, c.Worker, c.Output, c.ExecutorSeconds, nowMs)],
            new WorkAcknowledged(c.JobId, c.Epoch, Applied: true));
    }

    private FarmDecision Fail(WorkFailed f, long nowMs)
    {
        if (Fence(f.JobId, f.Epoch, f.Worker) is { } refused)
            return new FarmDecision([], new WorkAcknowledged(f.JobId, f.Epoch, false, refused));
        var job = Jobs[f.JobId];
        IWireMessage e = !f.Retryable || job.Attempts + 1 >= MaxAttempts
            ? new JobDeadLettered(f.JobId, f.Epoch, f.Retryable ? $"{f.Error} (attempt {job.Attempts + 1} of {MaxAttempts})" : f.Error, nowMs)
            : new JobRequeued(f.JobId, f.Epoch, f.Error, CountsAttempt: true, nowMs);
        return new FarmDecision([e], new WorkAcknowledged(f.JobId, f.Epoch, Applied: true));
    }

    /// <summary>Null when the report belongs to the job's live lease; else why it is refused.</summary>
    public string? Fence(string jobId, long epoch, string worker)
    {
        if (Find(jobId) is not { } job) return $"unknown job {jobId}";
        if (job.State != JobStates.Leased) return $"job is {job.State}";
        if (job.Epoch != epoch) return $"stale epoch {epoch} (current {job.Epoch})";
        if (job.Worker != worker) return $"lease belongs to {job.Worker}, not {worker}";
        return null;
    }

    /// <summary>Extends a live lease (not journaled: a recovered farm grants every lease a fresh term instead).</summary>
    public (JobTable Table, string? Refused) Renew(string jobId, long epoch, string worker, long nowMs)
    {
        if (Fence(jobId, epoch, worker) is { } refused) return (this, refused);
        var job = Jobs[jobId];
        return (this with { Jobs = Jobs.SetItem(jobId, job with { LeaseExpiresMs = nowMs + (long)Lease.TotalMilliseconds }) }, null);
    }

    /// <summary>Events for every lease that has run out: back to the queue, or dead-lettered when out of attempts.</summary>
    public IReadOnlyList<IWireMessage> Expire(long nowMs)
    {
        var events = new List<IWireMessage>();
        foreach (var j in Jobs.Values.Where(j => j.State == JobStates.Leased && j.LeaseExpiresMs < nowMs).OrderBy(j => j.Order))
            events.Add(j.Attempts + 1 >= MaxAttempts
                ? new JobDeadLettered(j.Id, j.Epoch, $"lease of {j.Worker} expired on attempt {j.Attempts + 1} of {MaxAttempts}", nowMs)
                : new JobRequeued(j.Id, j.Epoch, $"lease of {j.Worker} expired", CountsAttempt: true, nowMs));
        return events;
    }

    /// <summary>After recovery nobody knows when leases were last renewed: every live lease gets a fresh term from now.</summary>
    public JobTable GraceLeases(long nowMs) => this with
    {
        Jobs = Jobs.Values.Where(j => j.State == JobStates.Leased)
            .Aggregate(Jobs, (d, j) => d.SetItem(j.Id, j with { LeaseExpiresMs = nowMs + (long)Lease.TotalMilliseconds })),
    };

    public JobTable Apply(IWireMessage e) => e switch
    {
        JobSubmitted s when !Jobs.ContainsKey(s.JobId) => this with
        {
            Submitted = Submitted + 1,
            Jobs = Jobs.Add(s.JobId, new JobRow(s.JobId, s.Payload, [.. s.Stages], 0, s.RequestedBy, JobStates.Pending, 0, null, null, 0,
                null, null, Submitted, s.AtMs, null, null, null)),
        },
        JobLeased l when Find(l.JobId) is { State: JobStates.Pending } j => With(j with
        {
            State = JobStates.Leased, Epoch = l.Epoch, Worker = l.Worker, LeasedMs = l.AtMs,
            LeaseExpiresMs = l.AtMs + (long)Lease.TotalMilliseconds,
        }),
        StageCompleted c when Find(c.JobId) is { State: JobStates.Leased } j && j.Epoch == c.Epoch => With(j.StageIndex + 1 < j.Stages.Length
            ? j with { State = JobStates.Pending, StageIndex = j.StageIndex + 1, Payload = c.Output, LeaseExpiresMs = null, StageDoneEpoch = c.Epoch }
            : j with
            {
                State = JobStates.Completed, Result = c.Output, CompletedMs = c.AtMs, ExecutorSeconds = c.ExecutorSeconds, LeaseExpiresMs = null,
                StageDoneEpoch = c.Epoch,
            }),
        JobRequeued r when Find(r.JobId) is { State: JobStates.Leased } j && j.Epoch == r.Epoch => With(j with
        {
            State = JobStates.Pending, LeaseExpiresMs = null, Error = r.Reason, Attempts = j.Attempts + (r.CountsAttempt ? 1 : 0),
        }),
        JobDeadLettered d when Find(d.JobId) is { Ended: false } j => With(j with
        {
            State = JobStates.Failed, LeaseExpiresMs = null, Error = d.Reason, Attempts = j.Attempts + 1, CompletedMs = d.AtMs,
        }),
        _ => this, // a duplicate or out-of-order event changes nothing
    };

    private JobTable With(JobRow j) => this with { Jobs = Jobs.SetItem(j.Id, j) };

    public IReadOnlyDictionary<string, int> CountByState() =>
        Jobs.Values.GroupBy(j => j.State).ToImmutableSortedDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    public FarmSummary Summary()
    {
        var dead = Jobs.Values.Where(j => j.State == JobStates.Failed).OrderBy(j => j.Order)
            .Select(j => new DeadLetter(j.Id, j.Attempts, j.Error ?? "")).ToList();
        var done = Jobs.Values.Where(j => j is { State: JobStates.Completed, LeasedMs: not null, CompletedMs: not null, ExecutorSeconds: > 0 }).ToList();
        double exec = done.Sum(j => j.ExecutorSeconds!.Value);
        double leaseToCommit = done.Sum(j => (j.CompletedMs!.Value - j.LeasedMs!.Value) / 1000.0);
        var overhead = done.Count == 0
            ? new OverheadStats(0, 0, 0, 0, 0)
            : new OverheadStats(done.Count, exec / done.Count, leaseToCommit / done.Count, (leaseToCommit - exec) / done.Count, (leaseToCommit - exec) / exec);
        return new FarmSummary(CountByState(), dead, overhead);
    }
}
