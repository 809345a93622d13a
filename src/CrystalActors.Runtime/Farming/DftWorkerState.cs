using CrystalActors.Runtime.Messages;
using CrystalActors.Runtime.Transport;

namespace CrystalActors.Runtime.Farming;

// Pure worker logic (STYLE.md §4): Handle(message) returns the next state and the effects the actor
// must carry out. No I/O here, so every transition is unit-tested without a transport.

/// <summary>Inputs of the worker state machine.</summary>
public abstract record WorkerInput;
/// <summary>The transport offers a dispatch; the actor answers the delivery through an effect.</summary>
public sealed record DispatchOffered(DftJobRequested Job) : WorkerInput;
public sealed record LeaseReplyTimedOut(string JobId, long DispatchEpoch) : WorkerInput;
public sealed record LeaseReplyReceived(DftJobLeased Reply) : WorkerInput;
public sealed record RenewDue : WorkerInput;
public sealed record JobFinished(string JobId, long Epoch, JobExecution? Result, Exception? Error) : WorkerInput;
public sealed record ShutdownRequested : WorkerInput;

/// <summary>Effects the actor performs.</summary>
public abstract record WorkerEffect;
public sealed record SendToCoordinator(IClusterMessage Message, string MessageId) : WorkerEffect;
public sealed record AnswerDispatch(DeliveryOutcome Outcome) : WorkerEffect;
/// <summary>Requeue the offer that just arrived (not the pending one): the worker is busy.</summary>
public sealed record RefuseOffer : WorkerEffect;
public sealed record StartJob(DftJobRequested Job, long Epoch) : WorkerEffect;
public sealed record CancelJob : WorkerEffect;
public sealed record ResumeConsuming : WorkerEffect;

public abstract record WorkerPhase;
public sealed record Idle : WorkerPhase;
public sealed record AwaitingLease(DftJobRequested Job) : WorkerPhase;
public sealed record Running(DftJobRequested Job, long Epoch) : WorkerPhase;
public sealed record Stopped : WorkerPhase;

/// <summary>One DFT worker: Idle → AwaitingLease → Running → Idle. Holds at most one job.</summary>
public sealed record DftWorkerState(string Worker, string ReplyTo, WorkerPhase Phase)
{
    public static DftWorkerState Start(string worker, string replyTo) => new(worker, replyTo, new Idle());

    public (DftWorkerState State, IReadOnlyList<WorkerEffect> Effects) Handle(WorkerInput input) => (Phase, input) switch
    {
        (Idle, DispatchOffered d) => (this with { Phase = new AwaitingLease(d.Job) },
            [new SendToCoordinator(new DftLeaseRequested(d.Job.JobId, Worker, d.Job.Epoch, ReplyTo), $"lease:{d.Job.JobId}:{d.Job.Epoch}:{Worker}")]),
        // The same dispatch again (its first delivery died with a broker connection): keep waiting for the reply.
        (AwaitingLease a, DispatchOffered d) when d.Job.JobId == a.Job.JobId && d.Job.Epoch == a.Job.Epoch => (this, []),
        // Busy: only reachable if the transport delivers while paused; hand that message back.
        (_, DispatchOffered) => (this, [new RefuseOffer()]),

        (AwaitingLease a, LeaseReplyReceived { Reply: var r }) when r.JobId == a.Job.JobId && r.Worker == Worker =>
            r.Granted
                ? (this with { Phase = new Running(a.Job, r.Epoch) }, [new AnswerDispatch(DeliveryOutcome.AckAndPause), new StartJob(a.Job, r.Epoch)])
                // Refused: a duplicate or stale dispatch. The job is someone else's; drop this copy.
                : (this with { Phase = new Idle() }, [new AnswerDispatch(DeliveryOutcome.Ack)]),
        (_, LeaseReplyReceived) => (this, []), // a reply to an earlier incarnation or request

        (AwaitingLease a, LeaseReplyTimedOut t) when t.JobId == a.Job.JobId && t.DispatchEpoch == a.Job.Epoch =>
            (this with { Phase = new Idle() }, [new AnswerDispatch(DeliveryOutcome.Requeue)]),
        (_, LeaseReplyTimedOut) => (this, []),

        (Running r, RenewDue) => (this, [new SendToCoordinator(new DftLeaseRenewed(r.Job.JobId, Worker, r.Epoch), $"renew:{r.Job.JobId}:{r.Epoch}:{Guid.NewGuid():N}")]),
        (_, RenewDue) => (this, []),

        (Running r, JobFinished f) when f.JobId == r.Job.JobId && f.Epoch == r.Epoch => (this with { Phase = new Idle() },
            [Report(r, f), new ResumeConsuming()]),
        (_, JobFinished) => (this, []),

        (Running r, ShutdownRequested) => (this with { Phase = new Stopped() },
            [new CancelJob(), new SendToCoordinator(new DftJobFailed(r.Job.JobId, r.Epoch, Worker, "worker shutting down", Retryable: true), $"failed:{r.Job.JobId}:{r.Epoch}")]),
        (AwaitingLease, ShutdownRequested) => (this with { Phase = new Stopped() }, [new AnswerDispatch(DeliveryOutcome.Requeue)]),
        (_, ShutdownRequested) => (this with { Phase = new Stopped() }, []),
        _ => (this, []),
    };

    private WorkerEffect Report(Running r, JobFinished f) => f.Result is { } ok
        ? new SendToCoordinator(new DftJobCompleted(r.Job.JobId, r.Epoch, ok.ResultJson, Worker, ok.ExecutorSeconds), $"result:{r.Job.JobId}:{r.Epoch}")
        : new SendToCoordinator(new DftJobFailed(r.Job.JobId, r.Epoch, Worker, f.Error?.Message ?? "unknown error", Retryable: f.Error is not JobPayloadException),
            $"failed:{r.Job.JobId}:{r.Epoch}");
}
