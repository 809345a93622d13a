namespace CrystalActors.Reporting;

/// <summary>What kind of output folder a report is made from.</summary>
public enum RunKind
{
    /// <summary>An online campaign's run folder: long-form scalars.csv (wall_time,step,tag,value) and/or report.json.</summary>
    Campaign,

    /// <summary>An `offline train` output folder: options.json and/or a wide scalars.csv starting with step.</summary>
    Offline,
}

/// <summary>
/// Everything report.html shows, decided from a run folder's files and nothing else: the writer only lays it out.
/// </summary>
/// <param name="Problems">Bad input, one line per file naming it (unreadable, malformed lines skipped); the report shows what it could.</param>
/// <param name="Notes">What the report left out and why (no DFT gaps yet, a loss that is 0 throughout).</param>
public sealed record RunReport(
    string Title,
    RunKind Kind,
    IReadOnlyList<SummaryItem> Summary,
    IReadOnlyList<Figure> Figures,
    IReadOnlyList<DesignTableRow> Designs,
    IReadOnlyList<string> Problems,
    IReadOnlyList<string> Notes);

public sealed record SummaryItem(string Label, string Value);

/// <summary>One figure of the report; <see cref="Id"/> is its HTML id (stable, so people can link to it).</summary>
public abstract record Figure(string Id, string Title, string Caption);

/// <summary>Lines over a shared x axis, with optional horizontal reference levels (an optimum, a target).</summary>
/// <param name="UnitInterval">The y axis spans [0, 1] whatever the data (fractions read against their full range).</param>
public sealed record LineFigure(string Id, string Title, string Caption, string XLabel, string YLabel,
    IReadOnlyList<Series> Series, IReadOnlyList<Level> Levels, bool UnitInterval = false) : Figure(Id, Title, Caption);

/// <summary>Predicted against DFT gap, one point per design, with the y = x diagonal.</summary>
public sealed record ParityFigure(string Id, string Title, string Caption, IReadOnlyList<ParityPoint> Points) : Figure(Id, Title, Caption);

/// <summary>Histograms over shared bins, with an optional vertical marker (the target gap).</summary>
public sealed record HistogramFigure(string Id, string Title, string Caption, string XLabel, HistogramBins Bins,
    IReadOnlyList<HistogramSeries> Series, Level? Marker) : Figure(Id, Title, Caption);

/// <summary>One bar per category, in the given order.</summary>
public sealed record BarFigure(string Id, string Title, string Caption, string YLabel, IReadOnlyList<CategoryCount> Bars) : Figure(Id, Title, Caption);

public sealed record Series(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y);

public sealed record Level(string Label, double Value);

public sealed record ParityPoint(string Formula, double PredictedGapEv, double DftGapEv);

public sealed record HistogramSeries(string Label, IReadOnlyList<int> Counts);

public sealed record CategoryCount(string Category, int Count);

/// <summary>One designed crystal; <see cref="Cif"/> and <see cref="RelaxedCif"/> are relative to the run folder, null when the file is absent.</summary>
public sealed record DesignTableRow(
    string Source,
    int? Rank,
    long Episode,
    string Formula,
    double? Reward,
    double? PredictedGapEv,
    double? DftGapEv,
    string? DftStatus,
    string? Cif,
    string? RelaxedCif);
