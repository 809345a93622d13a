using System.Globalization;
using System.Text;

namespace CrystalActors.Reporting.Csv;

/// <summary>
/// A CSV file read by header name, line by line, so that one bad line costs that line and not the file: runs append
/// to their CSVs while they train, a killed run leaves a half-written last line, and a resumed run may have added a
/// column. Fields may be quoted (RFC 4180, within one line).
/// </summary>
public sealed class CsvTable
{
    private readonly Dictionary<string, int> _index;

    private CsvTable(string path, IReadOnlyList<string> header, IReadOnlyList<CsvRow> rows, IReadOnlyList<string> warnings)
    {
        Path = path;
        Header = header;
        Rows = rows;
        Warnings = warnings;
        _index = header.Select((h, i) => (h, i)).GroupBy(p => p.h, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().i, StringComparer.Ordinal);
    }

    public string Path { get; }
    public IReadOnlyList<string> Header { get; }

    /// <summary>The lines whose field count matches the header's.</summary>
    public IReadOnlyList<CsvRow> Rows { get; }

    /// <summary>At most one line naming the file and the lines it skipped.</summary>
    public IReadOnlyList<string> Warnings { get; }

    public bool Has(string column) => _index.ContainsKey(column);

    /// <summary>The column's text in each row, or null when the file has no such column.</summary>
    public string?[]? Text(string column) => _index.TryGetValue(column, out var i) ? Rows.Select(r => r.Fields[i]).ToArray() : null;

    /// <summary>The column's numbers, NaN where a cell is empty or not a number; null when the file has no such column.</summary>
    public double[]? Numbers(string column) => Text(column)?.Select(t => ParseNumber(t) ?? double.NaN).ToArray();

    /// <summary>An invariant-culture number (NaN and ±Infinity included), or null for empty or non-numeric text.</summary>
    public static double? ParseNumber(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x : null;

    /// <summary>Reads <paramref name="path"/>; null (and a line in <paramref name="warnings"/>) when it cannot be read or has no header.</summary>
    public static CsvTable? TryRead(string path, ICollection<string> warnings)
    {
        if (!File.Exists(path)) return null;
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            warnings.Add($"{path}: cannot be read ({e.Message})");
            return null;
        }
        var table = Parse(path, lines);
        if (table is null) warnings.Add($"{path}: empty (no header line)");
        else foreach (var w in table.Warnings) warnings.Add(w);
        return table;
    }

    /// <summary>Parses the lines of a file called <paramref name="path"/>; null when there is no header line.</summary>
    public static CsvTable? Parse(string path, IReadOnlyList<string> lines)
    {
        if (lines.Count == 0 || string.IsNullOrWhiteSpace(lines[0])) return null;
        var header = Split(lines[0]).Select(h => h.Trim()).ToArray();
        var rows = new List<CsvRow>();
        var bad = new List<int>();
        for (int n = 1; n < lines.Count; n++)
        {
            if (string.IsNullOrWhiteSpace(lines[n])) continue;
            var fields = Split(lines[n]);
            if (fields.Count == header.Length) rows.Add(new CsvRow(n + 1, fields));
            else bad.Add(n + 1);
        }
        var warnings = bad.Count == 0 ? [] : new[] { SkippedLines(path, bad, $"not {header.Length} fields like the header") };
        return new CsvTable(path, header, rows, warnings);
    }

    /// <summary>One line for a file's skipped lines: how many, which (the first few), and why.</summary>
    public static string SkippedLines(string path, IReadOnlyList<int> lineNumbers, string why)
    {
        var shown = string.Join(", ", lineNumbers.Take(5));
        var more = lineNumbers.Count > 5 ? $", … ({lineNumbers.Count} in all)" : "";
        return $"{path}: skipped malformed line{(lineNumbers.Count == 1 ? "" : "s")} {shown}{more} ({why})";
    }

    private static List<string> Split(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else quoted = false;
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }
}

/// <param name="Line">1-based line number in the file (for messages).</param>
public sealed record CsvRow(int Line, IReadOnlyList<string> Fields);
