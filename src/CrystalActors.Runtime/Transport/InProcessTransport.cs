using System.Collections.Concurrent;
using System.Threading.Channels;
using Serilog;

namespace CrystalActors.Runtime.Transport;

/// <summary>
/// The default single-process transport: the same semantics as the RabbitMQ one (competing consumers,
/// redelivery counting, dead-letter queue after the delivery limit, fan-out, latest-value) over
/// unbounded <see cref="Channel{T}"/>s. Frames are still encoded bytes, so the codec is exercised the same way.
/// </summary>
public sealed class InProcessTransport(TransportOptions? options = null) : ITransport
{
    private readonly TransportOptions _o = options ?? new TransportOptions();
    private readonly ConcurrentDictionary<string, Channel<Delivery>> _queues = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, Channel<Delivery>>> _fanouts = new();
    private readonly CancellationTokenSource _closed = new();
    private readonly List<Task> _consumers = [];

    public string Kind => "inproc";

    public Task PublishAsync(string destination, byte[] frame, CancellationToken ct = default)
    {
        var (kind, name) = Destinations.Parse(destination);
        var d = new Delivery(destination, frame, _o.NodeName, 1);
        if (kind == "queue") Queue(name).Writer.TryWrite(d);
        else if (_fanouts.TryGetValue(name, out var subs))
            foreach (var ch in subs.Values) ch.Writer.TryWrite(d);
        return Task.CompletedTask;
    }

    public Task<ISubscription> SubscribeAsync(string destination, string subscriber, DeliveryHandler handler, int prefetch = 1, CancellationToken ct = default)
    {
        var (kind, name) = Destinations.Parse(destination);
        Channel<Delivery> source;
        if (kind == "queue") source = Queue(name);
        else
        {
            var subs = _fanouts.GetOrAdd(name, _ => new());
            source = subs.GetOrAdd(subscriber, _ => kind == "latest"
                ? Channel.CreateBounded<Delivery>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest })
                : Channel.CreateUnbounded<Delivery>());
        }
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token);
        var sub = new Subscription(stop);
        sub.Loop = Task.Run(() => ConsumeAsync(kind, name, source, handler, sub, stop.Token), CancellationToken.None);
        lock (_consumers) _consumers.Add(sub.Loop);
        return Task.FromResult<ISubscription>(sub);
    }

    private async Task ConsumeAsync(string kind, string name, Channel<Delivery> source, DeliveryHandler handler, Subscription sub, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await sub.Running.WaitAsync(ct).ConfigureAwait(false);
                sub.Running.Release();
                var d = await source.Reader.ReadAsync(ct).ConfigureAwait(false);
                DeliveryOutcome outcome;
                try { outcome = await handler(d, ct).ConfigureAwait(false); }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { source.Writer.TryWrite(d); return; }
                catch (Exception e)
                {
                    Log.Warning(e, "Handler for {Destination} threw; requeueing", d.Destination);
                    outcome = DeliveryOutcome.Requeue;
                }
                if (outcome == DeliveryOutcome.AckAndPause) await sub.Running.WaitAsync(ct).ConfigureAwait(false);
                if (kind != "queue" || outcome is DeliveryOutcome.Ack or DeliveryOutcome.AckAndPause) continue;
                if (outcome == DeliveryOutcome.Requeue && d.DeliveryCount <= _o.DeliveryLimit)
                    source.Writer.TryWrite(d with { DeliveryCount = d.DeliveryCount + 1 });
                else
                    Queue(name + Destinations.DeadLetterSuffix).Writer.TryWrite(d);
            }
        }
        catch (OperationCanceledException) { }
        catch (ChannelClosedException) { }
    }

    public Task<long?> DepthAsync(string destination, CancellationToken ct = default)
    {
        var (_, name) = Destinations.Parse(destination);
        return Task.FromResult<long?>(_queues.TryGetValue(name, out var q) ? q.Reader.Count : null);
    }

    public Task<IReadOnlyList<Delivery>> PeekAsync(string destination, int max, CancellationToken ct = default)
    {
        var (_, name) = Destinations.Parse(destination);
        IReadOnlyList<Delivery> r = max > 0 && _queues.TryGetValue(name, out var q) && q.Reader.TryPeek(out var d) ? [d] : [];
        return Task.FromResult(r);
    }

    private Channel<Delivery> Queue(string name) => _queues.GetOrAdd(name, _ => Channel.CreateUnbounded<Delivery>());

    public async ValueTask DisposeAsync()
    {
        _closed.Cancel();
        Task[] all;
        lock (_consumers) all = [.. _consumers];
        await Task.WhenAll(all).ConfigureAwait(false);
    }

    private sealed class Subscription(CancellationTokenSource stop) : ISubscription
    {
        /// <summary>Count 1 while delivering; taken (0) while paused.</summary>
        public SemaphoreSlim Running { get; } = new(1, 1);
        public Task Loop { get; set; } = Task.CompletedTask;
        private int _disposed;

        public Task ResumeAsync(CancellationToken ct = default)
        {
            lock (Running) if (Running.CurrentCount == 0) Running.Release();
            return Task.CompletedTask;
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            stop.Cancel();
            await Loop.ConfigureAwait(false);
            stop.Dispose();
        }
    }
}
