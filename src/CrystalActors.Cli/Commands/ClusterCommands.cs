using System.CommandLine;
using System.Globalization;
using Akka.Actor;
using CrystalActors.Campaign;
using CrystalActors.Campaign.Roles;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Dft;
using CrystalActors.Dft.Execution;
using CrystalActors.Dft.Input;
using CrystalActors.Runtime.Cluster;
using CrystalActors.Runtime.Farming;
using CrystalActors.Runtime.Messages;
using CrystalActors.Runtime.Persistence;
using Serilog;
using Spectre.Console;

namespace CrystalActors.Cli.Commands;

/// <summary>
/// `crystal-actors cluster node|submit|status|report`: the DFT farm on its own (no campaign), for chaos tests,
/// benchmarks and ad-hoc batches of DFT jobs, and a look at any farm's journal.
/// </summary>
public static class ClusterCommands
{
    public static readonly string[] FarmRoles = ["coordinator", "dft-worker"];

    public static Command Create()
    {
        var command = new Command("cluster", "Run DFT-farm nodes, submit jobs, and inspect a farm's journal.");
        command.Subcommands.Add(Node());
        command.Subcommands.Add(Submit());
        command.Subcommands.Add(Status());
        command.Subcommands.Add(Report());
        return command;
    }

    private static Command Node()
    {
        var node = new NodeOptions();
        var state = new Option<string>("--state") { Description = "Folder for the farm's SQLite journal (journal.db).", DefaultValueFactory = _ => "runs/farm" };
        var runners = new Option<int>("--runners") { Description = "DFT workers on this node (each runs pw.x with --ranks MPI ranks).", DefaultValueFactory = _ => 1 };
        var ranks = new Option<int>("--ranks") { Description = "MPI ranks per pw.x run.", DefaultValueFactory = _ => 1 };
        var lease = new Option<double>("--lease-seconds") { Description = "Lease term of the farm.", DefaultValueFactory = _ => 30 };
        var attempts = new Option<int>("--max-attempts") { Description = "Attempts before a job is dead-lettered.", DefaultValueFactory = _ => 5 };
        var command = new Command("node", "Run one node of a DFT farm (roles coordinator and/or dft-worker) until SIGTERM/Ctrl-C.");
        node.AddTo(command);
        foreach (var o in new Option[] { state, runners, ranks, lease, attempts }) command.Options.Add(o);
        command.SetAction(async (p, ct) =>
        {
            var settings = node.Read(p, FarmRoles, Path.Combine(p.GetValue(state)!, "journal.db"), FarmRoles);
            CliLogging.AlsoToFile(Path.Combine(p.GetValue(state)!, "logs", $"{settings.Name}.log"), consoleWarningsOnly: false);
            var farmOptions = new FarmOptions { Lease = TimeSpan.FromSeconds(p.GetValue(lease)), MaxAttempts = p.GetValue(attempts) };
            var dft = settings.Roles.Contains("dft-worker")
                ? new DftJobExecutor(new DftService(new DftServiceOptions { Runner = new PwRunnerOptions { MpiRanks = p.GetValue(ranks) } }))
                : null;
            while (!ct.IsCancellationRequested)
            {
                ClusterNode cluster;
                try { cluster = await ClusterNode.StartAsync(settings, TimeSpan.FromMinutes(2), ct); }
                catch (TimeoutException e) { Log.Error("{Message}", e.Message); return 3; }
                catch (OperationCanceledException) { break; }
                catch (Exception e)
                {
                    Log.Error("Node {Node} could not start: {Message}", settings.Name, e is InvalidOperationException ? e.Message : e.GetBaseException().Message);
                    return 1;
                }
                bool downed;
                await using (cluster)
                {
                    var farm = cluster.Singleton("dft-farm", "coordinator");
                    cluster.StartSingleton("dft-farm", DftFarmActor.Props(farmOptions), "coordinator");
                    for (int i = 1; dft is not null && i <= p.GetValue(runners); i++)
                        cluster.System.ActorOf(FarmWorkerActor.Props($"{settings.Name}/dft-{i}", CampaignCoordinator.DftStage, dft, farm), $"dft-{i}");
                    try { await Task.WhenAny(Task.Delay(Timeout.Infinite, ct), cluster.System.WhenTerminated); }
                    catch (OperationCanceledException) { }
                    downed = cluster.WasDowned;
                }
                if (ct.IsCancellationRequested || !downed) break;
                // Downed by the cluster (unreachable too long): an actor system cannot rejoin, a new one can.
                Log.Warning("Node {Node} was removed from the cluster; rejoining with a new actor system", settings.Name);
                try { await Task.Delay(TimeSpan.FromSeconds(3), ct); } catch (OperationCanceledException) { break; }
            }
            return 0;
        });
        return command;
    }

    /// <summary>A tiny Si cell (2 atoms) at lattice constant <paramref name="a"/> Å with a fast protocol: ~1-3 s of real pw.x at 2x2x2 k-points.</summary>
    public static SubmitJob SiliconJob(string id, double a, string requestedBy, int kpoints = 2)
    {
        var lattice = Lattice.FromParameters(a / Math.Sqrt(2), a / Math.Sqrt(2), a / Math.Sqrt(2), 60, 60, 60);
        var si = Element.FromSymbol("Si");
        var structure = Structure.FromSpecies(lattice, [si, si], [new Vec3(0, 0, 0), new Vec3(0.25, 0.25, 0.25)], id);
        var protocol = DftProtocol.Sssp with { Name = "si-fast", EcutWfcRy = 20, EcutRhoRy = 160, KPoints = new KMesh(kpoints, kpoints, kpoints) };
        var payload = new DftJobPayload(Mp20JsonWriter.ToJsonLine(structure, 0, id), protocol, id).ToJson();
        return new SubmitJob(id, payload, [CampaignCoordinator.DftStage], requestedBy);
    }

    private static Command Submit()
    {
        var node = new NodeOptions();
        var count = new Option<int>("--count") { Description = "Number of Si jobs (lattice constants 5.20-5.70 Å).", DefaultValueFactory = _ => 10 };
        var prefix = new Option<string>("--prefix") { Description = "Job id prefix (ids PREFIX-0000 ...; resubmitting an id is a no-op).", DefaultValueFactory = _ => "si" };
        var poison = new Option<int>("--poison") { Description = "Also submit this many jobs whose payload no worker accepts (they end dead-lettered).", DefaultValueFactory = _ => 0 };
        var kpoints = new Option<int>("--kpoints") { Description = "k-point mesh n x n x n (a larger one makes each job run longer).", DefaultValueFactory = _ => 2 };
        var command = new Command("submit", "Join the cluster as a client and submit tiny real Si pw.x jobs to the farm; waits until each is journaled.");
        node.AddTo(command);
        foreach (var o in new Option[] { count, prefix, poison, kpoints }) command.Options.Add(o);
        command.SetAction(async (p, ct) =>
        {
            var settings = node.Read(p, ["client"], Path.Combine(Path.GetTempPath(), "crystal-actors-client.db")) with { Name = p.GetValue(node.Node) ?? "submit" };
            if (settings.Seeds.Count == 0) throw new ArgumentException("--seeds: a client must join a running cluster");
            ClusterNode cluster;
            try { cluster = await ClusterNode.StartAsync(settings, TimeSpan.FromMinutes(1), ct); }
            catch (TimeoutException e) { Log.Error("{Message}", e.Message); return 3; }
            await using (cluster)
            {
                var farm = cluster.Singleton("dft-farm", "coordinator");
                int n = p.GetValue(count), accepted = 0;
                var jobs = Enumerable.Range(0, n).Select(i => SiliconJob($"{p.GetValue(prefix)}-{i:D4}", 5.20 + 0.50 * i / Math.Max(1, n - 1), "cli-submit", p.GetValue(kpoints)))
                    .Concat(Enumerable.Range(0, p.GetValue(poison)).Select(i => new SubmitJob($"poison-{i:D2}", "{\"structure\": 42}", [CampaignCoordinator.DftStage], "cli-submit")));
                foreach (var job in jobs)
                {
                    // Ask until journaled: the farm may be starting or moving (the proxy buffers meanwhile).
                    for (int attempt = 1; ; attempt++)
                    {
                        try { await farm.Ask<JobAccepted>(job, TimeSpan.FromSeconds(10), ct); accepted++; break; }
                        catch (AskTimeoutException) when (attempt < 30) { }
                    }
                }
                Console.WriteLine($"submitted {accepted} jobs ({n} Si, {p.GetValue(poison)} poison)");
            }
            return 0;
        });
        return command;
    }

    private static Option<string> JournalOption() => new("--journal-target")
    {
        Description = "The farm's SQLite journal (e.g. runs/farm/journal.db or runs/<campaign>/state/journal.db), or with --postgres a connection string.",
        Required = true,
    };

    private static readonly Option<bool> PostgresOption = new("--postgres") { Description = "The journal is PostgreSQL (--journal-target is a connection string)." };

    private static JournalKind Kind(ParseResult p) => p.GetValue(PostgresOption) ? JournalKind.Postgres : JournalKind.Sqlite;

    private static Command Status()
    {
        var journal = JournalOption();
        var command = new Command("status", "Jobs by state, the dead-letter list, and the orchestration overhead, from the farm's journal.");
        command.Options.Add(journal);
        command.Options.Add(PostgresOption);
        command.SetAction(async (p, ct) =>
        {
            var events = await JournalReader.EventsAsync(Kind(p), p.GetValue(journal)!, "dft-farm", ct);
            var table = JobTable.Replay(events);
            var s = table.Summary();
            var inv = CultureInfo.InvariantCulture;
            var jobs = new Table().Title("jobs by state").AddColumns("state", "count");
            foreach (var (state, n) in s.JobsByState) jobs.AddRow(state, n.ToString(inv));
            AnsiConsole.Write(jobs);
            var dlq = new Table().Title("dead-lettered jobs").AddColumns("job", "attempts", "reason");
            foreach (var d in s.DeadLetters) dlq.AddRow(Markup.Escape(d.JobId), d.Attempts.ToString(inv), Markup.Escape(d.Reason));
            AnsiConsole.Write(dlq);
            var o = s.Overhead;
            Console.WriteLine(string.Create(inv,
                $"overhead: jobs={o.Jobs} mean_pw_s={o.MeanExecutorSeconds:F3} mean_lease_to_commit_s={o.MeanLeaseToCommitSeconds:F3} mean_outside_pw_s={o.MeanOverheadSeconds:F3} fraction={o.OverheadFraction:P2}"));
            Console.WriteLine(FarmReport.FromEvents(events));
            return 0;
        });
        return command;
    }

    private static Command Report()
    {
        var journal = JournalOption();
        var prefix = new Option<string?>("--prefix") { Description = "Count only jobs whose id starts with this (e.g. si, leaving poison jobs out)." };
        var wait = new Option<double>("--wait-seconds") { Description = "Poll until every counted job completed or this many seconds passed.", DefaultValueFactory = _ => 0 };
        var expect = new Option<int>("--expect") { Description = "With --wait-seconds: also wait until at least this many jobs were submitted.", DefaultValueFactory = _ => 0 };
        var command = new Command("report", "Print `jobs=N completed=N lost=L duplicated=D` from the farm's journal; exit 1 unless all completed once.");
        foreach (var o in new Option[] { journal, PostgresOption, prefix, wait, expect }) command.Options.Add(o);
        command.SetAction(async (p, ct) =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(p.GetValue(wait));
            FarmReport r;
            while (true)
            {
                try { r = FarmReport.FromEvents(await JournalReader.EventsAsync(Kind(p), p.GetValue(journal)!, "dft-farm", ct), p.GetValue(prefix)); }
                catch (FileNotFoundException) { r = new FarmReport(0, 0, 0, 0, 0); }
                bool done = r.Jobs >= p.GetValue(expect) && r.Jobs > 0 && r.Completed == r.Jobs;
                if (done || DateTime.UtcNow >= deadline) break;
                await Task.Delay(2000, ct);
            }
            Console.WriteLine(r.ToString());
            return r.Lost == 0 && r.Duplicated == 0 && r.Jobs > 0 && r.Completed == r.Jobs ? 0 : 1;
        });
        return command;
    }
}
