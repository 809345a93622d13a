using CrystalActors.Crystals.Io;
using CrystalActors.Reporting.Campaign;
using CrystalActors.Reporting.Html;
using CrystalActors.Reporting.Offline;

namespace CrystalActors.Reporting;

/// <summary>report.html for a run folder: detect its kind, read it, decide the figures, write the page atomically.</summary>
public static class RunReports
{
    public const string FileName = "report.html";

    /// <summary>The report of <paramref name="directory"/>; <see cref="RunFolderException"/> when it is missing or no run folder.</summary>
    public static RunReport Build(string directory) => RunFolder.Detect(directory) switch
    {
        RunKind.Campaign => CampaignReportBuilder.Build(CampaignRunReader.Read(directory)),
        _ => OfflineReportBuilder.Build(OfflineRunReader.Read(directory)),
    };

    /// <summary>Writes <paramref name="directory"/>/report.html and returns what it shows (its notes name any bad input).</summary>
    public static RunReport Write(string directory)
    {
        var report = Build(directory);
        AtomicFile.WriteAllText(Path.Combine(directory, FileName), ReportHtml.Render(report, directory, DateTimeOffset.UtcNow));
        return report;
    }
}
