using System.Text;
using System.Text.Json;

namespace CrystalActors.Crystals.Io;

/// <summary>
/// Writes records in the MP-20 JSONL form, field order and number format as the data set's Python writer
/// (json.dumps, float repr), so a read-write cycle reproduces the input line byte for byte.
/// </summary>
public static class Mp20JsonWriter
{
    public static string ToJsonLine(Mp20Record r)
    {
        var sb = new StringBuilder(1024);
        sb.Append("{\"index\": ").Append(r.Index);
        sb.Append(", \"material_id\": ").Append(JsonSerializer.Serialize(r.MaterialId));
        sb.Append(", \"num_atoms\": ").Append(r.NumAtoms);
        sb.Append(", \"lattice\": ");
        AppendMatrix(sb, [r.Lattice.Matrix.Row(0), r.Lattice.Matrix.Row(1), r.Lattice.Matrix.Row(2)]);
        sb.Append(", \"species\": [").AppendJoin(", ", r.Species.Select(e => $"\"{e.Symbol}\"")).Append(']');
        sb.Append(", \"band_gap\": ").Append(Number(r.BandGap));
        sb.Append(", \"formation_energy_per_atom\": ").Append(Number(r.FormationEnergyPerAtom));
        sb.Append(", \"bulk_modulus\": ").Append(Number(r.BulkModulus));
        sb.Append(", \"mag_density\": ").Append(Number(r.MagDensity));
        if (r.Structure is not null)
        {
            sb.Append(", \"frac_coords\": ");
            AppendMatrix(sb, r.Structure.Sites.Select(s => s.FracCoords).ToArray());
        }
        if (r.SpacegroupNumber is int sg) sb.Append(", \"spacegroup_number_symprec0.1\": ").Append(sg);
        if (r.PrettyFormula is not null) sb.Append(", \"pretty_formula\": ").Append(JsonSerializer.Serialize(r.PrettyFormula));
        sb.Append('}');
        return sb.ToString();
    }

    /// <summary>A structure alone as an MP-20 line (properties null; pretty_formula from the composition).</summary>
    public static string ToJsonLine(Structure s, int index, string? materialId = null) => ToJsonLine(FromStructure(s, index, materialId));

    public static Mp20Record FromStructure(Structure s, int index, string? materialId = null) => new()
    {
        Index = index,
        MaterialId = materialId ?? s.Id ?? $"generated-{index}",
        Lattice = s.Lattice,
        Species = s.Species,
        Structure = s,
        PrettyFormula = s.Composition.ReducedFormula,
    };

    private static string Number(double? x) => x is double d ? PythonFloat.Format(d) : "null";

    private static void AppendMatrix(StringBuilder sb, IReadOnlyList<Vec3> rows)
    {
        sb.Append('[');
        for (int i = 0; i < rows.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append('[').Append(PythonFloat.Format(rows[i].X)).Append(", ").Append(PythonFloat.Format(rows[i].Y))
              .Append(", ").Append(PythonFloat.Format(rows[i].Z)).Append(']');
        }
        sb.Append(']');
    }
}
