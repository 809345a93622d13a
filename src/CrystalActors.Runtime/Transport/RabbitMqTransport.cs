using System.Collections.Concurrent;
using Polly;
using Polly.Retry;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Serilog;

namespace CrystalActors.Runtime.Transport;

/// <summary>
/// RabbitMQ transport (RabbitMQ.Client 7 async API). <c>queue/NAME</c> is a quorum queue with
/// <c>x-delivery-limit</c> and a dead-letter exchange routing to the quorum queue <c>NAME.dlq</c>;
/// <c>broadcast/NAME</c> a fan-out exchange with one auto-delete queue per subscriber; <c>latest/NAME</c>
/// a fan-out exchange with one durable queue per subscriber holding at most one message (drop-head).
/// Publishes wait for publisher confirms; consumers ack manually after their handler returns.
/// Connection loss is healed by the client's automatic recovery (connection, topology, consumers);
/// publishes during an outage throw, and callers (the outbox relay) retry.
/// </summary>
public sealed class RabbitMqTransport : ITransport
{
    private const string DeadLetterExchange = "ca.dlx";
    private readonly TransportOptions _o;
    private readonly IConnection _connection;
    private readonly IChannel _publish;
    private readonly SemaphoreSlim _publishLock = new(1, 1);
    private readonly ConcurrentDictionary<string, bool> _declared = new();

    public string Kind => "rabbitmq";

    private RabbitMqTransport(TransportOptions o, IConnection connection, IChannel publish)
    {
        _o = o; _connection = connection; _publish = publish;
    }

    /// <summary>Connects (retrying with backoff until <paramref name="ct"/> fires, so a node may start before the broker).</summary>
    public static async Task<RabbitMqTransport> ConnectAsync(string amqpUri, TransportOptions? options = null, CancellationToken ct = default)
    {
        var o = options ?? new TransportOptions();
        var factory = new ConnectionFactory
        {
            Uri = new Uri(amqpUri),
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = TimeSpan.FromSeconds(1),
            RequestedHeartbeat = TimeSpan.FromSeconds(10),
            ClientProvidedName = o.NodeName,
        };
        var retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
            BackoffType = DelayBackoffType.Exponential, UseJitter = true, MaxRetryAttempts = int.MaxValue,
            Delay = TimeSpan.FromMilliseconds(250), MaxDelay = TimeSpan.FromSeconds(5),
            OnRetry = a => { Log.Warning("Broker at {Host} not reachable ({Error}); retry {N}", factory.Endpoint, a.Outcome.Exception?.Message, a.AttemptNumber + 1); return default; },
        }).Build();
        var connection = await retry.ExecuteAsync(async t => await factory.CreateConnectionAsync(t), ct).ConfigureAwait(false);
        var publish = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct).ConfigureAwait(false);
        await publish.ExchangeDeclareAsync(DeadLetterExchange, ExchangeType.Direct, durable: true, cancellationToken: ct).ConfigureAwait(false);
        return new RabbitMqTransport(o, connection, publish);
    }

    public bool IsOpen => _connection.IsOpen;

    public async Task PublishAsync(string destination, byte[] frame, CancellationToken ct = default)
    {
        var (kind, name) = Destinations.Parse(destination);
        await _publishLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await DeclareAsync(_publish, kind, name, ct).ConfigureAwait(false);
            var props = new BasicProperties { Persistent = kind != "broadcast", AppId = _o.NodeName };
            // mandatory: an unroutable work message comes back as an error instead of vanishing.
            await _publish.BasicPublishAsync(kind == "queue" ? "" : name, kind == "queue" ? name : "", mandatory: kind == "queue", props, frame, ct).ConfigureAwait(false);
        }
        catch (Exception) { _declared.Clear(); throw; } // re-declare after a reconnect or error
        finally { _publishLock.Release(); }
    }

    private async Task DeclareAsync(IChannel ch, string kind, string name, CancellationToken ct)
    {
        if (!_declared.TryAdd(kind + "/" + name, true)) return;
        if (kind == "queue")
        {
            var dlq = name + Destinations.DeadLetterSuffix;
            await ch.QueueDeclareAsync(dlq, durable: true, exclusive: false, autoDelete: false,
                new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: ct).ConfigureAwait(false);
            await ch.QueueBindAsync(dlq, DeadLetterExchange, dlq, cancellationToken: ct).ConfigureAwait(false);
            await ch.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, new Dictionary<string, object?>
            {
                ["x-queue-type"] = "quorum",
                ["x-delivery-limit"] = _o.DeliveryLimit,
                ["x-dead-letter-exchange"] = DeadLetterExchange,
                ["x-dead-letter-routing-key"] = dlq,
            }, cancellationToken: ct).ConfigureAwait(false);
        }
        else
        {
            await ch.ExchangeDeclareAsync(name, ExchangeType.Fanout, durable: true, cancellationToken: ct).ConfigureAwait(false);
        }
    }

    public async Task<ISubscription> SubscribeAsync(string destination, string subscriber, DeliveryHandler handler, int prefetch = 1, CancellationToken ct = default)
    {
        var (kind, name) = Destinations.Parse(destination);
        var ch = await _connection.CreateChannelAsync(cancellationToken: ct).ConfigureAwait(false);
        _declared.TryRemove(kind + "/" + name, out _);
        await DeclareAsync(ch, kind, name, ct).ConfigureAwait(false);
        string queue = name;
        if (kind == "broadcast")
        {
            queue = $"{name}.{subscriber}";
            await ch.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: true, cancellationToken: ct).ConfigureAwait(false);
            await ch.QueueBindAsync(queue, name, "", cancellationToken: ct).ConfigureAwait(false);
        }
        else if (kind == "latest")
        {
            queue = $"{name}.{subscriber}";
            await ch.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, new Dictionary<string, object?>
            {
                ["x-max-length"] = 1,
                ["x-overflow"] = "drop-head",
            }, cancellationToken: ct).ConfigureAwait(false);
            await ch.QueueBindAsync(queue, name, "", cancellationToken: ct).ConfigureAwait(false);
        }
        var qos = (ushort)Math.Clamp(prefetch, 1, ushort.MaxValue);
        await ch.BasicQosAsync(0, qos, false, ct).ConfigureAwait(false);
        var sub = new Subscription(ch, queue, destination, handler, qos);
        await sub.ConsumeAsync(ct).ConfigureAwait(false);
        return sub;
    }

    private sealed class Subscription(IChannel ch, string queue, string destination, DeliveryHandler handler, ushort prefetch) : ISubscription
    {
        private readonly CancellationTokenSource _stop = new();
        private volatile bool _paused;
        private readonly SemaphoreSlim _gate = new(1, 1);
        private string? _tag;

        public async Task ConsumeAsync(CancellationToken ct)
        {
            var consumer = new AsyncEventingBasicConsumer(ch);
            consumer.ReceivedAsync += OnReceivedAsync;
            _tag = await ch.BasicConsumeAsync(queue, autoAck: false, consumer, ct).ConfigureAwait(false);
        }

        private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs ea)
        {
            if (_paused)
            {
                // A consumer resurrected by connection recovery while we are paused: retire it and hand the message back.
                try
                {
                    await ch.BasicCancelAsync(ea.ConsumerTag, noWait: true).ConfigureAwait(false);
                    await ch.BasicNackAsync(ea.DeliveryTag, false, requeue: true).ConfigureAwait(false);
                }
                catch (Exception e) { Log.Debug("Could not retire a recovered consumer on {Destination}: {Error}", destination, e.Message); }
                return;
            }
            var previous = ea.BasicProperties.Headers?.TryGetValue("x-delivery-count", out var c) == true ? Convert.ToInt32(c) : 0;
            var d = new Delivery(destination, ea.Body.ToArray(), ea.BasicProperties.AppId ?? "unknown", previous + 1);
            DeliveryOutcome outcome;
            try { outcome = await handler(d, _stop.Token).ConfigureAwait(false); }
            catch (Exception e)
            {
                Log.Warning(e, "Handler for {Destination} threw; requeueing delivery {Count}", destination, d.DeliveryCount);
                outcome = DeliveryOutcome.Requeue;
            }
            try
            {
                if (outcome == DeliveryOutcome.AckAndPause)
                {
                    // Cancel before acking: with prefetch 1 the broker cannot push another message in between,
                    // and frames on a channel are processed in order, so none arrives after the ack either.
                    _paused = true;
                    _tag = null;
                    await ch.BasicCancelAsync(ea.ConsumerTag, noWait: true).ConfigureAwait(false);
                }
                if (outcome is DeliveryOutcome.Ack or DeliveryOutcome.AckAndPause) await ch.BasicAckAsync(ea.DeliveryTag, false).ConfigureAwait(false);
                else await ch.BasicNackAsync(ea.DeliveryTag, false, requeue: outcome == DeliveryOutcome.Requeue).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // The channel died (broker restart): the broker redelivers the message; handlers are idempotent.
                Log.Warning("Could not {Outcome} a delivery on {Destination}: {Error}", outcome, destination, e.Message);
            }
        }

        /// <summary>Resumes after AckAndPause; retries while the connection is recovering.</summary>
        public async Task ResumeAsync(CancellationToken ct = default)
        {
            await _gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                for (var attempt = 1; _paused && !_stop.IsCancellationRequested && !ct.IsCancellationRequested; attempt++)
                {
                    try
                    {
                        await ch.BasicQosAsync(0, prefetch, false, ct).ConfigureAwait(false);
                        _paused = false;
                        await ConsumeAsync(ct).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        _paused = true;
                        Log.Warning("Resuming consumption of {Destination} failed ({Error}); retry {N}", destination, e.Message, attempt);
                        await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(3000, 200 * attempt)), ct).ConfigureAwait(false);
                    }
                }
            }
            finally { _gate.Release(); }
        }

        public async ValueTask DisposeAsync()
        {
            if (_stop.IsCancellationRequested) return;
            _stop.Cancel();
            try
            {
                if (_tag is { } tag) await ch.BasicCancelAsync(tag).ConfigureAwait(false);
                await ch.CloseAsync().ConfigureAwait(false);
            }
            catch (Exception) { }
            ch.Dispose();
        }
    }

    public async Task<long?> DepthAsync(string destination, CancellationToken ct = default)
    {
        var (_, name) = Destinations.Parse(destination);
        await using var ch = await _connection.CreateChannelAsync(cancellationToken: ct).ConfigureAwait(false);
        try { return (await ch.QueueDeclarePassiveAsync(name, ct).ConfigureAwait(false)).MessageCount; }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException) { return null; }
    }

    public async Task<IReadOnlyList<Delivery>> PeekAsync(string destination, int max, CancellationToken ct = default)
    {
        var (_, name) = Destinations.Parse(destination);
        var list = new List<Delivery>();
        // basic.get without ack, then close the channel: the broker puts every fetched message back.
        await using var ch = await _connection.CreateChannelAsync(cancellationToken: ct).ConfigureAwait(false);
        try
        {
            for (var i = 0; i < max; i++)
            {
                var r = await ch.BasicGetAsync(name, autoAck: false, ct).ConfigureAwait(false);
                if (r is null) break;
                list.Add(new Delivery(destination, r.Body.ToArray(), r.BasicProperties.AppId ?? "unknown", 1));
            }
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException) { }
        try { await ch.CloseAsync(ct).ConfigureAwait(false); } catch (Exception) { }
        return list;
    }

    public async ValueTask DisposeAsync()
    {
        try { await _publish.CloseAsync().ConfigureAwait(false); } catch (Exception) { }
        try { await _connection.CloseAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); } catch (Exception) { }
        _connection.Dispose();
    }
}
