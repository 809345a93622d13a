namespace CrystalActors.Reporting.Campaign;

/// <summary>
/// The parts of a campaign's run folder the report draws on. Any file may be missing (a campaign still running has no
/// report.json; older runs have no designs.csv), so every part is optional.
/// </summary>
/// <param name="Name">config.json's name, else the folder's.</param>
/// <param name="TargetGapEv">config.json's target_gap_ev.</param>
/// <param name="Scalars">scalars.csv by tag.</param>
/// <param name="HasReport">Whether report.json was there and readable (the campaign finished).</param>
/// <param name="ReportFields">report.json's scalar fields (and its greedy section's), in file order; empty without report.json.</param>
/// <param name="Best">report.json's best crystals.</param>
/// <param name="Designs">designs.csv's rows; null without designs.csv.</param>
/// <param name="DftSucceeded">report.json's dft_succeeded.</param>
/// <param name="FailureClasses">report.json's failure_classes (class → jobs); null without report.json.</param>
/// <param name="Optimum">The reward model's optimum: optimum.json, else report.json's greedy section.</param>
/// <param name="Warnings">One line per file that was unreadable or had bad lines.</param>
public sealed record CampaignRun(
    string Name,
    double? TargetGapEv,
    IReadOnlyDictionary<string, Series> Scalars,
    bool HasReport,
    IReadOnlyList<SummaryItem> ReportFields,
    IReadOnlyList<DesignTableRow> Best,
    IReadOnlyList<DesignTableRow>? Designs,
    long? DftSucceeded,
    IReadOnlyDictionary<string, int>? FailureClasses,
    Level? Optimum,
    IReadOnlyList<string> Warnings);
