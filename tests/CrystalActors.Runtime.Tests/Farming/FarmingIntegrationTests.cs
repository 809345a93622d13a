using CrystalActors.Runtime.Farming;
using CrystalActors.Runtime.Hosting;
using CrystalActors.Runtime.Messages;
using CrystalActors.Runtime.Persistence;
using CrystalActors.Runtime.Transport;

namespace CrystalActors.Runtime.Tests.Farming;

/// <summary>Coordinator + workers with real pw.x, over each transport.</summary>
public abstract class FarmingIntegrationTests : IDisposable
{
    protected readonly string StateDir = TestEnvironment.TempDir("farm");
    public void Dispose() { try { Directory.Delete(StateDir, true); } catch (IOException) { } }

    protected static NodeServices Services() => new()
    {
        Executors = { ["si-pw"] = _ => new SiliconPwExecutor(new PwExecutorOptions { PseudoDir = Path.Combine(TestEnvironment.SharedDir, "pseudo", SharedPaths.SsspFolder) }) },
    };

    protected static async Task SubmitAsync(ITransport transport, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var job = new DftJobRequested($"si-{i:D3}", $"{{\"a\": {5.30 + 0.05 * i:F2}}}", "si-tiny", "test");
            await transport.PublishAsync("queue/coordinator", MessageCodec.Default.Encode(job, "test", $"submit:{job.JobId}"));
        }
    }

    protected static async Task<JournalReport> WaitForCompletionAsync(Topology t, int jobs, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var r = File.Exists(t.DatabasePath) ? ClusterStatus.Journal(t.DatabasePath) : new JournalReport(0, 0, 0, 0, 0);
            if ((r.Jobs == jobs && r.Completed == jobs) || DateTime.UtcNow > deadline) return r;
            await Task.Delay(200);
        }
    }
}

public sealed class InProcessFarmingTests : FarmingIntegrationTests
{
    [PwFact]
    public async Task SingleNode_FourJobsTwoWorkers_AllCompleteOnce()
    {
        var t = Topology.SingleNode() with { StateDir = StateDir };
        await using (var node = await ClusterNode.StartAsync(t, null, null, Services()))
        {
            Assert.Equal(["coordinator", "learner", "dft-worker"], node.Roles);
            Assert.Equal(2, node.Actors.LookupRole("dft-worker").Count);
            await SubmitAsync(node.Transport, 4);
            var r = await WaitForCompletionAsync(t, 4, TimeSpan.FromSeconds(60));
            Assert.Equal("jobs=4 completed=4 lost=0 duplicated=0", r.ToString());
        }
        using var db = new ClusterDatabase(t.DatabasePath);
        var store = new JobStore(db);
        var energies = Enumerable.Range(0, 4).Select(i => System.Text.Json.JsonDocument.Parse(store.Find($"si-{i:D3}")!.Result!).RootElement.GetProperty("total_energy_ry").GetDouble()).ToList();
        // a = 5.30, 5.35, 5.40, 5.45 Å approach the PBE minimum (~5.47 Å): energy falls monotonically.
        Assert.True(energies.Zip(energies.Skip(1)).All(p => p.Second < p.First), string.Join(", ", energies));
        Assert.Empty(store.PendingOutbox());
    }
}

[Collection(BrokerCollection.Name)]
public sealed class RabbitMqFarmingTests(BrokerFixture broker) : FarmingIntegrationTests
{
    private Topology Cluster() => new("test-cluster", "rabbitmq",
        [new NodeSpec("head", ["coordinator"]), new NodeSpec("w1", ["dft-worker"]), new NodeSpec("w2", ["dft-worker"])],
        StateDir: StateDir, LeaseSeconds: 4, DeliveryLimit: 5);

    [BrokerAndPwFact]
    public async Task ThreeNodes_WorkerStoppedMidJob_JobMovesToOtherWorkerNothingLostOrDuplicated()
    {
        Environment.SetEnvironmentVariable("CRYSTAL_ACTORS_AMQP_URI", broker.AmqpUri);
        var t = Cluster();
        await using var head = await ClusterNode.StartAsync(t, "head", null, Services());
        await using var w1 = await ClusterNode.StartAsync(t, "w1", null, Services());
        var w2 = await ClusterNode.StartAsync(t, "w2", null, Services());
        await SubmitAsync(head.Transport, 6);
        // Stop w2 gracefully as soon as it holds a job: it must hand the job back (DftJobFailed, retryable).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (w2.Actors.LookupRole("dft-worker").Count == 1 && DateTime.UtcNow < deadline)
        {
            if (!File.Exists(t.DatabasePath)) { await Task.Delay(50); continue; }
            using var db = new ClusterDatabase(t.DatabasePath, readOnly: true);
            if (db.HasSchema && db.Scalar("select count(*) from jobs where worker = 'w2' and state = 'leased'") is long n && n > 0) break;
            await Task.Delay(50);
        }
        await w2.DisposeAsync();
        var r = await WaitForCompletionAsync(t, 6, TimeSpan.FromSeconds(90));
        Assert.Equal("jobs=6 completed=6 lost=0 duplicated=0", r.ToString());
        using var check = new ClusterDatabase(t.DatabasePath, readOnly: true);
        Assert.True(Convert.ToInt32(check.Scalar("select count(*) from events where type = 'JobRequeued'")) >= 1, "w2's job was not handed back");
        var status = await ClusterStatus.CollectAsync(t, head.Transport);
        Assert.Contains(status.Nodes, n => n.Name == "w1" && n.Roles == "dft-worker");
        Assert.Equal(6, status.JobsByState["completed"]);
        Assert.True(status.Overhead.Jobs > 0 && status.Overhead.MeanExecutorSeconds > 0.2);
    }
}
