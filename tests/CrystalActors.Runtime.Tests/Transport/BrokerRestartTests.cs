using System.Text;
using CrystalActors.Runtime.Transport;

namespace CrystalActors.Runtime.Tests.Transport;

[Collection(BrokerCollection.Name)]
public sealed class BrokerRestartTests(BrokerFixture broker)
{
    [BrokerFact]
    public async Task Queue_BrokerStoppedAndStarted_ConfirmedMessagesSurviveAndConsumerRecovers()
    {
        var q = $"queue/restart{Guid.NewGuid():N}"[..28];
        await using var t = await RabbitMqTransport.ConnectAsync(broker.AmqpUri, new TransportOptions { NodeName = "restart-test" });
        var got = new System.Collections.Concurrent.ConcurrentBag<string>();
        for (var i = 0; i < 5; i++) await t.PublishAsync(q, Encoding.UTF8.GetBytes($"before{i}"));
        await broker.StopBrokerAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => t.PublishAsync(q, "during"u8.ToArray()));
        await broker.StartBrokerAsync();
        // The client reconnects by itself; publishing works again once it has.
        var publisher = new ReliablePublisher(t, new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        await publisher.PublishAsync(q, "after"u8.ToArray());
        await using var sub = await t.SubscribeAsync(q, "c", (d, _) => { got.Add(Encoding.UTF8.GetString(d.Body)); return Task.FromResult(DeliveryOutcome.Ack); });
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (got.Count < 6 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal(["after", "before0", "before1", "before2", "before3", "before4"], got.Order());
    }
}
