using System.CommandLine;
using CrystalActors.Campaign;
using CrystalActors.Campaign.Reporting;
using CrystalActors.Runtime.Cluster;
using Serilog;
using Spectre.Console;

namespace CrystalActors.Cli.Commands;

/// <summary>The live progress table of `campaign run` on a terminal.</summary>
internal static class ProgressView
{
    public static Spectre.Console.Rendering.IRenderable Render(CampaignProgress? p)
    {
        if (p is null) return new Markup("[grey]joining the cluster and starting the campaign roles...[/]");
        var t = new Table { Title = new TableTitle($"Campaign {Markup.Escape(p.Campaign)} ({p.Elapsed:hh\\:mm\\:ss})") };
        t.AddColumn("episodes");
        t.AddColumn("epsilon");
        t.AddColumn("mean reward (last 100)");
        t.AddColumn("greedy reward");
        t.AddColumn("DFT in flight / done / failed (budget)");
        t.AddColumn("policy lag");
        t.AddColumn("models");
        t.AddRow($"{p.Episodes}/{p.MaxEpisodes}", FormattableString.Invariant($"{p.Epsilon:F3}"), FormattableString.Invariant($"{p.MeanRewardLast100:F3}"),
            p.GreedyMeanReward is { } g ? FormattableString.Invariant($"{g:F3}") : "-",
            $"{p.DftInFlight} / {p.DftSucceeded} / {p.DftFailed} ({p.DftBudget})", FormattableString.Invariant($"{p.MeanPolicyLag:F2}"),
            Markup.Escape(string.Join(" ", p.ModelVersions.OrderBy(m => m.Key).Select(m => $"{m.Key} v{m.Value}"))));
        return t;
    }
}

/// <summary>`crystal-actors campaign run|audit|optimum`: the online active-learning campaign (the main job of run-node.sh).</summary>
public static class CampaignCommands
{
    public static Command Create()
    {
        var command = new Command("campaign", "Online active-learning campaigns.");
        command.Subcommands.Add(Optimum());
        command.Subcommands.Add(Run());
        command.Subcommands.Add(Audit());
        return command;
    }

    private static Command Run()
    {
        var config = new Option<FileInfo>("--config") { Description = "Campaign file (cluster-config/*.json).", Required = true };
        var node = new NodeOptions();
        var run = new Command("run", "Run (or resume) a campaign on this node; the node's roles decide which of the campaign's roles it hosts (default: all, one node).");
        run.Options.Add(config);
        node.AddTo(run);
        run.SetAction(async (p, ct) =>
        {
            // A bad config or option ends the command here (Cli: one line, exit 2).
            var options = CampaignOptions.Load(p.GetValue(config)!.FullName);
            var settings = node.Read(p, CampaignRunner.Roles, CampaignRunner.JournalPath(options), CampaignRunner.Roles);
            var logFile = Path.Combine(CampaignRunner.RunDirectory(options), "logs", $"{settings.Name}.log");
            bool live = !Console.IsOutputRedirected && !Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive
                        && Environment.GetEnvironmentVariable("CRYSTAL_ACTORS_NO_LIVE") is null && settings.Roles.Contains("coordinator");
            CliLogging.AlsoToFile(logFile, consoleWarningsOnly: live);
            Log.Information("Node {Node} runs roles {Roles}; log: {Log}", settings.Name, string.Join(",", settings.Roles), logFile);
            CampaignOutcome? outcome;
            try
            {
                if (live)
                {
                    AnsiConsole.MarkupLine($"Campaign [bold]{Markup.Escape(options.Name)}[/] on node {Markup.Escape(settings.Name)}; log: {Markup.Escape(logFile)}");
                    CampaignProgress? latest = null;
                    var task = CampaignRunner.RunAsync(options, settings, ct, progress => latest = progress);
                    await AnsiConsole.Live(ProgressView.Render(null)).StartAsync(async ctx =>
                    {
                        while (!task.IsCompleted)
                        {
                            ctx.UpdateTarget(ProgressView.Render(latest));
                            await Task.WhenAny(task, Task.Delay(1000, CancellationToken.None));
                        }
                        ctx.UpdateTarget(ProgressView.Render(latest));
                    });
                    outcome = await task;
                }
                else outcome = await CampaignRunner.RunAsync(options, settings, ct);
            }
            catch (TimeoutException e)
            {
                Log.Error("{Message}", e.Message);
                return 3;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One line on the console (e.g. the port is taken, the journal is unreachable); the trace goes to the node's log.
                File.AppendAllText(logFile, $"{DateTime.UtcNow:O} {e}{Environment.NewLine}");
                Log.Error("Node {Node} stopped: {Message} (trace in {Log})", settings.Name, e is InvalidOperationException ? e.Message : e.GetBaseException().Message, logFile);
                return 1;
            }
            if (outcome is null) return ct.IsCancellationRequested ? 130 : 1;
            var dir = CampaignRunner.RunDirectory(options);
            if (outcome.ReportPath is { } reportPath && CampaignReport.TryRead(reportPath) is { } report)
            {
                report.Print(AnsiConsole.Console);
                AnsiConsole.MarkupLine($"Report: [bold]{Markup.Escape(reportPath)}[/]; CIF files: [bold]{Markup.Escape(Path.Combine(dir, "best"))}[/]; scalars: {Markup.Escape(Path.Combine(dir, "scalars.csv"))}");
            }
            else if (outcome.Progress.Finished)
                Console.WriteLine($"campaign {options.Name} finished: {outcome.Progress.StopReason} (episodes={outcome.Progress.Episodes} dft_done={outcome.Progress.DftSucceeded + outcome.Progress.DftFailed})");
            return 0;
        });
        return run;
    }

    private static Command Audit()
    {
        var config = new Option<FileInfo>("--config") { Description = "Campaign file.", Required = true };
        var journal = new Option<string?>("--journal-target") { Description = "SQLite journal file (default: the campaign's runs/<name>/state/journal.db) or PostgreSQL connection string." };
        var postgres = new Option<bool>("--postgres") { Description = "The journal is PostgreSQL (--journal-target or $CRYSTAL_ACTORS_JOURNAL)." };
        var audit = new Command("audit", "Check the campaign's journal against the DFT farm's: episodes, DFT jobs, lost and duplicated (exit 1 if any).");
        audit.Options.Add(config);
        audit.Options.Add(journal);
        audit.Options.Add(postgres);
        audit.SetAction(async (p, ct) =>
        {
            var options = CampaignOptions.Load(p.GetValue(config)!.FullName);
            var kind = p.GetValue(postgres) ? JournalKind.Postgres : JournalKind.Sqlite;
            var target = p.GetValue(journal) ?? (kind == JournalKind.Postgres ? Environment.GetEnvironmentVariable("CRYSTAL_ACTORS_JOURNAL") : CampaignRunner.JournalPath(options))
                         ?? throw new ArgumentException("--postgres needs --journal-target or $CRYSTAL_ACTORS_JOURNAL");
            var a = await CampaignAudit.ReadAsync(kind, target, ct);
            Console.WriteLine(a);
            return a.Lost == 0 && a.Duplicated == 0 ? 0 : 1;
        });
        return audit;
    }

    private static Command Optimum()
    {
        var optConfig = new Option<FileInfo>("--config") { Description = "Campaign file (its skeleton, vocabulary, target, beta and reward model).", Required = true };
        var maxAssign = new Option<long>("--max-class-assignments") { Description = "Exhaustive over site-class assignments up to this many, else a seeded sample of this many.", DefaultValueFactory = _ => 200_000 };
        var optimum = new Command("optimum", "Search the best reward reachable under the reward model on the campaign's skeleton (Exp. 1's yardstick); writes optimum.json to the run directory.");
        optimum.Options.Add(optConfig);
        optimum.Options.Add(maxAssign);
        optimum.SetAction(p =>
        {
            var options = CampaignOptions.Load(p.GetValue(optConfig)!.FullName);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var r = CampaignRunner.FindOptimum(options, p.GetValue(maxAssign), m => Log.Information("{Progress}", m));
            Console.WriteLine(FormattableString.Invariant(
                $"optimum reward={r.Reward:F6} gap_ev={r.GapEv:F4} formula={r.Formula} species={string.Join(" ", r.Species)} site_classes={r.SiteClasses} class_assignments={r.ClassAssignments} exhaustive={r.ExhaustiveOverClasses} evaluated={r.Evaluated} seconds={sw.Elapsed.TotalSeconds:F0}"));
            Console.WriteLine($"written: {Path.Combine(CampaignRunner.RunDirectory(options), OptimumFile.FileName)}");
            return 0;
        });
        return optimum;
    }
}
