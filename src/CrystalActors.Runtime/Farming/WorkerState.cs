using CrystalActors.Runtime.Messages;

namespace CrystalActors.Runtime.Farming;

// Pure worker logic (STYLE.md §4): Handle(input, now) returns the next state and the effects the actor
// carries out. No I/O and no clock, so every transition is a unit test.

public abstract record WorkerInput;
/// <summary>Periodic: re-request work while idle, renew the lease while running, re-send an unacknowledged report.</summary>
public sealed record WorkerTick(long NowMs) : WorkerInput;
public sealed record WorkOffered(WorkLeased Lease, long NowMs) : WorkerInput;
public sealed record LeaseWithdrawn(LeaseLost Notice, long NowMs) : WorkerInput;
/// <summary>The executor ended: <paramref name="Output"/> on success, else <paramref name="Error"/>.</summary>
public sealed record ExecutionEnded(string JobId, long Epoch, string? Output, double ExecutorSeconds, string? Error, bool Retryable, long NowMs) : WorkerInput;
public sealed record ReportSettled(WorkAcknowledged Ack, long NowMs) : WorkerInput;
public sealed record ShutdownRequested : WorkerInput;

public abstract record WorkerEffect;
public sealed record SendToFarm(IWireMessage Message) : WorkerEffect;
public sealed record StartExecution(WorkLeased Lease) : WorkerEffect;
public sealed record CancelExecution : WorkerEffect;

public abstract record WorkerPhase;
/// <summary>Waiting for work; the last request went out at <paramref name="RequestedMs"/>.</summary>
public sealed record Idle(long RequestedMs) : WorkerPhase;
public sealed record Running(WorkLeased Lease, long RenewedMs) : WorkerPhase;
/// <summary>The stage ended; its report is re-sent until the farm acknowledges it (the farm may be moving to another node).</summary>
public sealed record Reporting(WorkLeased Lease, IWireMessage Report, long SentMs) : WorkerPhase;
public sealed record Stopped : WorkerPhase;

/// <summary>Timings of the worker protocol. Defaults in the initialisers.</summary>
public sealed record WorkerTimings
{
    /// <summary>An idle worker repeats its request this often (the farm forgets idle workers after 30 s). Default 5 s.</summary>
    public TimeSpan RequestEvery { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Fraction of the lease after which a running worker renews. Default 1/3.</summary>
    public double RenewFraction { get; init; } = 1.0 / 3;
    /// <summary>An unacknowledged report is re-sent this often. Default 2 s.</summary>
    public TimeSpan ResendEvery { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>One worker: Idle → Running (holds a lease) → Reporting (until acknowledged) → Idle. At most one job at a time.</summary>
public sealed record WorkerState(string Worker, string Kind, WorkerPhase Phase, WorkerTimings Timings)
{
    public static WorkerState Start(string worker, string kind, WorkerTimings? timings = null) =>
        new(worker, kind, new Idle(long.MinValue / 2), timings ?? new WorkerTimings());

    private RequestWork Request => new(Worker, Kind);

    public (WorkerState State, IReadOnlyList<WorkerEffect> Effects) Handle(WorkerInput input) => (Phase, input) switch
    {
        (Idle i, WorkerTick t) when t.NowMs - i.RequestedMs >= Timings.RequestEvery.TotalMilliseconds =>
            (this with { Phase = new Idle(t.NowMs) }, [new SendToFarm(Request)]),
        (Idle, WorkOffered o) => (this with { Phase = new Running(o.Lease, o.NowMs) }, [new StartExecution(o.Lease)]),

        // An offer while busy (a request crossed a lease on the wire): hand it back at once.
        (Running r, WorkOffered o) when !Same(r.Lease, o.Lease) => (this, [Decline(o.Lease)]),
        (Reporting r, WorkOffered o) when !Same(r.Lease, o.Lease) => (this, [Decline(o.Lease)]),
        (Stopped, WorkOffered o) => (this, [Decline(o.Lease)]),

        (Running r, WorkerTick t) when t.NowMs - r.RenewedMs >= r.Lease.LeaseSeconds * 1000 * Timings.RenewFraction =>
            (this with { Phase = r with { RenewedMs = t.NowMs } }, [new SendToFarm(new RenewLease(r.Lease.JobId, r.Lease.Epoch, Worker))]),
        (Running r, LeaseWithdrawn w) when w.Notice.JobId == r.Lease.JobId && w.Notice.Epoch == r.Lease.Epoch =>
            (this with { Phase = new Idle(w.NowMs) }, [new CancelExecution(), new SendToFarm(Request)]),
        (Running r, ExecutionEnded e) when e.JobId == r.Lease.JobId && e.Epoch == r.Lease.Epoch => Report(r.Lease, e),

        (Reporting r, WorkerTick t) when t.NowMs - r.SentMs >= Timings.ResendEvery.TotalMilliseconds =>
            (this with { Phase = r with { SentMs = t.NowMs } }, [new SendToFarm(r.Report)]),
        (Reporting r, ReportSettled s) when s.Ack.JobId == r.Lease.JobId && s.Ack.Epoch == r.Lease.Epoch =>
            (this with { Phase = new Idle(s.NowMs) }, [new SendToFarm(Request)]),

        (Running r, ShutdownRequested) => (this with { Phase = new Stopped() },
            [new CancelExecution(), new SendToFarm(new WorkFailed(r.Lease.JobId, r.Lease.Epoch, Worker, "worker shutting down", Retryable: true))]),
        (_, ShutdownRequested) => (this with { Phase = new Stopped() }, []),
        _ => (this, []), // a tick with nothing due, or a message about an older lease
    };

    private static bool Same(WorkLeased a, WorkLeased b) => a.JobId == b.JobId && a.Epoch == b.Epoch;

    private WorkerEffect Decline(WorkLeased l) => new SendToFarm(new WorkDeclined(l.JobId, l.Epoch, Worker));

    private (WorkerState, IReadOnlyList<WorkerEffect>) Report(WorkLeased lease, ExecutionEnded e)
    {
        IWireMessage report = e.Output is { } output
            ? new WorkCompleted(lease.JobId, lease.Epoch, Worker, output, e.ExecutorSeconds)
            : new WorkFailed(lease.JobId, lease.Epoch, Worker, e.Error ?? "unknown error", e.Retryable);
        return (this with { Phase = new Reporting(lease, report, e.NowMs) }, [new SendToFarm(report)]);
    }
}
