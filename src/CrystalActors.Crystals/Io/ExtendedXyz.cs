using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CrystalActors.Crystals.Io;

/// <summary>Extended XYZ (ASE/OVITO): atom count, a comment with Lattice="ax ay az bx ..." and
/// Properties=species:S:1:pos:R:3 pbc="T T T", then one line per atom with Cartesian positions in Å.</summary>
public static partial class ExtendedXyz
{
    public static string Write(Structure s)
    {
        var inv = CultureInfo.InvariantCulture;
        var m = s.Lattice.Matrix;
        var sb = new StringBuilder();
        sb.Append(s.NumSites).Append('\n');
        sb.Append("Lattice=\"").AppendJoin(' ', new[] { m.M00, m.M01, m.M02, m.M10, m.M11, m.M12, m.M20, m.M21, m.M22 }.Select(x => x.ToString("R", inv)))
          .Append("\" Properties=species:S:1:pos:R:3 pbc=\"T T T\"");
        if (s.Id is not null) sb.Append(" material_id=").Append(s.Id);
        sb.Append('\n');
        var cart = s.CartesianCoords;
        for (int i = 0; i < s.NumSites; i++)
            sb.Append(inv, $"{s.Sites[i].Species.Symbol} {cart[i].X:R} {cart[i].Y:R} {cart[i].Z:R}\n");
        return sb.ToString();
    }

    [GeneratedRegex("Lattice=\"([^\"]*)\"")]
    private static partial Regex LatticeField();

    [GeneratedRegex(@"material_id=(\S+)")]
    private static partial Regex IdField();

    /// <summary>Reads the first frame; species in column 1 and positions in columns 2-4 (the layout written above).</summary>
    public static Structure Parse(string text, string file = "<string>")
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        if (lines.Length < 2 || !int.TryParse(lines[0].Trim(), out int n) || n <= 0)
            throw new CrystalFormatException(file, 1, "first line must be a positive atom count");
        var lat = LatticeField().Match(lines[1]);
        if (!lat.Success) throw new CrystalFormatException(file, 2, "comment line has no Lattice=\"...\" field (non-periodic XYZ is not a crystal)");
        var v = lat.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => double.TryParse(w, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : double.NaN).ToArray();
        if (v.Length != 9 || v.Any(x => !double.IsFinite(x))) throw new CrystalFormatException(file, 2, "Lattice must hold 9 finite numbers");
        Lattice lattice;
        try { lattice = new Lattice(new Mat3(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8])); }
        catch (ArgumentException ex) { throw new CrystalFormatException(file, 2, ex.Message); }
        var id = IdField().Match(lines[1]);
        var sites = new List<Site>();
        for (int i = 0; i < n; i++)
        {
            int ln = i + 3;
            if (ln > lines.Length) throw new CrystalFormatException(file, ln, $"file ends after {i} of {n} atoms");
            var w = lines[ln - 1].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (w.Length < 4) throw new CrystalFormatException(file, ln, "atom line needs a species and 3 coordinates");
            if (!Element.TryFromSymbol(w[0], out var e)) throw new CrystalFormatException(file, ln, $"unknown element '{w[0]}'");
            var p = new double[3];
            for (int k = 0; k < 3; k++)
                if (!double.TryParse(w[k + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out p[k]) || !double.IsFinite(p[k]))
                    throw new CrystalFormatException(file, ln, $"coordinate '{w[k + 1]}' is not a finite number");
            sites.Add(new Site(e, lattice.GetFractionalCoords(new Vec3(p[0], p[1], p[2]))));
        }
        return new Structure(lattice, sites, id.Success ? id.Groups[1].Value : null);
    }
}
