using CrystalActors.Reporting.Csv;

namespace CrystalActors.Reporting.Offline;

/// <summary>
/// The files of an `offline train` output folder the report draws on: options.json, scalars.csv (step, wall_s, then one
/// column per logged figure) and heldout.csv (held-out evaluations: step, wall_s, accuracy, similarity, validity,
/// reconstruction, n). Any may be missing; columns are looked up by name, so added or missing ones are fine.
/// </summary>
/// <param name="Name">The folder's path below runs/ where it has one (e.g. table1/bc/seed0), else its name.</param>
/// <param name="Options">options.json's fields, nested ones as "Reward.Alpha1".</param>
public sealed record OfflineRun(
    string Name,
    IReadOnlyList<SummaryItem> Options,
    CsvTable? Scalars,
    CsvTable? Heldout,
    IReadOnlyList<string> Warnings);
