namespace CrystalActors.Runtime.Transport;

/// <summary>What a subscriber tells the transport after handling a delivery.</summary>
public enum DeliveryOutcome
{
    /// <summary>Done; remove the message.</summary>
    Ack,
    /// <summary>Could not handle it now; deliver again (counts towards the queue's delivery limit).</summary>
    Requeue,
    /// <summary>Never deliverable (garbage, unknown version): dead-letter it at once.</summary>
    Reject,
    /// <summary>
    /// Done, and deliver nothing more to this subscription until <see cref="ISubscription.ResumeAsync"/>:
    /// a worker that just took a long job must not hold a second, unacknowledged delivery meanwhile.
    /// </summary>
    AckAndPause,
}

/// <summary>A live subscription; dispose to stop consuming.</summary>
public interface ISubscription : IAsyncDisposable
{
    /// <summary>Starts delivering again after an <see cref="DeliveryOutcome.AckAndPause"/>; a no-op when not paused.</summary>
    Task ResumeAsync(CancellationToken ct = default);
}

/// <summary>One delivered frame. <see cref="DeliveryCount"/> is 1 on first delivery.</summary>
public sealed record Delivery(string Destination, byte[] Body, string TransportSender, int DeliveryCount);

public delegate Task<DeliveryOutcome> DeliveryHandler(Delivery delivery, CancellationToken ct);

/// <summary>
/// Moves encoded frames between nodes. Destinations are strings with a kind prefix:
/// <list type="bullet">
/// <item><c>queue/NAME</c>: durable work queue, competing consumers, manual acks, a delivery limit after which
/// the message goes to <c>NAME.dlq</c> (RabbitMQ: quorum queue + dead-letter exchange).</item>
/// <item><c>broadcast/NAME</c>: fan-out; every subscriber gets every message published while it is subscribed.</item>
/// <item><c>latest/NAME</c>: fan-out where each subscriber keeps only the newest message (max-length 1, drop-head).</item>
/// </list>
/// Role code only sees this contract, so the same roles run in one process or across a cluster.
/// </summary>
public interface ITransport : IAsyncDisposable
{
    /// <summary>"inproc" or "rabbitmq".</summary>
    string Kind { get; }

    /// <summary>Publishes a frame; returns once the transport has taken responsibility for it (RabbitMQ: publisher confirm).</summary>
    Task PublishAsync(string destination, byte[] frame, CancellationToken ct = default);

    /// <summary>Starts consuming. For broadcast/latest destinations <paramref name="subscriber"/> names the subscriber's own queue.</summary>
    Task<ISubscription> SubscribeAsync(string destination, string subscriber, DeliveryHandler handler, int prefetch = 1, CancellationToken ct = default);

    /// <summary>Messages ready in a queue (<c>queue/NAME</c> or <c>queue/NAME.dlq</c>); null if the queue does not exist.</summary>
    Task<long?> DepthAsync(string destination, CancellationToken ct = default);

    /// <summary>Up to <paramref name="max"/> messages at the head of a queue, left in place (for status displays).</summary>
    Task<IReadOnlyList<Delivery>> PeekAsync(string destination, int max, CancellationToken ct = default);
}

/// <summary>Destination naming helpers.</summary>
public static class Destinations
{
    public const string QueuePrefix = "queue/";
    public const string BroadcastPrefix = "broadcast/";
    public const string LatestPrefix = "latest/";
    public const string DeadLetterSuffix = ".dlq";

    public static (string Kind, string Name) Parse(string destination)
    {
        foreach (var p in new[] { QueuePrefix, BroadcastPrefix, LatestPrefix })
            if (destination.StartsWith(p, StringComparison.Ordinal) && destination.Length > p.Length)
                return (p[..^1], destination[p.Length..]);
        throw new ArgumentException($"destination '{destination}' must start with {QueuePrefix}, {BroadcastPrefix} or {LatestPrefix}", nameof(destination));
    }

    public static string DeadLetterOf(string queueDestination) => queueDestination + DeadLetterSuffix;
}

/// <summary>Transport settings. Defaults in the initialisers.</summary>
public sealed class TransportOptions
{
    /// <summary>Failed deliveries (requeues) of one message allowed; the next requeue dead-letters it, as RabbitMQ's x-delivery-limit. Default 5.</summary>
    public int DeliveryLimit { get; init; } = 5;
    /// <summary>Name this node stamps on what it publishes (RabbitMQ app-id). Default "node".</summary>
    public string NodeName { get; init; } = "node";
}
