using System.Collections.Concurrent;
using CrystalActors.Runtime.Farming;
using CrystalActors.Runtime.Hosting;
using CrystalActors.Runtime.Messages;
using CrystalActors.Runtime.Persistence;

namespace CrystalActors.Runtime.Tests.Farming;

public sealed class ModelRegistryTests : IDisposable
{
    private readonly string _dir = TestEnvironment.TempDir("models");
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    [Fact]
    public async Task PublishModel_TwoVersions_LateSubscriberGetsOnlyNewestVerifiedWeights()
    {
        var t = Topology.SingleNode() with { StateDir = _dir };
        var loaded = new ConcurrentQueue<(long Version, string Text)>();
        await using (var node = await ClusterNode.StartAsync(t, null, ["coordinator"]))
        {
            var registry = node.Actors.Lookup("model-registry", "local")!;
            // Create the learner's latest-value queue, then step away while two versions are published.
            await (await ModelVersionReceiver.SubscribeAsync(node.Transport, node.Farming.ModelTopic, "learner", (_, _) => Task.CompletedTask)).DisposeAsync();
            var v1 = await registry.AskAsync<ModelVersionPublished>(new PublishModel("qnet", "weights-1"u8.ToArray()), TimeSpan.FromSeconds(10));
            var v2 = await registry.AskAsync<ModelVersionPublished>(new PublishModel("qnet", "weights-2"u8.ToArray()), TimeSpan.FromSeconds(10));
            Assert.Equal((1L, 2L), (v1.Version, v2.Version));
            await Task.Delay(500); // the outbox relay publishes after commit
            await using var sub = await ModelVersionReceiver.SubscribeAsync(node.Transport, node.Farming.ModelTopic, "learner",
                (n, w) => { loaded.Enqueue((n.Version, System.Text.Encoding.UTF8.GetString(w))); return Task.CompletedTask; });
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (loaded.IsEmpty && DateTime.UtcNow < deadline) await Task.Delay(20);
            await Task.Delay(200);
            Assert.Equal([(2L, "weights-2")], loaded);

            // A substituted file is refused (hash mismatch) and never reaches the loader.
            await File.WriteAllTextAsync(v2.Path, "evil");
            await node.Transport.PublishAsync(node.Farming.ModelTopic, MessageCodec.Default.Encode(v2, "replayer"));
            await Task.Delay(300);
            Assert.Single(loaded);
        }
        // Recovery from the journal after restart.
        using var db = new ClusterDatabase(t.DatabasePath);
        var recovered = ModelRegistryState.InJournal(new EventJournal(db)).Recover();
        Assert.Equal(2, recovered.Latest("qnet")!.Version);
    }
}
