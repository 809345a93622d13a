using System.Collections.Concurrent;
using System.Text;
using CrystalActors.Runtime.Transport;

namespace CrystalActors.Runtime.Tests.Transport;

/// <summary>One contract, run against every transport (STYLE.md §6, like ChannelTestBase).</summary>
public abstract class TransportContractTests
{
    protected const int DeliveryLimit = 2;
    protected abstract Task<ITransport> CreateAsync(string node);
    protected virtual bool Available => true;
    private static string Unique(string kind) => $"{kind}/t{Guid.NewGuid():N}"[..22];
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for: {what}");
            await Task.Delay(20);
        }
    }

    [BrokerFact]
    public async Task Queue_TwoCompetingConsumers_EachMessageHandledOnce()
    {
        await using var t = await CreateAsync("n1");
        var q = Unique("queue");
        var seen = new ConcurrentBag<string>();
        DeliveryHandler h = (d, _) => { seen.Add(Encoding.UTF8.GetString(d.Body)); return Task.FromResult(DeliveryOutcome.Ack); };
        await using var a = await t.SubscribeAsync(q, "a", h);
        await using var b = await t.SubscribeAsync(q, "b", h);
        for (var i = 0; i < 40; i++) await t.PublishAsync(q, Encoding.UTF8.GetBytes($"m{i}"));
        await Eventually(() => seen.Count >= 40, "40 deliveries");
        await Task.Delay(100);
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"m{i}").Order(), seen.Order());
    }

    [BrokerFact]
    public async Task Queue_RequeuedPastDeliveryLimit_GoesToDeadLetterQueue()
    {
        await using var t = await CreateAsync("n1");
        var q = Unique("queue");
        var counts = new ConcurrentQueue<int>();
        await using (await t.SubscribeAsync(q, "a", (d, _) => { counts.Enqueue(d.DeliveryCount); return Task.FromResult(DeliveryOutcome.Requeue); }))
        {
            await t.PublishAsync(q, "poison"u8.ToArray());
            await Eventually(() => counts.Count >= DeliveryLimit + 1, "limit+1 deliveries");
            await Eventually(() => t.DepthAsync(Destinations.DeadLetterOf(q)).Result == 1, "dead-lettered message");
        }
        // Delivery limit L allows L requeues: L+1 deliveries in all, numbered 1..L+1.
        Assert.Equal(Enumerable.Range(1, DeliveryLimit + 1), counts);
        Assert.Equal(0, await t.DepthAsync(q));
    }

    [BrokerFact]
    public async Task Queue_Rejected_DeadLetteredWithoutRedelivery()
    {
        await using var t = await CreateAsync("n1");
        var q = Unique("queue");
        var n = 0;
        await using (await t.SubscribeAsync(q, "a", (_, _) => { Interlocked.Increment(ref n); return Task.FromResult(DeliveryOutcome.Reject); }))
        {
            await t.PublishAsync(q, "garbage"u8.ToArray());
            await Eventually(() => t.DepthAsync(Destinations.DeadLetterOf(q)).Result == 1, "dead-lettered message");
        }
        Assert.Equal(1, n);
    }

    [BrokerFact]
    public async Task Queue_PublishedBeforeSubscribe_IsKeptAndCarriesSenderName()
    {
        await using var t = await CreateAsync("sender-node");
        var q = Unique("queue");
        await t.PublishAsync(q, "early"u8.ToArray());
        await Eventually(() => t.DepthAsync(q).Result == 1, "depth 1");
        var got = new TaskCompletionSource<Delivery>();
        await using (await t.SubscribeAsync(q, "a", (d, _) => { got.TrySetResult(d); return Task.FromResult(DeliveryOutcome.Ack); }))
        {
            var d = await got.Task.WaitAsync(Wait);
            Assert.Equal("early", Encoding.UTF8.GetString(d.Body));
            Assert.Equal("sender-node", d.TransportSender);
            Assert.Equal(1, d.DeliveryCount);
        }
    }

    [BrokerFact]
    public async Task Queue_AckAndPause_NothingMoreDeliveredUntilResumed()
    {
        await using var t = await CreateAsync("n1");
        var q = Unique("queue");
        var seen = new ConcurrentQueue<string>();
        await using var sub = await t.SubscribeAsync(q, "worker", (d, _) =>
        {
            seen.Enqueue(Encoding.UTF8.GetString(d.Body));
            return Task.FromResult(DeliveryOutcome.AckAndPause);
        });
        for (var i = 0; i < 3; i++) await t.PublishAsync(q, Encoding.UTF8.GetBytes($"job{i}"));
        await Eventually(() => seen.Count == 1, "first job");
        await Task.Delay(300);
        Assert.Single(seen);                       // paused: the other two wait in the queue, not in our hands
        await Eventually(() => t.DepthAsync(q).Result == 2, "two ready in the queue");
        await sub.ResumeAsync();
        await Eventually(() => seen.Count == 2, "second job after resume");
        await Task.Delay(300);
        Assert.Equal(["job0", "job1"], seen);
        Assert.Equal(1, await t.DepthAsync(q));
    }

    [BrokerFact]
    public async Task Broadcast_TwoSubscribers_BothReceiveEveryMessage()
    {
        await using var t = await CreateAsync("n1");
        var topic = Unique("broadcast");
        var a = new ConcurrentQueue<string>();
        var b = new ConcurrentQueue<string>();
        await using var sa = await t.SubscribeAsync(topic, "a", (d, _) => { a.Enqueue(Encoding.UTF8.GetString(d.Body)); return Task.FromResult(DeliveryOutcome.Ack); });
        await using var sb = await t.SubscribeAsync(topic, "b", (d, _) => { b.Enqueue(Encoding.UTF8.GetString(d.Body)); return Task.FromResult(DeliveryOutcome.Ack); });
        for (var i = 0; i < 5; i++) await t.PublishAsync(topic, Encoding.UTF8.GetBytes($"hb{i}"));
        await Eventually(() => a.Count == 5 && b.Count == 5, "5 messages at each subscriber");
        Assert.Equal(a, b);
    }

    [BrokerFact]
    public async Task Latest_SubscriberAway_KeepsOnlyNewestNotice()
    {
        await using var t = await CreateAsync("n1");
        var topic = Unique("latest");
        var got = new ConcurrentQueue<string>();
        DeliveryHandler h = (d, _) => { got.Enqueue(Encoding.UTF8.GetString(d.Body)); return Task.FromResult(DeliveryOutcome.Ack); };
        // Subscribe once so the subscriber's latest-value queue exists, then go away while versions 1..5 are published.
        await (await t.SubscribeAsync(topic, "learner", h)).DisposeAsync();
        for (var v = 1; v <= 5; v++) await t.PublishAsync(topic, Encoding.UTF8.GetBytes($"v{v}"));
        await using var s = await t.SubscribeAsync(topic, "learner", h);
        await Eventually(() => !got.IsEmpty, "one notice");
        await Task.Delay(300);
        Assert.Equal(["v5"], got);
    }
}

public sealed class InProcessTransportTests : TransportContractTests
{
    protected override Task<ITransport> CreateAsync(string node) =>
        Task.FromResult<ITransport>(new InProcessTransport(new TransportOptions { NodeName = node, DeliveryLimit = DeliveryLimit }));
}

[Collection(BrokerCollection.Name)]
public sealed class RabbitMqTransportTests(BrokerFixture broker) : TransportContractTests
{
    protected override async Task<ITransport> CreateAsync(string node) =>
        await RabbitMqTransport.ConnectAsync(broker.AmqpUri, new TransportOptions { NodeName = node, DeliveryLimit = DeliveryLimit });
}
