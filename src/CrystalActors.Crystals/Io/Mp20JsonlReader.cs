using System.Text.Json;
using Serilog;

namespace CrystalActors.Crystals.Io;

/// <summary>
/// Reads MP-20 JSONL(.gz): one JSON object per line with index, material_id, lattice (rows, Å), species,
/// frac_coords (optional), band_gap, formation_energy_per_atom, bulk_modulus, mag_density,
/// spacegroup_number_symprec0.1, pretty_formula. A bad line is reported (file:line: reason) and skipped.
/// </summary>
public static class Mp20JsonlReader
{
    /// <summary>Streams the records of a file. Bad records go to <paramref name="onBadRecord"/>, or are logged as
    /// warnings when it is null; either way they are skipped, never silently.</summary>
    public static IEnumerable<Mp20Record> Read(string path, Action<CrystalFormatException>? onBadRecord = null)
    {
        using var reader = DataFile.OpenText(path);
        foreach (var r in Read(reader, path, onBadRecord)) yield return r;
    }

    public static IEnumerable<Mp20Record> Read(TextReader reader, string fileLabel, Action<CrystalFormatException>? onBadRecord = null)
    {
        onBadRecord ??= ex => Log.Warning("Skipping bad MP-20 record: {Error}", ex.Message);
        string? line;
        int lineNo = 0;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            Mp20Record? record = null;
            try
            {
                record = ParseLine(line, fileLabel, lineNo);
            }
            catch (CrystalFormatException ex)
            {
                onBadRecord(ex);
            }
            if (record is not null) yield return record;
        }
    }

    /// <exception cref="CrystalFormatException">malformed JSON, a missing field, an unknown element, a
    /// non-finite or miscounted coordinate, or an invalid lattice.</exception>
    public static Mp20Record ParseLine(string line, string file = "<string>", int lineNo = 1)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            string reason = line.Contains("NaN") || line.Contains("Infinity")
                ? "non-finite number (NaN or Infinity) in the record"
                : $"invalid JSON ({ex.Message})";
            throw new CrystalFormatException(file, lineNo, reason, ex);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad("the line is not a JSON object");
            int index = GetRequired(root, "index") is { ValueKind: JsonValueKind.Number } ixe && ixe.TryGetInt32(out int ix) ? ix : throw Bad("'index' is not an integer");
            string materialId = GetRequired(root, "material_id") is { ValueKind: JsonValueKind.String } id ? id.GetString()! : throw Bad("'material_id' is not a string");
            string where = $"record {index} ({materialId})";

            var latticeRows = ReadMatrix(GetRequired(root, "lattice"), "lattice", where);
            Lattice lattice;
            try { lattice = new Lattice(latticeRows); }
            catch (ArgumentException ex) { throw Bad($"{where}: invalid lattice: {ex.Message}"); }

            var speciesJson = GetRequired(root, "species");
            if (speciesJson.ValueKind != JsonValueKind.Array) throw Bad($"{where}: 'species' is not a list");
            var species = new List<Element>();
            foreach (var s in speciesJson.EnumerateArray())
            {
                if (s.ValueKind != JsonValueKind.String) throw Bad($"{where}: 'species' holds {s.GetRawText()}, not an element symbol");
                string sym = s.GetString()!;
                if (!Element.TryFromSymbol(sym, out var e)) throw Bad($"{where}: unknown element '{sym}' in species");
                species.Add(e);
            }
            if (species.Count == 0) throw Bad($"{where}: 'species' is empty");

            Structure? structure = null;
            if (root.TryGetProperty("frac_coords", out var fc) && fc.ValueKind != JsonValueKind.Null)
            {
                var rows = ReadMatrix(fc, "frac_coords", where, expectedRows: species.Count);
                var coords = rows.Select(r => new Vec3(r[0], r[1], r[2])).ToArray();
                structure = Structure.FromSpecies(lattice, species, coords, materialId);
            }
            if (OptionalInt(root, "num_atoms", where) is { } na && na != species.Count)
                throw Bad($"{where}: num_atoms = {na} but species lists {species.Count} atoms");

            return new Mp20Record
            {
                Index = index,
                MaterialId = materialId,
                Lattice = lattice,
                Species = species,
                Structure = structure,
                Line = lineNo,
                BandGap = OptionalDouble(root, "band_gap", where),
                FormationEnergyPerAtom = OptionalDouble(root, "formation_energy_per_atom", where),
                BulkModulus = OptionalDouble(root, "bulk_modulus", where),
                MagDensity = OptionalDouble(root, "mag_density", where),
                SpacegroupNumber = OptionalInt(root, "spacegroup_number_symprec0.1", where),
                PrettyFormula = root.TryGetProperty("pretty_formula", out var pf) && pf.ValueKind == JsonValueKind.String ? pf.GetString() : null,
            };
        }

        CrystalFormatException Bad(string reason) => new(file, lineNo, reason);

        JsonElement GetRequired(JsonElement obj, string name) =>
            obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : throw Bad($"missing field '{name}'");

        double[][] ReadMatrix(JsonElement m, string name, string where, int expectedRows = 3)
        {
            if (m.ValueKind != JsonValueKind.Array || m.GetArrayLength() != expectedRows)
                throw Bad($"{where}: '{name}' must be a list of {expectedRows} triples");
            var rows = new double[expectedRows][];
            int i = 0;
            foreach (var row in m.EnumerateArray())
            {
                if (row.ValueKind != JsonValueKind.Array || row.GetArrayLength() != 3)
                    throw Bad($"{where}: '{name}' row {i} is not a triple of numbers");
                rows[i] = new double[3];
                int k = 0;
                foreach (var v in row.EnumerateArray())
                {
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || !double.IsFinite(d))
                        throw Bad($"{where}: '{name}' row {i} component {k} is not a finite number ({v.GetRawText()})");
                    rows[i][k++] = d;
                }
                i++;
            }
            return rows;
        }

        // Optional numbers: absent or null is null; any other non-number (a string, 1e400, 2.5 for an integer) is a fault.
        double? OptionalDouble(JsonElement obj, string name, string where)
        {
            if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            return v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && double.IsFinite(d)
                ? d : throw Bad($"{where}: '{name}' is not a finite number ({v.GetRawText()})");
        }

        int? OptionalInt(JsonElement obj, string name, string where)
        {
            if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n)
                ? n : throw Bad($"{where}: '{name}' is not an integer ({v.GetRawText()})");
        }
    }
}
