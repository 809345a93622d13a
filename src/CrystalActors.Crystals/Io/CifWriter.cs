using System.Globalization;
using System.Text;

namespace CrystalActors.Crystals.Io;

/// <summary>Writes a structure as a P1 CIF in pymatgen's CifWriter layout (readable by pymatgen, VESTA, ASE).
/// Deterministic: the same structure always gives the same text.</summary>
public static class CifWriter
{
    public static string Write(Structure s)
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

    public static void WriteFile(Structure s, string path) => File.WriteAllText(path, Write(s));
}
