using CrystalActors.Runtime.Actors;
using CrystalActors.Runtime.Messages;
using CrystalActors.Runtime.Persistence;
using CrystalActors.Runtime.Transport;
using Serilog;

namespace CrystalActors.Runtime.Farming;

/// <summary>What the coordinator decided about one inbound message: how to settle the delivery, and replies to publish first.</summary>
public sealed record CoordinatorDecision(DeliveryOutcome Outcome, IReadOnlyList<(string Destination, byte[] Frame)> Replies);

/// <summary>
/// Owns the job table. Every inbound message is applied in one SQLite transaction (inbox-deduplicated,
/// epoch-fenced), and anything it must announce goes through the outbox; lease replies are returned to
/// the delivery handler, which publishes them before acking — so a crash anywhere only causes a redelivery.
/// </summary>
public sealed class CoordinatorActor(string node, Func<JobStore> openStore, Action outboxChanged, Func<Task<long?>> jobQueueDepth, TimeSpan redispatchAfter) : IActor
{
    private JobStore? _store;

    public Task StartedAsync(ActorContext context)
    {
        _store?.Dispose();
        _store = openStore();
        var extended = _store.GraceActiveLeases();
        if (extended > 0) Log.Information("Coordinator: extended {Count} live lease(s) after (re)start", extended);
        return Task.CompletedTask;
    }

    public async Task ReceiveAsync(object message, ActorContext ctx)
    {
        switch (message)
        {
            case Envelope e:
                ctx.Reply(Decide(e));
                break;
            case Tick { Name: "sweep" }:
                var expired = _store!.ExpireLeases();
                if (expired.Count > 0)
                {
                    Log.Warning("Coordinator: {Count} lease(s) expired, re-dispatching {Jobs}", expired.Count, string.Join(",", expired));
                    outboxChanged();
                }
                if (_store.CountStaleDispatches(redispatchAfter) > 0 && await QueueIsEmptyAsync())
                {
                    var lost = _store.RedispatchStale(redispatchAfter);
                    Log.Warning("Coordinator: job queue empty but {Count} job(s) pending for over {Age} s; re-dispatching {Jobs}",
                        lost.Count, redispatchAfter.TotalSeconds, string.Join(",", lost));
                    outboxChanged();
                }
                break;
        }
    }

    private async Task<bool> QueueIsEmptyAsync()
    {
        try { return await jobQueueDepth() == 0; }
        catch (Exception e) { Log.Debug("Coordinator: job queue depth unavailable ({Error})", e.Message); return false; }
    }

    public Task StoppingAsync(IReadOnlyList<object> undelivered, ActorContext context)
    {
        // Undelivered envelopes were never acked: the broker redelivers them to the next coordinator.
        _store?.Dispose();
        return Task.CompletedTask;
    }

    private CoordinatorDecision Decide(Envelope e)
    {
        var store = _store!;
        List<(string, byte[])> replies = [];
        switch (e.Message)
        {
            case DftJobRequested r:
                if (store.Submit(r)) outboxChanged();
                break;
            case DftLeaseRequested lr:
                var d = store.TryLease(lr.JobId, lr.Worker, lr.DispatchEpoch);
                if (!d.Granted) Log.Information("Coordinator: lease of {Job} refused to {Worker}: {Reason}", lr.JobId, lr.Worker, d.Reason);
                replies.Add((lr.ReplyTo, MessageCodec.Default.Encode(new DftJobLeased(lr.JobId, lr.Worker, d.Epoch, d.Expires, d.Granted, d.Reason), node)));
                break;
            case DftLeaseRenewed rn:
                if (!store.Renew(rn.JobId, rn.Worker, rn.Epoch))
                    Log.Warning("Coordinator: renewal of {Job} epoch {Epoch} by {Worker} refused (fenced off)", rn.JobId, rn.Epoch, rn.Worker);
                break;
            case DftJobCompleted c:
                Report(store.ApplyCompleted(e.MessageId, c), c.JobId, c.Worker, "result");
                break;
            case DftJobFailed f:
                Log.Warning("Coordinator: {Worker} reports {Job} failed: {Error}", f.Worker, f.JobId, f.Error);
                Report(store.ApplyFailed(e.MessageId, f), f.JobId, f.Worker, "failure");
                break;
            case Heartbeat hb:
                store.RecordHeartbeat(hb);
                break;
            default:
                Log.Warning("Coordinator: no handler for {Type} from {Sender}; dropped", e.Message.GetType().Name, e.Sender);
                break;
        }
        return new CoordinatorDecision(DeliveryOutcome.Ack, replies);
    }

    private void Report(ApplyResult r, string jobId, string worker, string what)
    {
        switch (r.Outcome)
        {
            case ApplyOutcome.Applied: Log.Information("Coordinator: {What} of {Job} from {Worker} applied", what, jobId, worker); outboxChanged(); break;
            case ApplyOutcome.Duplicate: Log.Information("Coordinator: duplicate {What} of {Job} from {Worker} ignored (inbox)", what, jobId, worker); break;
            case ApplyOutcome.Rejected: Log.Warning("Coordinator: {What} of {Job} from {Worker} rejected: {Reason}", what, jobId, worker, r.Reason); break;
        }
    }
}

/// <summary>
/// Publish-after-commit: reads unpublished outbox rows (own SQLite connection) and publishes them in order,
/// marking each only after the broker confirmed it. A crash between confirm and mark republishes the row,
/// which receivers tolerate (dispatch epochs and the inbox make handling idempotent).
/// </summary>
public sealed class OutboxRelay(Func<JobStore> openStore, ReliablePublisher publisher)
{
    private readonly SemaphoreSlim _signal = new(0);

    public void Signal() { if (_signal.CurrentCount == 0) _signal.Release(); }

    public async Task RunAsync(CancellationToken ct)
    {
        using var store = openStore();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var batch = store.PendingOutbox();
                foreach (var m in batch)
                {
                    await publisher.PublishAsync(m.Destination, m.Body).ConfigureAwait(false);
                    store.MarkPublished(m.Id);
                }
                if (batch.Count == 0) await _signal.WaitAsync(TimeSpan.FromMilliseconds(250), ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { break; }
            catch (Exception e)
            {
                Log.Error(e, "Outbox relay failed; retrying");
                await Task.Delay(500, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }
}
