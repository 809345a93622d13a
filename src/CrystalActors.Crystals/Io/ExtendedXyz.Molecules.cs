using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CrystalActors.Crystals.Io;

/// <summary>One frame of a (possibly multi-frame) XYZ file: the molecule and the key=value pairs of its comment
/// line (ASE's <c>atoms.info</c>; "energy" is the energy in eV when present).</summary>
public sealed record XyzFrame(Molecule Molecule, IReadOnlyDictionary<string, string> Info)
{
    /// <summary>The "energy" entry in eV, or null.</summary>
    public double? Energy => Info.TryGetValue("energy", out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double e) ? e : null;
}

public static partial class ExtendedXyz
{
    /// <summary>
    /// One non-periodic frame: atom count, <c>Properties=species:S:1:pos:R:3 pbc="F F F"</c> plus the given info
    /// pairs (ASE reads "energy" into a single-point calculator, the rest into <c>atoms.info</c>), then one line per
    /// atom in Å. Values with spaces or quotes are quoted; numbers are written round-trip ("R").
    /// </summary>
    public static string WriteMolecule(Molecule m, IEnumerable<KeyValuePair<string, object>>? info = null)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(m.NumAtoms).Append('\n');
        sb.Append("Properties=species:S:1:pos:R:3");
        if (info is not null)
            foreach (var (k, v) in info)
            {
                if (string.IsNullOrEmpty(k) || k.Any(c => char.IsWhiteSpace(c) || c == '=' || c == '"'))
                    throw new ArgumentException($"info key '{k}' must be non-empty without spaces, '=' or quotes");
                string s = v switch
                {
                    double d => d.ToString("R", inv),
                    float f => f.ToString("R", inv),
                    IFormattable fm => fm.ToString(null, inv),
                    _ => v?.ToString() ?? "",
                };
                if (s.Length == 0 || s.Any(c => char.IsWhiteSpace(c) || c == '"')) s = "\"" + s.Replace("\"", "'") + "\"";
                sb.Append(' ').Append(k).Append('=').Append(s);
            }
        if (m.Id is not null && (info is null || !info.Any(kv => kv.Key == "id"))) sb.Append(" id=\"").Append(m.Id.Replace("\"", "'")).Append('"');
        sb.Append(" pbc=\"F F F\"\n");
        for (int i = 0; i < m.NumAtoms; i++)
        {
            var p = m.Positions[i];
            sb.Append(inv, $"{m.Species[i].Symbol} {p.X:R} {p.Y:R} {p.Z:R}\n");
        }
        return sb.ToString();
    }

    [GeneratedRegex("([A-Za-z_][A-Za-z0-9_\\-]*)=(\"[^\"]*\"|\\S+)")]
    private static partial Regex InfoPair();

    /// <summary>
    /// Reads every frame of a plain or extended XYZ text as molecules (a Lattice field, if any, is ignored: the
    /// Cartesian positions are kept as they are). With a Properties field the species and pos columns are located
    /// from it (ASE files with forces or other columns read too); without one, columns 1-4 are species and x y z.
    /// </summary>
    /// <exception cref="CrystalFormatException">malformed count, short file, unknown element, bad number (file:line).</exception>
    public static IReadOnlyList<XyzFrame> ParseMolecules(string text, string file = "<string>")
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var frames = new List<XyzFrame>();
        int at = 0;
        while (at < lines.Length)
        {
            if (string.IsNullOrWhiteSpace(lines[at])) { at++; continue; }
            if (!int.TryParse(lines[at].Trim(), out int n) || n <= 0)
                throw new CrystalFormatException(file, at + 1, $"expected a positive atom count, found '{Truncate(lines[at])}'");
            if (at + 1 >= lines.Length) throw new CrystalFormatException(file, at + 2, "file ends before the comment line");
            string comment = lines[at + 1];
            var info = new Dictionary<string, string>();
            foreach (Match mt in InfoPair().Matches(comment))
                info[mt.Groups[1].Value] = mt.Groups[2].Value.Trim('"');
            (int speciesCol, int posCol) = (0, 1);
            if (info.TryGetValue("Properties", out var props)) (speciesCol, posCol) = Columns(props, file, at + 2);
            info.Remove("Properties");
            info.Remove("pbc");
            info.Remove("Lattice");
            var species = new Element[n];
            var pos = new Vec3[n];
            for (int i = 0; i < n; i++)
            {
                int ln = at + 3 + i;
                if (ln > lines.Length || (ln == lines.Length && lines[ln - 1].Length == 0))
                    throw new CrystalFormatException(file, ln, $"file ends after {i} of {n} atoms");
                var w = lines[ln - 1].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (w.Length < Math.Max(speciesCol + 1, posCol + 3))
                    throw new CrystalFormatException(file, ln, "atom line needs a species and 3 coordinates");
                if (!Element.TryFromSymbol(w[speciesCol], out species[i])) throw new CrystalFormatException(file, ln, $"unknown element '{w[speciesCol]}'");
                var p = new double[3];
                for (int k = 0; k < 3; k++)
                    if (!double.TryParse(w[posCol + k], NumberStyles.Float, CultureInfo.InvariantCulture, out p[k]) || !double.IsFinite(p[k]))
                        throw new CrystalFormatException(file, ln, $"coordinate '{w[posCol + k]}' is not a finite number");
                pos[i] = new Vec3(p[0], p[1], p[2]);
            }
            info.TryGetValue("id", out var id);
            frames.Add(new XyzFrame(new Molecule(species, pos, id), info));
            at += 2 + n;
        }
        if (frames.Count == 0) throw new CrystalFormatException(file, 1, "no XYZ frame found (empty file)");
        return frames;
    }

    /// <summary>Reads all frames of an XYZ file (gzip allowed).</summary>
    /// <exception cref="CrystalFormatException">malformed content, or a missing file (line 0).</exception>
    public static IReadOnlyList<XyzFrame> ReadMolecules(string path)
    {
        if (!File.Exists(path)) throw new CrystalFormatException(path, 0, "file not found");
        using var r = DataFile.OpenText(path);
        return ParseMolecules(r.ReadToEnd(), path);
    }

    /// <summary>Writes frames to a multi-frame extended XYZ file (creating its folder), atomically.</summary>
    public static void WriteMolecules(string path, IEnumerable<(Molecule Molecule, IEnumerable<KeyValuePair<string, object>>? Info)> frames)
    {
        using var file = DataFile.CreateText(path);
        foreach (var (m, info) in frames) file.Writer.Write(WriteMolecule(m, info));
        file.Commit();
    }

    private static (int Species, int Pos) Columns(string props, string file, int line)
    {
        var parts = props.Split(':');
        if (parts.Length % 3 != 0) throw new CrystalFormatException(file, line, $"Properties '{props}' is not name:type:count triples");
        int col = 0, species = -1, pos = -1;
        for (int i = 0; i < parts.Length; i += 3)
        {
            if (!int.TryParse(parts[i + 2], out int count) || count < 1)
                throw new CrystalFormatException(file, line, $"Properties '{props}': bad column count '{parts[i + 2]}'");
            if (parts[i] == "species") species = col;
            if (parts[i] == "pos") pos = col;
            col += count;
        }
        if (species < 0 || pos < 0) throw new CrystalFormatException(file, line, $"Properties '{props}' lacks species or pos");
        return (species, pos);
    }

    private static string Truncate(string s) => s.Length > 40 ? s[..40] + "…" : s;
}
