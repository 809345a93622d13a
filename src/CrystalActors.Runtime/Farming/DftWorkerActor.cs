using CrystalActors.Runtime.Actors;
using CrystalActors.Runtime.Messages;
using CrystalActors.Runtime.Transport;
using Serilog;

namespace CrystalActors.Runtime.Farming;

/// <summary>
/// Thin shell over <see cref="DftWorkerState"/>: carries out its effects — answers the pending work-queue
/// delivery, sends to the coordinator, runs the job off the mailbox and pipes the outcome back.
/// </summary>
public sealed class DftWorkerActor(
    string worker, string replyTo, IJobExecutor executor, ReliablePublisher publisher, FarmingOptions options, Func<ISubscription?> dispatchSubscription) : IActor
{
    /// <summary>Wraps <see cref="DispatchOffered"/> with the channel through which the delivery's fate is reported.</summary>
    public sealed record Offer(DftJobRequested Job, TaskCompletionSource<DeliveryOutcome> Outcome);

    private DftWorkerState _state = DftWorkerState.Start(worker, replyTo);
    private TaskCompletionSource<DeliveryOutcome>? _pendingDelivery;
    private CancellationTokenSource? _job;

    public DftWorkerState State => _state;

    public Task StartedAsync(ActorContext context)
    {
        // A restarted worker has lost track of any job: the lease will expire and the coordinator re-dispatches.
        _ = dispatchSubscription()?.ResumeAsync();
        return Task.CompletedTask;
    }

    public Task ReceiveAsync(object message, ActorContext ctx)
    {
        WorkerInput? input = message switch
        {
            Offer o => Remember(o),
            DftJobLeased r => new LeaseReplyReceived(r),
            LeaseReplyTimedOut t => t,
            Tick { Name: "renew" } => new RenewDue(),
            PipedResult<JobExecution> p when p.Tag is (string id, long epoch) => new JobFinished(id, epoch, p.Error is null ? p.Value : null, p.Error),
            _ => null,
        };
        if (input is null) { Log.Warning("Worker {Worker} ignored unexpected {Type}", worker, message.GetType().Name); return Task.CompletedTask; }
        Apply(input, ctx);
        return Task.CompletedTask;
    }

    private DispatchOffered Remember(Offer o)
    {
        // Only one delivery can be pending: a newer offer while awaiting a lease is the same message redelivered
        // after a broker reconnect (the older delivery's channel is gone) or a stray one the state will refuse.
        if (_state.Phase is Idle || (_state.Phase is AwaitingLease a && a.Job.JobId == o.Job.JobId && a.Job.Epoch == o.Job.Epoch))
        {
            _pendingDelivery?.TrySetResult(DeliveryOutcome.Requeue);
            _pendingDelivery = o.Outcome;
        }
        else o.Outcome.TrySetResult(DeliveryOutcome.Requeue);
        return new DispatchOffered(o.Job);
    }

    private void Apply(WorkerInput input, ActorContext ctx)
    {
        var (next, effects) = _state.Handle(input);
        _state = next;
        foreach (var effect in effects) Carry(effect, ctx);
    }

    private void Carry(WorkerEffect effect, ActorContext ctx)
    {
        switch (effect)
        {
            case SendToCoordinator s:
                publisher.PublishInBackground(options.CoordinatorQueue, MessageCodec.Default.Encode(s.Message, worker, s.MessageId));
                if (s.Message is DftLeaseRequested lr)
                {
                    var self = ctx.Self;
                    _ = Task.Delay(options.LeaseReplyTimeout).ContinueWith(_ => self.TryTell(new LeaseReplyTimedOut(lr.JobId, lr.DispatchEpoch)), TaskScheduler.Default);
                }
                break;
            case AnswerDispatch a:
                _pendingDelivery?.TrySetResult(a.Outcome);
                _pendingDelivery = null;
                break;
            case StartJob j:
                Log.Information("Worker {Worker} leased {Job} (epoch {Epoch})", worker, j.Job.JobId, j.Epoch);
                _job = new CancellationTokenSource();
                ctx.PipeToSelf(ct => executor.ExecuteAsync(j.Job.StructureJson, ct), (j.Job.JobId, j.Epoch), _job.Token);
                break;
            case RefuseOffer:
                break; // Remember already answered the new offer with Requeue
            case CancelJob:
                _job?.Cancel();
                break;
            case ResumeConsuming:
                _job?.Dispose(); _job = null;
                _ = dispatchSubscription()?.ResumeAsync();
                break;
        }
    }

    /// <summary>Graceful stop: cancel the running job and tell the coordinator at once, so it need not wait for the lease to expire.</summary>
    public async Task StoppingAsync(IReadOnlyList<object> undelivered, ActorContext ctx)
    {
        foreach (var m in undelivered) if (m is Offer o) o.Outcome.TrySetResult(DeliveryOutcome.Requeue);
        var (next, effects) = _state.Handle(new ShutdownRequested());
        _state = next;
        foreach (var e in effects)
        {
            if (e is SendToCoordinator s)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                try { await publisher.Transport.PublishAsync(options.CoordinatorQueue, MessageCodec.Default.Encode(s.Message, worker, s.MessageId), cts.Token); }
                catch (Exception ex) { Log.Warning("Worker {Worker} could not report shutdown ({Error}); the lease will expire instead", worker, ex.Message); }
            }
            else Carry(e, ctx);
        }
    }
}
