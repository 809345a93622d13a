namespace CrystalActors.Reporting.Csv;

/// <summary>A campaign's long-form scalars.csv (wall_time, step, tag, value) as one series per tag, in file order.</summary>
public static class TaggedScalars
{
    /// <summary>
    /// Each tag's (step, value) points. A row whose step or value is not a number is skipped with one warning for the
    /// file; a NaN or infinite value is dropped quietly, since the campaign logs NaN on purpose (dft/gap_ev of a failed job).
    /// </summary>
    public static IReadOnlyDictionary<string, Series> Read(CsvTable table, ICollection<string> warnings)
    {
        var steps = table.Text("step");
        var tags = table.Text("tag");
        var values = table.Text("value");
        if (steps is null || tags is null || values is null)
        {
            warnings.Add($"{table.Path}: no step, tag and value columns (header: {string.Join(",", table.Header)}); no curves from it");
            return new Dictionary<string, Series>();
        }
        var points = new Dictionary<string, (List<double> X, List<double> Y)>(StringComparer.Ordinal);
        var bad = new List<int>();
        for (int i = 0; i < table.Rows.Count; i++)
        {
            if (CsvTable.ParseNumber(steps[i]) is not { } step || CsvTable.ParseNumber(values[i]) is not { } value || string.IsNullOrEmpty(tags[i]))
            {
                bad.Add(table.Rows[i].Line);
                continue;
            }
            if (!double.IsFinite(value)) continue;
            if (!points.TryGetValue(tags[i]!, out var p)) points[tags[i]!] = p = ([], []);
            p.X.Add(step);
            p.Y.Add(value);
        }
        if (bad.Count > 0) warnings.Add(CsvTable.SkippedLines(table.Path, bad, "step or value is not a number"));
        return points.ToDictionary(kv => kv.Key, kv => new Series(kv.Key, kv.Value.X, kv.Value.Y), StringComparer.Ordinal);
    }
}
