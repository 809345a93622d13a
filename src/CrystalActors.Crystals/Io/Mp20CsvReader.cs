using System.Globalization;
using System.Text;
using Serilog;

namespace CrystalActors.Crystals.Io;

/// <summary>
/// Reads the CDVAE-style CSV with a CIF column (../shared/data/mp20/mp20_val_cif.csv.gz): header
/// ",material_id,formation_energy_per_atom,band_gap,pretty_formula,elements,cif,spacegroup.number,num_atoms".
/// Quoted fields may span lines. Bad rows are reported as file:line: reason and skipped. Errors inside a CIF
/// cell are reported at the line of the CSV file where that CIF line is.
/// Note: <see cref="Mp20Record.SpacegroupNumber"/> here is the CSV's <c>spacegroup.number</c> column.
/// </summary>
public static class Mp20CsvReader
{
    public static IEnumerable<Mp20Record> Read(string path, Action<CrystalFormatException>? onBadRecord = null)
    {
        using var reader = DataFile.OpenText(path);
        foreach (var r in Read(reader, path, onBadRecord)) yield return r;
    }

    public static IEnumerable<Mp20Record> Read(TextReader reader, string file, Action<CrystalFormatException>? onBadRecord = null)
    {
        onBadRecord ??= ex => Log.Warning("Skipping bad CSV record: {Error}", ex.Message);
        var csv = new CsvRecordReader(reader);
        var header = csv.Next() ?? throw new CrystalFormatException(file, 1, "empty CSV file");
        int Col(string name, bool required = true)
        {
            int k = Array.FindIndex(header.Fields, f => f.Text == name);
            if (k < 0 && required) throw new CrystalFormatException(file, 1, $"CSV header lacks the column '{name}'");
            return k;
        }
        int cIndex = 0, cId = Col("material_id"), cCif = Col("cif"), cGap = Col("band_gap", false),
            cEf = Col("formation_energy_per_atom", false), cFormula = Col("pretty_formula", false), cSg = Col("spacegroup.number", false);
        while (true)
        {
            CsvRecord? row;
            try { row = csv.Next(); }
            catch (FormatException ex) { onBadRecord(new CrystalFormatException(file, csv.Line, ex.Message)); yield break; }
            if (row is null) yield break;
            // A blank line holds no record (as in the JSONL reader), not a row of one empty field.
            if (row.Fields is [{ Text: "" }]) continue;
            Mp20Record? record = null;
            try
            {
                if (row.Fields.Length != header.Fields.Length)
                    throw new CrystalFormatException(file, row.Line, $"row has {row.Fields.Length} fields, header has {header.Fields.Length}");
                var cif = row.Fields[cCif];
                Structure s;
                try
                {
                    s = CifReader.Parse(cif.Text, file);
                }
                catch (CrystalFormatException ex)
                {
                    // Re-base the CIF-relative line onto the CSV file.
                    throw new CrystalFormatException(file, cif.Line + ex.Line - 1, ex.Reason, ex);
                }
                string id = row.Fields[cId].Text;
                if (!int.TryParse(row.Fields[cIndex].Text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int index))
                    throw new CrystalFormatException(file, row.Line, $"index '{row.Fields[cIndex].Text}' is not an integer");
                s = s.WithId(id);
                record = new Mp20Record
                {
                    Index = index,
                    Line = row.Line,
                    MaterialId = id,
                    Lattice = s.Lattice,
                    Species = s.Species,
                    Structure = s,
                    BandGap = Double(row, cGap),
                    FormationEnergyPerAtom = Double(row, cEf),
                    PrettyFormula = cFormula >= 0 ? row.Fields[cFormula].Text : null,
                    SpacegroupNumber = cSg >= 0 && int.TryParse(row.Fields[cSg].Text, out int sg) ? sg : null,
                };
            }
            catch (CrystalFormatException ex)
            {
                onBadRecord(ex);
            }
            if (record is not null) yield return record;
        }
    }

    private static double? Double(CsvRecord row, int col) =>
        col >= 0 && double.TryParse(row.Fields[col].Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : null;

    internal readonly record struct CsvField(string Text, int Line);
    internal sealed record CsvRecord(CsvField[] Fields, int Line);

    /// <summary>RFC 4180 reader that remembers the line on which each field starts.</summary>
    internal sealed class CsvRecordReader(TextReader reader)
    {
        private int _line;
        public int Line => _line;

        public CsvRecord? Next()
        {
            string? line = reader.ReadLine();
            if (line is null) return null;
            _line++;
            int start = _line;
            var fields = new List<CsvField>();
            var sb = new StringBuilder();
            int i = 0;
            int fieldLine = _line;
            bool quoted = false;
            while (true)
            {
                if (quoted)
                {
                    if (i >= line.Length)
                    {
                        line = reader.ReadLine() ?? throw new FormatException($"quoted field starting on line {fieldLine} is never closed");
                        _line++;
                        sb.Append('\n');
                        i = 0;
                        continue;
                    }
                    char c = line[i++];
                    if (c == '"')
                    {
                        if (i < line.Length && line[i] == '"') { sb.Append('"'); i++; }
                        else quoted = false;
                    }
                    else sb.Append(c);
                    continue;
                }
                if (i >= line.Length)
                {
                    fields.Add(new CsvField(sb.ToString(), fieldLine));
                    return new CsvRecord(fields.ToArray(), start);
                }
                char d = line[i++];
                if (d == ',')
                {
                    fields.Add(new CsvField(sb.ToString(), fieldLine));
                    sb.Clear();
                    fieldLine = _line;
                }
                else if (d == '"' && sb.Length == 0)
                {
                    quoted = true;
                    fieldLine = _line;
                }
                else sb.Append(d);
            }
        }
    }
}
