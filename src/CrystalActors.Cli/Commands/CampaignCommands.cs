using System.CommandLine;
using CrystalActors.Campaign;
using CrystalActors.Campaign.Reporting;
using CrystalActors.Runtime.Hosting;
using Serilog;
using Spectre.Console;

namespace CrystalActors.Cli.Commands;

/// <summary>The live progress table of `campaign run` on a terminal.</summary>
internal static class ProgressView
{
    public static Spectre.Console.Rendering.IRenderable Render(CampaignProgress? p)
    {
        if (p is null) return new Markup("[grey]starting the campaign roles...[/]");
        var t = new Table { Title = new TableTitle($"Campaign {Markup.Escape(p.Campaign)} ({p.Elapsed:hh\\:mm\\:ss})") };
        t.AddColumn("episodes");
        t.AddColumn("epsilon");
        t.AddColumn("mean reward (last 100)");
        t.AddColumn("greedy reward");
        t.AddColumn("DFT in flight / done / failed (budget)");
        t.AddColumn("models");
        t.AddRow($"{p.Episodes}/{p.MaxEpisodes}", FormattableString.Invariant($"{p.Epsilon:F3}"), FormattableString.Invariant($"{p.MeanRewardLast100:F3}"),
            p.GreedyMeanReward is { } g ? FormattableString.Invariant($"{g:F3}") : "-",
            $"{p.DftInFlight} / {p.DftSucceeded} / {p.DftFailed} ({p.DftBudget})",
            Markup.Escape(string.Join(" ", p.ModelVersions.OrderBy(m => m.Key).Select(m => $"{m.Key} v{m.Value}"))));
        return t;
    }
}

/// <summary>`crystal-actors campaign run`: the online active-learning campaign (the main job of run-node.sh).</summary>
public static class CampaignCommands
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config") { Description = "Campaign file (cluster-config/campaign-*.json).", Required = true };
        var topology = new Option<FileInfo?>("--topology") { Description = "Topology file; default: one node with every role, in-process transport." };
        var node = new Option<string?>("--node") { Description = "Which node of the topology this process is." };
        var roles = new Option<string?>("--roles") { Description = "Comma-separated roles overriding the topology's for this node." };
        var run = new Command("run", "Run (or resume) a campaign; the journal decides where it continues.");
        foreach (var o in new Option[] { config, topology, node, roles }) run.Options.Add(o);
        run.SetAction(async (p, ct) =>
        {
            CampaignOptions options;
            Topology topo;
            try
            {
                options = CampaignOptions.Load(p.GetValue(config)!.FullName);
                topo = p.GetValue(topology) is { } t ? Topology.Load(t.FullName) : CampaignRunner.DefaultTopology(options);
            }
            catch (Exception e) when (e is CampaignConfigException or FormatException or FileNotFoundException)
            {
                Log.Error("{Message}", e.Message);
                return 2;
            }
            topo = topo with { Executor = new ExecutorSpec("dft", options.Dft.PseudoDir) };
            var roleList = p.GetValue(roles)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            CampaignReport? report;
            bool live = !Console.IsOutputRedirected && !Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive
                        && Environment.GetEnvironmentVariable("CRYSTAL_ACTORS_NO_LIVE") is null;
            if (live)
            {
                // A live table on the terminal; the log goes to campaign.log in the run directory.
                var logFile = Path.Combine(CampaignRunner.RunDirectory(options), "campaign.log");
                CliLogging.ToFileForLiveDisplay(logFile);
                AnsiConsole.MarkupLine($"Campaign [bold]{Markup.Escape(options.Name)}[/]; log: {Markup.Escape(logFile)}");
                CampaignProgress? latest = null;
                var run = CampaignRunner.RunAsync(options, topo, p.GetValue(node), roleList, ct, progress => latest = progress);
                await AnsiConsole.Live(ProgressView.Render(null)).StartAsync(async ctx =>
                {
                    while (!run.IsCompleted)
                    {
                        ctx.UpdateTarget(ProgressView.Render(latest));
                        await Task.WhenAny(run, Task.Delay(1000, CancellationToken.None));
                    }
                    ctx.UpdateTarget(ProgressView.Render(latest));
                });
                report = await run;
            }
            else report = await CampaignRunner.RunAsync(options, topo, p.GetValue(node), roleList, ct);
            if (report is null) return 0;
            report.Print(AnsiConsole.Console);
            var dir = CampaignRunner.RunDirectory(options);
            AnsiConsole.MarkupLine($"Report: [bold]{Markup.Escape(Path.Combine(dir, "report.json"))}[/]; CIF files: [bold]{Markup.Escape(Path.Combine(dir, "best"))}[/]; scalars: {Markup.Escape(Path.Combine(dir, "scalars.csv"))}");
            return 0;
        });
        var auditConfig = new Option<FileInfo>("--config") { Description = "Campaign file.", Required = true };
        var auditTopology = new Option<FileInfo?>("--topology") { Description = "Topology the campaign ran with (default: single node)." };
        var audit = new Command("audit", "Check the journal against the DFT job table: episodes, DFT jobs, lost and duplicated.");
        audit.Options.Add(auditConfig);
        audit.Options.Add(auditTopology);
        audit.SetAction(p =>
        {
            var options = CampaignOptions.Load(p.GetValue(auditConfig)!.FullName);
            var topo = p.GetValue(auditTopology) is { } t ? Topology.Load(t.FullName) : CampaignRunner.DefaultTopology(options);
            if (!File.Exists(topo.DatabasePath))
            {
                Log.Error("No campaign database at {Path}: has this campaign run yet?", topo.DatabasePath);
                return 2;
            }
            var a = CampaignAudit.Read(topo.DatabasePath);
            Console.WriteLine(a);
            return a.Lost == 0 && a.Duplicated == 0 ? 0 : 1;
        });
        var optConfig = new Option<FileInfo>("--config") { Description = "Campaign file (its skeleton, vocabulary, target, beta and reward model).", Required = true };
        var maxAssign = new Option<long>("--max-class-assignments") { Description = "Exhaustive over site-class assignments up to this many, else a seeded sample of this many.", DefaultValueFactory = _ => 200_000 };
        var optimum = new Command("optimum", "Search the best reward reachable under the reward model on the campaign's skeleton (Exp. 1's yardstick); writes optimum.json to the run directory.");
        optimum.Options.Add(optConfig);
        optimum.Options.Add(maxAssign);
        optimum.SetAction(p =>
        {
            CampaignOptions options;
            try { options = CampaignOptions.Load(p.GetValue(optConfig)!.FullName); }
            catch (CampaignConfigException e)
            {
                Log.Error("{Message}", e.Message);
                return 2;
            }
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var r = CampaignRunner.FindOptimum(options, p.GetValue(maxAssign), m => Log.Information("{Progress}", m));
            Console.WriteLine(FormattableString.Invariant(
                $"optimum reward={r.Reward:F6} gap_ev={r.GapEv:F4} formula={r.Formula} species={string.Join(" ", r.Species)} site_classes={r.SiteClasses} class_assignments={r.ClassAssignments} exhaustive={r.ExhaustiveOverClasses} evaluated={r.Evaluated} seconds={sw.Elapsed.TotalSeconds:F0}"));
            Console.WriteLine($"written: {Path.Combine(CampaignRunner.RunDirectory(options), Campaign.Reporting.OptimumFile.FileName)}");
            return 0;
        });
        var command = new Command("campaign", "Online active-learning campaigns.");
        command.Subcommands.Add(optimum);
        command.Subcommands.Add(run);
        command.Subcommands.Add(audit);
        return command;
    }
}
