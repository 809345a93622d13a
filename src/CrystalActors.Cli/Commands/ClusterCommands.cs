using System.CommandLine;
using System.Globalization;
using CrystalActors.Runtime.Farming;
using CrystalActors.Runtime.Hosting;
using CrystalActors.Runtime.Messages;
using CrystalActors.Runtime.Transport;
using Spectre.Console;

namespace CrystalActors.Cli.Commands;

/// <summary>`crystal-actors cluster ...`: status, submit, report (and `node`, see NodeCommands).</summary>
public static class ClusterCommands
{
    private static Option<string> TopologyOption() => new("--topology")
    {
        Description = "Topology JSON (cluster-config/*.json); rabbitmq topologies read the broker URI from the variable it names.",
        Required = true,
    };

    public static Command Create()
    {
        var command = new Command("cluster", "Inspect and feed a running cluster.");
        command.Subcommands.Add(Status());
        command.Subcommands.Add(Submit());
        command.Subcommands.Add(Report());
        command.Subcommands.Add(NodeCommands.Build("node"));
        return command;
    }

    private static Command Status()
    {
        var topology = TopologyOption();
        var command = new Command("status", "Nodes and heartbeats, queue depths, jobs by state, the dead-letter queue and orchestration overhead.");
        command.Options.Add(topology);
        command.SetAction(async (parse, ct) =>
        {
            var s = await ClusterStatus.CollectAsync(Topology.Load(parse.GetValue(topology)!), ct: ct);
            var inv = CultureInfo.InvariantCulture;
            var nodes = new Table().Title($"nodes of {s.Topology}").AddColumns("node", "roles", "last heartbeat (UTC)", "age s");
            foreach (var n in s.Nodes) nodes.AddRow(n.Name, n.Roles, n.LastHeartbeat.ToString("HH:mm:ss", inv), n.AgeSeconds.ToString("F1", inv));
            AnsiConsole.Write(nodes);
            var jobs = new Table().Title("jobs by state").AddColumns("state", "count");
            foreach (var (state, count) in s.JobsByState) jobs.AddRow(state, count.ToString(inv));
            AnsiConsole.Write(jobs);
            if (s.BrokerError is not null) AnsiConsole.MarkupLineInterpolated($"[yellow]broker unreachable: {s.BrokerError}[/]");
            var queues = new Table().Title("queues").AddColumns("queue", "ready messages");
            foreach (var q in s.Queues) queues.AddRow(q.Destination, q.Depth?.ToString(inv) ?? "(absent)");
            AnsiConsole.Write(queues);
            var dlq = new Table().Title("dead-letter queue (head)").AddColumns("job", "sender", "message");
            foreach (var d in s.DeadLetters) dlq.AddRow(d.JobId, d.Sender, d.Detail);
            AnsiConsole.Write(dlq);
            var o = s.Overhead;
            Console.WriteLine(string.Create(inv,
                $"overhead: jobs={o.Jobs} mean_pw_s={o.MeanExecutorSeconds:F3} mean_lease_to_commit_s={o.MeanLeaseToCommitSeconds:F3} mean_outside_pw_s={o.MeanOverheadSeconds:F3} fraction={o.OverheadFraction:P2}"));
            Console.WriteLine(s.Journal.ToString());
            return 0;
        });
        return command;
    }

    private static Command Submit()
    {
        var topology = TopologyOption();
        var count = new Option<int>("--count") { Description = "Number of Si jobs to submit.", DefaultValueFactory = _ => 10 };
        var prefix = new Option<string>("--prefix") { Description = "Job id prefix (ids are PREFIX-0000 ...; resubmitting an id is a no-op).", DefaultValueFactory = _ => "si" };
        var poison = new Option<int>("--poison") { Description = "Also put this many undecodable-by-any-executor dispatches straight on the job queue.", DefaultValueFactory = _ => 0 };
        var command = new Command("submit", "Submit tiny Si pw.x jobs (lattice constants 5.20-5.70 Å) to the coordinator through the broker.");
        command.Options.Add(topology); command.Options.Add(count); command.Options.Add(prefix); command.Options.Add(poison);
        command.SetAction(async (parse, ct) =>
        {
            var t = Topology.Load(parse.GetValue(topology)!);
            if (t.Transport != "rabbitmq") throw new ArgumentException($"topology '{t.Name}' uses the in-process transport; submit only reaches a rabbitmq cluster");
            var farming = new FarmingOptions();
            await using var transport = await RabbitMqTransport.ConnectAsync(t.AmqpUri(), new TransportOptions { NodeName = "cli-submit", DeliveryLimit = t.DeliveryLimit }, ct);
            var n = parse.GetValue(count);
            for (var i = 0; i < n; i++)
            {
                var a = 5.20 + 0.50 * i / Math.Max(1, n - 1);
                var job = new DftJobRequested($"{parse.GetValue(prefix)}-{i:D4}", string.Create(CultureInfo.InvariantCulture, $"{{\"a\": {a:F4}, \"ecutwfc\": 20, \"kpts\": 2}}"), "si-tiny", "cli-submit");
                await transport.PublishAsync(farming.CoordinatorQueue, MessageCodec.Default.Encode(job, "cli-submit", $"submit:{job.JobId}"), ct);
            }
            for (var i = 0; i < parse.GetValue(poison); i++)
            {
                var job = new DftJobRequested($"poison-{i:D2}", "{\"a\": \"not a number\"}", "si-tiny", "cli-submit");
                await transport.PublishAsync(farming.JobQueue, MessageCodec.Default.Encode(job, "cli-submit"), ct);
            }
            Console.WriteLine($"submitted {n} jobs and {parse.GetValue(poison)} poison dispatches to {t.Name}");
            return 0;
        });
        return command;
    }

    private static Command Report()
    {
        var topology = TopologyOption();
        var wait = new Option<double>("--wait-seconds") { Description = "Poll until every requested job completed or this many seconds passed.", DefaultValueFactory = _ => 0 };
        var expect = new Option<int>("--expect") { Description = "With --wait-seconds: also wait until at least this many jobs were requested.", DefaultValueFactory = _ => 0 };
        var command = new Command("report", "Print `jobs=N completed=N lost=L duplicated=D` from the coordinator's journal; exit 1 unless all completed once.");
        command.Options.Add(topology); command.Options.Add(wait); command.Options.Add(expect);
        command.SetAction(async (parse, ct) =>
        {
            var t = Topology.Load(parse.GetValue(topology)!);
            var deadline = DateTime.UtcNow.AddSeconds(parse.GetValue(wait));
            JournalReport r;
            while (true)
            {
                r = File.Exists(t.DatabasePath) ? ClusterStatus.Journal(t.DatabasePath) : new JournalReport(0, 0, 0, 0, 0);
                var done = r.Jobs >= parse.GetValue(expect) && r.Jobs > 0 && r.Completed == r.Jobs;
                if (done || DateTime.UtcNow >= deadline) break;
                await Task.Delay(1000, ct);
            }
            Console.WriteLine(r.ToString());
            return r.Lost == 0 && r.Duplicated == 0 && r.Jobs > 0 ? 0 : 1;
        });
        return command;
    }
}
