using System.Globalization;
using CrystalActors.Reporting.Csv;
using CrystalActors.Reporting.Figures;

namespace CrystalActors.Reporting.Offline;

/// <summary>Decides what an offline training report shows from an <see cref="OfflineRun"/>. No files, no drawing.</summary>
public static class OfflineReportBuilder
{
    /// <summary>heldout.csv's columns that are fractions in [0, 1], plotted together.</summary>
    public static readonly string[] HeldoutFractions = ["accuracy", "similarity", "validity", "reconstruction"];

    /// <summary>scalars.csv columns that are not curves: the x axis and the clock.</summary>
    private static readonly HashSet<string> NotCurves = ["step", "wall_s"];

    private static readonly Dictionary<string, string> Meaning = new()
    {
        ["loss"] = "Total loss",
        ["conservative"] = "CQL's conservative term",
        ["td"] = "Temporal-difference loss",
        ["mean_q"] = "Mean Q-value",
        ["steps_per_s"] = "Training speed (gradient steps per second)",
        ["lr"] = "Learning rate",
    };

    public static RunReport Build(OfflineRun run)
    {
        var notes = new List<string>();
        var figures = new List<Figure>();
        if (run.Scalars is { } scalars) figures.AddRange(ScalarFigures(scalars, notes));
        else notes.Add($"no {RunFolder.Scalars}: training has not logged yet");
        if (run.Heldout is { } heldout && Heldout(heldout, notes) is { } h) figures.Add(h);

        var summary = new List<SummaryItem>();
        if (run.Scalars is { } s) summary.AddRange(Progress(s));
        if (run.Heldout is { } held) summary.AddRange(LastHeldout(held));
        summary.AddRange(run.Options);
        var algorithm = run.Options.FirstOrDefault(o => o.Label == "Algorithm")?.Value;
        return new RunReport($"Offline training {run.Name}" + (algorithm is null ? "" : $" ({algorithm})"), RunKind.Offline, summary, figures, [], run.Warnings, notes);
    }

    /// <summary>
    /// One figure per scalars.csv column against step (columns by header name, so an added one such as lr is plotted
    /// too); a column that is 0 throughout (BC has no conservative or TD term) is named in a note instead.
    /// </summary>
    public static IEnumerable<LineFigure> ScalarFigures(CsvTable t, ICollection<string> notes)
    {
        if (t.Numbers("step") is not { } steps)
        {
            notes.Add($"{t.Path}: no step column; no curves from it");
            yield break;
        }
        foreach (var column in t.Header.Where(c => !NotCurves.Contains(c)).Distinct())
        {
            var series = Curve(steps, t.Numbers(column)!, column);
            if (series.Y.Count == 0) notes.Add($"{t.Path}: {column} has no numbers; not plotted");
            else if (series.Y.All(y => y == 0)) notes.Add($"{t.Path}: {column} is 0 throughout; not plotted");
            else
            {
                var meaning = Meaning.GetValueOrDefault(column, column);
                yield return new LineFigure("offline-" + column, meaning, $"{meaning} ({column}) at each logged step, the mean since the previous row.",
                    "step", column, [Smoothing.Thin(series)], []);
            }
        }
    }

    /// <summary>The held-out fractions present in heldout.csv, on one [0, 1] axis.</summary>
    public static LineFigure? Heldout(CsvTable t, ICollection<string> notes)
    {
        if (t.Numbers("step") is not { } steps)
        {
            notes.Add($"{t.Path}: no step column; no held-out curves");
            return null;
        }
        var series = HeldoutFractions.Where(t.Has).Select(c => Curve(steps, t.Numbers(c)!, c)).Where(s => s.Y.Count > 0).ToList();
        if (series.Count == 0)
        {
            notes.Add($"{t.Path}: none of {string.Join(", ", HeldoutFractions)} has numbers; no held-out curves");
            return null;
        }
        var n = t.Numbers("n")?.LastOrDefault(double.IsFinite, double.NaN);
        var over = n is > 0 ? string.Create(CultureInfo.InvariantCulture, $" over {n:F0} held-out crystals") : "";
        return new LineFigure("heldout", "Held-out evaluation", $"Fractions of the held-out evaluation{over} ({OfflineRunReader.HeldoutFile}) at each evaluated step.",
            "step", "fraction", series, [], UnitInterval: true);
    }

    /// <summary>The (step, value) pairs where both are numbers.</summary>
    private static Series Curve(double[] steps, double[] values, string label)
    {
        var keep = Enumerable.Range(0, steps.Length).Where(i => double.IsFinite(steps[i]) && double.IsFinite(values[i])).ToList();
        return new Series(label, keep.Select(i => steps[i]).ToArray(), keep.Select(i => values[i]).ToArray());
    }

    private static IEnumerable<SummaryItem> Progress(CsvTable t)
    {
        if (t.Rows.Count == 0) yield break;
        yield return new SummaryItem("rows logged", t.Rows.Count.ToString(CultureInfo.InvariantCulture));
        foreach (var (column, label) in new[] { ("step", "last step"), ("wall_s", "training time (s)"), ("loss", "last loss") })
            if (t.Numbers(column)?.LastOrDefault(double.IsFinite, double.NaN) is { } x && double.IsFinite(x))
                yield return new SummaryItem(label, x.ToString("G6", CultureInfo.InvariantCulture));
    }

    private static IEnumerable<SummaryItem> LastHeldout(CsvTable t) => HeldoutFractions
        .Select(c => (c, x: t.Numbers(c)?.LastOrDefault(double.IsFinite, double.NaN)))
        .Where(p => p.x is { } x && double.IsFinite(x))
        .Select(p => new SummaryItem($"held-out {p.c} (last)", p.x!.Value.ToString("F3", CultureInfo.InvariantCulture)));
}
