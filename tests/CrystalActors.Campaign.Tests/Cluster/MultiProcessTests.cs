using System.Text.RegularExpressions;

namespace CrystalActors.Campaign.Tests.Cluster;

/// <summary>
/// Nodes as separate processes on loopback, real pw.x: nodes join with their roles; a DFT-worker node is SIGKILLed in
/// the middle of a job (the job is leased again and its result applied once); the farm singleton moves to another
/// node when its node leaves gracefully; the node with the campaign's coordinator and learner is SIGKILLed and
/// restarted (the campaign resumes from the journal while the generators on the other nodes wait).
/// </summary>
[Collection(nameof(MultiProcess))]
public class MultiProcessTests
{
    private static readonly TimeSpan Up = TimeSpan.FromSeconds(90);
    private static int _nextPort = 4600 + Random.Shared.Next(0, 300) * 3;

    private static int Ports(int n) => Interlocked.Add(ref _nextPort, n) - n;

    private static string[] FarmNode(string name, string roles, int port, string seeds, string state) =>
        ["cluster", "node", "--node", name, "--roles", roles, "--port", port.ToString(), "--seeds", seeds, "--profile", "local-cluster",
         "--state", state, "--lease-seconds", "8", "--ranks", "1"];

    private static async Task<string> ReportAsync(string state, int expect, string? postgres = null)
    {
        string[] journal = postgres is null ? ["--journal-target", Path.Combine(state, "journal.db")] : ["--journal-target", postgres, "--postgres"];
        using var report = NodeProcess.Start("report", ["cluster", "report", .. journal, "--prefix", "si", "--wait-seconds", "300", "--expect", expect.ToString()]);
        await report.WaitForExitAsync(TimeSpan.FromMinutes(6));
        return Regex.Matches(report.Output, "jobs=\\d+ completed=\\d+ lost=\\d+ duplicated=\\d+").Last().Value;
    }

    /// <summary>A farm-only cluster of up to three nodes on consecutive ports; seeds are the first two.</summary>
    private sealed class Farm
    {
        public string State { get; } = Directory.CreateTempSubdirectory("ca-mp-farm-").FullName;
        public int Port { get; } = Ports(3);
        public string Seeds => $"127.0.0.1:{Port},127.0.0.1:{Port + 1}";

        /// <summary>Starts node <paramref name="slot"/> (0..2) and waits until it is Up.</summary>
        public async Task<NodeProcess> StartAsync(string name, string roles, int slot, params string[] extra)
        {
            var node = NodeProcess.Start(name, [.. FarmNode(name, roles, Port + slot, Seeds, State), .. extra]);
            await node.WaitForAsync("is Up", Up);
            return node;
        }

        public async Task SubmitAsync(int count, int kpoints)
        {
            using var submit = NodeProcess.Start("submit", "cluster", "submit", "--seeds", Seeds, "--count", count.ToString(), "--kpoints", kpoints.ToString(), "--profile", "local-cluster");
            Assert.Equal(0, await submit.WaitForExitAsync(TimeSpan.FromMinutes(2)));
        }
    }

    [MultiProcessFact]
    public async Task WorkerNodeKilledMidJob_JobIsLeasedAgain_AndEveryResultIsAppliedOnce()
    {
        var farm = new Farm();
        using var head = await farm.StartAsync("head", "coordinator", 0);
        using var w1 = await farm.StartAsync("w1", "dft-worker", 1);
        using var w2 = await farm.StartAsync("w2", "dft-worker", 2);
        Assert.Matches("roles coordinator", head.Output);
        Assert.Matches("roles dft-worker", w1.Output);

        // 8x8x8 k-points: each job runs several seconds, so that w1 is surely killed in the middle of one.
        await farm.SubmitAsync(6, kpoints: 8);
        // Kill w1 while it runs pw.x, and bring it back.
        await w1.WaitForAsync("runs dft stage of si-", TimeSpan.FromMinutes(2));
        var leased = Regex.Match(w1.Output, "runs dft stage of (si-\\d+)").Groups[1].Value;
        w1.Kill();
        using var w1Again = NodeProcess.Start("w1'", FarmNode("w1", "dft-worker", farm.Port + 1, farm.Seeds, farm.State));

        Assert.Equal("jobs=6 completed=6 lost=0 duplicated=0", await ReportAsync(farm.State, 6));
        // The killed worker's job was run again under a later lease.
        await head.WaitForAsync($"Job {leased} completed by", TimeSpan.FromSeconds(10));
        Assert.Matches($"Job {leased} leased to \\S+ \\(epoch [2-9]", head.Output);
    }

    [MultiProcessFact]
    public async Task FarmNodeLeavesGracefully_TheSingletonMovesAndRecoversTheJobTable()
    {
        var farm = new Farm();
        using var a = await farm.StartAsync("a", "coordinator", 0);
        using var b = await farm.StartAsync("b", "coordinator", 1);
        using var w = await farm.StartAsync("w", "dft-worker", 2);
        await a.WaitForAsync("DFT farm recovered: 0 job", Up); // the oldest node runs the singleton
        await farm.SubmitAsync(4, kpoints: 2);
        a.Terminate();
        Assert.Equal(0, await a.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        await b.WaitForAsync("DFT farm recovered: 4 job", TimeSpan.FromMinutes(1));
        Assert.Equal("jobs=4 completed=4 lost=0 duplicated=0", await ReportAsync(farm.State, 4));
    }

    [MultiProcessFact(NeedsPostgres = true)]
    public async Task CoordinatorNodeKilled_WithAPostgresJournal_TheSingletonMovesToTheOtherCoordinatorNode()
    {
        var pgDir = Directory.CreateTempSubdirectory("ca-mp-pg-").FullName;
        using (var start = NodeProcess.StartCommand("postgres", "bash", [Path.Combine(NodeProcess.RepoRoot, "scripts", "postgres.sh"), "start", pgDir]))
            Assert.Equal(0, await start.WaitForExitAsync(TimeSpan.FromMinutes(2)));
        try
        {
            var env = File.ReadAllLines(Path.Combine(pgDir, "postgres.env")).First(l => l.StartsWith("CRYSTAL_ACTORS_JOURNAL="));
            var connection = env["CRYSTAL_ACTORS_JOURNAL=".Length..].Trim('"');
            var farm = new Farm();
            string[] pg = ["--journal", "postgres", "--journal-target", connection];
            using var a = await farm.StartAsync("a", "coordinator", 0, pg);
            await a.WaitForAsync("DFT farm recovered: 0 job", Up);
            using var b = await farm.StartAsync("b", "coordinator", 1, pg);
            using var w = await farm.StartAsync("w", "dft-worker", 2);
            await farm.SubmitAsync(6, kpoints: 4);
            await w.WaitForAsync("runs dft stage of si-", TimeSpan.FromMinutes(1));
            a.Kill();
            await b.WaitForAsync("DFT farm recovered: 6 job", TimeSpan.FromMinutes(2));
            Assert.Equal("jobs=6 completed=6 lost=0 duplicated=0", await ReportAsync(farm.State, 6, connection));
        }
        finally
        {
            using var stop = NodeProcess.StartCommand("postgres", "bash", [Path.Combine(NodeProcess.RepoRoot, "scripts", "postgres.sh"), "stop", pgDir]);
            await stop.WaitForExitAsync(TimeSpan.FromMinutes(1));
        }
    }

    [MultiProcessFact]
    public async Task CampaignOnThreeNodes_CoordinatorAndLearnerNodeKilled_ResumesAndFinishesWithNothingLostOrDuplicated()
    {
        var root = Directory.CreateTempSubdirectory("ca-mp-campaign-").FullName;
        var config = Path.Combine(root, "mp-campaign.json");
        File.WriteAllText(config, $$"""
            {
              "name": "mp-campaign", "output_root": "{{root}}", "seed": 1,
              "skeleton": { "data": "{{SharedData.File("data", "mp20", "mp20_val.jsonl.gz")}}", "material_ids": ["mp-23289"] },
              "vocabulary": ["K", "Na", "Cl"], "episodes": 160, "dft_every": 40, "dft_budget": 4,
              "epsilon": { "start": 1.0, "end": 0.05, "decay_rate": 0.01 },
              "dqn": { "batch_size": 16, "learning_starts": 16, "updates_per_episode": 1, "publish_every": 16, "target_update_every": 32 },
              "reward_model": { "weights": "{{SharedData.File("reference", "megnet", "MEGNet-MP-2019.4.1-BandGap-mfi.safetensors")}}", "finetune_steps": 2 },
              "relax": { "enabled": true, "weights": "{{SharedData.File("reference", "m3gnet", "M3GNet-MatPES-PBE-v2025.1-PES.safetensors")}}", "steps": 30 },
              "dft": { "protocol_name": "sssp", "ecut_wfc_ry": 25, "ecut_rho_ry": 200, "k_spacing_inv_angstrom": 0.6, "mpi_ranks": 1,
                       "wall_time_minutes": 3, "pseudo_dir": "{{SharedData.File("pseudo")}}", "lease_seconds": 15 }
            }
            """);
        using var run = NodeProcess.StartCommand("local-cluster", "bash", [Path.Combine(NodeProcess.RepoRoot, "scripts", "local-cluster.sh"), "--config", config, "--kill-gpu0-at", "40"],
            new Dictionary<string, string> { ["CRYSTAL_ACTORS_CLI"] = $"dotnet {NodeProcess.CliDll}", ["LOCAL_CLUSTER_PORT"] = Ports(3).ToString() });
        Assert.Equal(0, await run.WaitForExitAsync(TimeSpan.FromMinutes(12)));
        Assert.Contains("SIGKILL gpu0", run.Output);
        Assert.Equal("nodes=3 episodes=160 dft_finished=4 lost=0 duplicated=0", Regex.Matches(run.Output, "nodes=\\d+ episodes=\\d+ dft_finished=\\d+ lost=\\d+ duplicated=\\d+").Last().Value);
        var gpu0 = File.ReadAllText(Path.Combine(root, "mp-campaign", "logs", "gpu0.log"));
        Assert.Matches("resuming after episode \\d+", gpu0);
    }
}

[CollectionDefinition(nameof(MultiProcess), DisableParallelization = true)]
public sealed class MultiProcess { }
