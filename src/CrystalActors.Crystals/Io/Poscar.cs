using System.Globalization;
using System.Text;

namespace CrystalActors.Crystals.Io;

/// <summary>VASP 5 POSCAR: comment, scale, three lattice rows (Å), element symbols, counts, "Direct", coordinates.
/// Sites are grouped by element in order of first appearance (POSCAR requires contiguous species blocks).</summary>
public static class Poscar
{
    public static string Write(Structure s, string? comment = null)
    {
        var inv = CultureInfo.InvariantCulture;
        var groups = s.Composition.Elements;
        var sb = new StringBuilder();
        sb.Append((comment ?? $"{s.Composition.ReducedFormula} {s.Id}".Trim()).Replace('\n', ' ')).Append('\n');
        sb.Append("1.0\n");
        for (int i = 0; i < 3; i++)
        {
            var r = s.Lattice.Matrix.Row(i);
            sb.Append(inv, $"  {r.X,22:F16} {r.Y,22:F16} {r.Z,22:F16}\n");
        }
        sb.Append(' ').AppendJoin(' ', groups.Select(e => e.Symbol)).Append('\n');
        sb.Append(' ').AppendJoin(' ', groups.Select(e => s.Composition[e])).Append('\n');
        sb.Append("Direct\n");
        foreach (var e in groups)
            foreach (var site in s.Sites.Where(x => x.Species == e))
                sb.Append(inv, $"  {site.FracCoords.X:F16} {site.FracCoords.Y:F16} {site.FracCoords.Z:F16} {e.Symbol}\n");
        return sb.ToString();
    }

    /// <exception cref="CrystalFormatException">malformed POSCAR (VASP 4 files without a symbol line are rejected).</exception>
    public static Structure Parse(string text, string file = "<string>")
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        int ln = 0;
        string Next(string what)
        {
            while (ln < lines.Length)
            {
                string l = lines[ln++];
                if (ln == 1 || l.Trim().Length > 0) return l;
            }
            throw new CrystalFormatException(file, ln, $"file ends before the {what}");
        }
        string[] Words(string l) => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        double Num(string w, string what) =>
            double.TryParse(w, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
                ? v : throw new CrystalFormatException(file, ln, $"{what} '{w}' is not a finite number");

        Next("comment line");
        double scale = Num(Words(Next("scale factor"))[0], "scale factor");
        if (scale <= 0) throw new CrystalFormatException(file, ln, "negative or zero scale (volume form) is not supported");
        var rows = new Vec3[3];
        for (int i = 0; i < 3; i++)
        {
            var w = Words(Next($"lattice vector {i + 1}"));
            if (w.Length < 3) throw new CrystalFormatException(file, ln, $"lattice vector {i + 1} needs 3 numbers");
            rows[i] = scale * new Vec3(Num(w[0], "lattice component"), Num(w[1], "lattice component"), Num(w[2], "lattice component"));
        }
        Lattice lattice;
        try { lattice = new Lattice(Mat3.FromRows(rows[0], rows[1], rows[2])); }
        catch (ArgumentException ex) { throw new CrystalFormatException(file, ln, ex.Message); }

        var symbols = Words(Next("element symbols"));
        if (symbols.Length == 0 || char.IsDigit(symbols[0][0]))
            throw new CrystalFormatException(file, ln, "expected a line of element symbols (VASP 5 format)");
        var elements = symbols.Select(sym => Element.TryFromSymbol(sym.Split('/', '_')[0], out var e) ? e
            : throw new CrystalFormatException(file, ln, $"unknown element '{sym}'")).ToArray();
        var countWords = Words(Next("element counts"));
        if (countWords.Length != elements.Length)
            throw new CrystalFormatException(file, ln, $"{elements.Length} element symbols but {countWords.Length} counts");
        var counts = countWords.Select(w => int.TryParse(w, out int c) && c > 0 ? c : throw new CrystalFormatException(file, ln, $"count '{w}' is not a positive integer")).ToArray();
        string mode = Next("coordinate mode").Trim();
        if (mode.StartsWith('s') || mode.StartsWith('S')) mode = Next("coordinate mode").Trim(); // selective dynamics
        bool cartesian = mode.Length > 0 && (mode[0] is 'C' or 'c' or 'K' or 'k');
        var sites = new List<Site>();
        for (int k = 0; k < elements.Length; k++)
            for (int c = 0; c < counts[k]; c++)
            {
                var w = Words(Next($"coordinates of site {sites.Count + 1}"));
                if (w.Length < 3) throw new CrystalFormatException(file, ln, "a site needs 3 coordinates");
                var v = new Vec3(Num(w[0], "coordinate"), Num(w[1], "coordinate"), Num(w[2], "coordinate"));
                sites.Add(new Site(elements[k], cartesian ? lattice.GetFractionalCoords(scale * v) : v));
            }
        return new Structure(lattice, sites);
    }
}
