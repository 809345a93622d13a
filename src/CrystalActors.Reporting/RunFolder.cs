namespace CrystalActors.Reporting;

/// <summary>Tells a campaign's run folder from an offline training folder by the files each writes.</summary>
public static class RunFolder
{
    public const string Scalars = "scalars.csv";
    public const string CampaignReport = "report.json";
    public const string CampaignConfig = "config.json";
    public const string OfflineOptions = "options.json";

    /// <summary>The folder's kind; <see cref="RunFolderException"/> (one line naming the folder) when it is missing or neither.</summary>
    public static RunKind Detect(string directory)
    {
        if (!Directory.Exists(directory)) throw new RunFolderException($"{directory}: no such folder");
        if (File.Exists(Path.Combine(directory, CampaignReport))) return RunKind.Campaign;
        if (File.Exists(Path.Combine(directory, OfflineOptions))) return RunKind.Offline;
        // Still running, or killed before its report: the scalars' header says which writer made them.
        var header = FirstLine(Path.Combine(directory, Scalars));
        if (header?.Split(',') is { } columns)
        {
            if (columns.Contains("tag")) return RunKind.Campaign;
            if (columns[0] == "step") return RunKind.Offline;
        }
        throw new RunFolderException(
            $"{directory}: neither a campaign run folder ({CampaignReport}, or a {Scalars} with wall_time,step,tag,value) " +
            $"nor an offline training folder ({OfflineOptions}, or a {Scalars} starting with step)");
    }

    private static string? FirstLine(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var r = new StreamReader(path);
            return r.ReadLine()?.Trim();
        }
        catch (IOException) { return null; }
    }
}

/// <summary>A folder no report can be made from; the message is one line that names it.</summary>
public sealed class RunFolderException(string message) : Exception(message);
