using CrystalActors.Runtime.Hosting;
using CrystalActors.Runtime.Messages;
using CrystalActors.Runtime.Persistence;
using CrystalActors.Runtime.Transport;

namespace CrystalActors.Runtime.Tests.Farming;

public sealed class CoordinatorNodeTests : IDisposable
{
    private readonly string _dir = TestEnvironment.TempDir("coord");
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    [Fact]
    public async Task CoordinatorQueue_GarbageAndUnknownVersion_DeadLetteredNodeKeepsWorking()
    {
        var t = Topology.SingleNode() with { StateDir = _dir };
        await using var node = await ClusterNode.StartAsync(t, null, ["coordinator"]);
        var q = node.Farming.CoordinatorQueue;
        await node.Transport.PublishAsync(q, "\u0001\u0002 definitely not a frame"u8.ToArray());
        await node.Transport.PublishAsync(q, MessageCodec.Default.EncodeRaw("dft.job.requested", 9, "future-node", "m1", "{}"u8));
        await node.Transport.PublishAsync(q, MessageCodec.Default.Encode(new DftJobRequested("ok-1", "{\"a\":5.43}", "si-tiny", "test"), "test"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string? state = null;
        while (DateTime.UtcNow < deadline && state is null)
        {
            await Task.Delay(50);
            if (!File.Exists(t.DatabasePath)) continue;
            using var db = new ClusterDatabase(t.DatabasePath, readOnly: true);
            if (db.HasSchema) state = new JobStore(db).Find("ok-1")?.State;
        }
        // Frames are handled in order: by the time the valid job is stored both bad frames were dead-lettered.
        Assert.Equal(JobStates.Pending, state);
        Assert.Equal(2, await node.Transport.DepthAsync(Destinations.DeadLetterOf(q)));
        Assert.True(node.Actors.IsAlive(new CrystalActors.Runtime.Actors.ActorAddress("coordinator", "local")));
    }

    [Fact]
    public void Topology_Files_LoadAndValidate()
    {
        var local = Topology.Load(Path.Combine(TestEnvironment.RepoRoot, "cluster-config", "local-cluster.json"));
        Assert.Equal(["head", "dft-1", "dft-2"], local.Nodes.Select(n => n.Name));
        Assert.Equal(["coordinator", "learner"], local.Node("head").Roles);
        var single = Topology.SingleNode();
        Assert.Equal("inproc", single.Transport);
        var e = Assert.Throws<FormatException>(() => Topology.Parse("""{"name":"x","transport":"carrier-pigeon","nodes":[{"name":"a","roles":["coordinator"]}]}""", "bad.json"));
        Assert.Contains("bad.json: transport 'carrier-pigeon' is not one of inproc, rabbitmq", e.Message);
        var two = Assert.Throws<FormatException>(() => Topology.Parse("""{"name":"x","transport":"inproc","nodes":[{"name":"a","roles":["dft-worker"]}]}""", "nocoord.json"));
        Assert.Contains("exactly one node must have the 'coordinator' role", two.Message);
        Assert.Contains("no node 'dft-9'", Assert.Throws<ArgumentException>(() => local.Node("dft-9")).Message);
    }
}
