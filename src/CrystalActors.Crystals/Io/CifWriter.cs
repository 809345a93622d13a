using System.Globalization;
using System.Text;

namespace CrystalActors.Crystals.Io;

/// <summary>Writes a structure as a P1 CIF in pymatgen's CifWriter layout (readable by pymatgen, VESTA, ASE).
/// Deterministic: the same structure always gives the same text.</summary>
public static class CifWriter
{
    /// <param name="dataItems">Extra single-valued data items written after the formula, e.g. a design's DFT gap as
    /// ("_crystal_actors_dft_gap_ev", "1.234"): CIF allows any tag, and pymatgen, ASE and VESTA read the file as before
    /// (they keep or skip tags they do not know). Tags must start with '_' and hold no whitespace; null values are
    /// written as '?' (unknown); text values are quoted.</param>
    public static string Write(Structure s, IReadOnlyList<(string Tag, string? Value)>? dataItems = null)
    {
        var p = s.Lattice.Parameters;
        var comp = s.Composition;
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("# generated using CrystalActors\n");
        sb.Append("data_").Append(comp.ReducedFormula).Append('\n');
        sb.Append("_symmetry_space_group_name_H-M   'P 1'\n");
        sb.Append(inv, $"_cell_length_a   {p.A:F8}\n");
        sb.Append(inv, $"_cell_length_b   {p.B:F8}\n");
        sb.Append(inv, $"_cell_length_c   {p.C:F8}\n");
        sb.Append(inv, $"_cell_angle_alpha   {p.Alpha:F8}\n");
        sb.Append(inv, $"_cell_angle_beta   {p.Beta:F8}\n");
        sb.Append(inv, $"_cell_angle_gamma   {p.Gamma:F8}\n");
        sb.Append("_symmetry_Int_Tables_number   1\n");
        sb.Append("_chemical_formula_structural   ").Append(comp.ReducedFormula).Append('\n');
        sb.Append("_chemical_formula_sum   '").Append(comp.Formula).Append("'\n");
        sb.Append(inv, $"_cell_volume   {s.Volume:F8}\n");
        sb.Append(inv, $"_cell_formula_units_Z   {comp.Gcd}\n");
        foreach (var (tag, value) in dataItems ?? [])
        {
            if (tag.Length < 2 || tag[0] != '_' || tag.Any(char.IsWhiteSpace))
                throw new ArgumentException($"'{tag}' is not a CIF tag (it must start with '_' and hold no whitespace)", nameof(dataItems));
            sb.Append(tag).Append("   ").Append(CifValue(value)).Append('\n');
        }
        sb.Append("loop_\n _symmetry_equiv_pos_site_id\n _symmetry_equiv_pos_as_xyz\n  1  'x, y, z'\n");
        sb.Append("loop_\n _atom_site_type_symbol\n _atom_site_label\n _atom_site_symmetry_multiplicity\n");
        sb.Append(" _atom_site_fract_x\n _atom_site_fract_y\n _atom_site_fract_z\n _atom_site_occupancy\n");
        for (int i = 0; i < s.NumSites; i++)
        {
            var site = s.Sites[i];
            var f = site.FracCoords;
            sb.Append(inv, $"  {site.Species.Symbol}  {site.Species.Symbol}{i}  1  {f.X:F8}  {f.Y:F8}  {f.Z:F8}  1\n");
        }
        return sb.ToString();
    }

    public static void WriteFile(Structure s, string path, IReadOnlyList<(string Tag, string? Value)>? dataItems = null) =>
        AtomicFile.WriteAllText(path, Write(s, dataItems));

    private static string CifValue(string? value)
    {
        if (value is null) return "?";
        bool bare = value.Length > 0 && value.All(c => c > ' ' && c < 127 && c is not ('\'' or '"')) && value[0] is not ('_' or '#' or '$' or ';' or '[' or ']');
        if (bare) return value;
        if (value.Contains('\n') || (value.Contains('\'') && value.Contains('"'))) return "\n;" + value + "\n;";
        return value.Contains('\'') ? $"\"{value}\"" : $"'{value}'";
    }
}
