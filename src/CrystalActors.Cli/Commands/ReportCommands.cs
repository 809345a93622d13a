using System.CommandLine;
using CrystalActors.Crystals.Io;
using CrystalActors.Reporting;
using Serilog;

namespace CrystalActors.Cli.Commands;

/// <summary>`crystal-actors report --run DIR`: report.html of a campaign's run folder or an offline training folder.</summary>
public static class ReportCommands
{
    public static Command Create()
    {
        var run = new Option<string>("--run")
        {
            Description = "A campaign's run folder (runs/<name>) or an `offline train` output folder; report.html is written into it.",
            Required = true,
        };
        var command = new Command("report", "Write report.html (figures, summary, designs with their CIFs) into a run folder; the kind of folder is detected.")
        {
            Options = { run },
        };
        command.SetAction(p =>
        {
            var dir = p.GetValue(run)!;
            var report = RunReports.Write(dir); // a folder that is no run is an input fault (Cli: one line, exit 2)
            foreach (var note in report.Notes) Log.Information("{Note}", note);
            Logged(report, dir);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// report.html at the end of a command whose real work is done and written (`offline train`): the report only
    /// presents those files, so whatever stops it (a full disk, a plotting library's native part that will not load)
    /// is a warning, not a failed training run.
    /// </summary>
    public static void TryWrite(string directory)
    {
        try { Logged(RunReports.Write(directory), directory); }
        catch (Exception e)
        {
            Log.Warning("{File} not written: {Message}", RunReports.FileName, FileErrors.Describe(e) ?? e.Message);
        }
    }

    private static void Logged(RunReport report, string directory)
    {
        foreach (var problem in report.Problems) Log.Warning("{Problem}", problem);
        Log.Information("{Kind} report, {Figures} figures: {Path}", report.Kind, report.Figures.Count, Path.Combine(directory, RunReports.FileName));
    }
}
