using System.Globalization;
using CrystalActors.Crystals.Symmetry;

namespace CrystalActors.Crystals.Io;

/// <summary>
/// Reads crystal structures from CIF 1.1 (pymatgen, Materials Project, ICSD and COD style files).
/// Each data_ block with a cell and atom sites becomes one structure: the symmetry operations
/// (<c>_symmetry_equiv_pos_as_xyz</c> or <c>_space_group_symop_operation_xyz</c>) are applied to every listed
/// site, coordinates are wrapped into [0, 1) and images that coincide within <see cref="MergeTolerance"/> are kept once.
/// Only ordered crystals are supported: a site occupancy other than 1 is rejected.
/// </summary>
public static class CifReader
{
    /// <summary>Periodic distance (Å) below which two generated positions are the same site. Larger than the
    /// ~1e-3 Å that exact data needs because real files print 1/3 as 0.333 (a 3e-3 Å error in a 10 Å cell),
    /// and far below any interatomic distance (&gt; 0.5 Å).</summary>
    public const double MergeTolerance = 0.01;

    /// <summary>Occupancies within this of 1 count as fully occupied (files print 0.9999 or 1.000(3)).</summary>
    public const double OccupancyTolerance = 1e-3;

    /// <summary>Most sites a data block may expand to under its symmetry operations (checked while expanding, and as
    /// 200 × this many site × operation candidates before), so a small file cannot demand minutes of work.</summary>
    public const int MaxSites = 1000;

    public static Structure ReadFile(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>The structure of the first data block that has atom sites.</summary>
    /// <exception cref="CrystalFormatException">malformed CIF, with file and line.</exception>
    public static Structure Parse(string text, string file = "<string>")
    {
        var all = ParseAll(text, file);
        return all.Count > 0 ? all[0] : throw new CrystalFormatException(file, 1, "no data_ block with atom sites (_atom_site_fract_x ...) found");
    }

    /// <summary>The single-valued data items of the first data block (tags in lower case, values unquoted; '?' and '.'
    /// are null), e.g. the <c>_crystal_actors_*</c> values of a campaign's design CIFs.</summary>
    public static IReadOnlyDictionary<string, string?> ReadDataItems(string text, string file = "<string>")
    {
        var blocks = CifBlock.Parse(CifTokenizer.Tokenize(text, file), file);
        if (blocks.Count == 0) throw new CrystalFormatException(file, 1, "no data_ block found");
        return blocks[0].Items.ToDictionary(p => p.Key, p => p.Value.Quoted || p.Value.Text is not ("?" or ".") ? p.Value.Text : null, StringComparer.Ordinal);
    }

    /// <summary>One structure per data block that has atom sites.</summary>
    /// <param name="onBadBlock">Given, a block whose content is malformed goes there and the other blocks are still read;
    /// otherwise it throws. A file whose syntax breaks (tokens, blocks) always throws.</param>
    public static IReadOnlyList<Structure> ParseAll(string text, string file = "<string>", Action<CrystalFormatException>? onBadBlock = null) =>
        ParseBlocks(text, file, onBadBlock).Select(b => b.Structure).ToList();

    /// <summary>The structures of the blocks with atom sites, each with the line of its data_ header and its place among
    /// those blocks (a bad block keeps the others' places), and how many blocks had atom sites (good or bad).</summary>
    internal static List<(Structure Structure, int Line, int Ordinal)> ParseBlocks(string text, string file, Action<CrystalFormatException>? onBadBlock,
        Action<int>? blocksWithSites = null)
    {
        var blocks = CifBlock.Parse(CifTokenizer.Tokenize(text, file), file);
        var result = new List<(Structure, int, int)>();
        int withSites = 0;
        foreach (var block in blocks)
        {
            if (block.FindLoop("_atom_site_fract_x", "_atom_site_cartn_x", "_atom_site.fract_x") is null) continue;
            withSites++;
            try
            {
                result.Add((ParseBlock(block, file), block.Line, withSites - 1));
            }
            catch (CrystalFormatException ex) when (onBadBlock is not null)
            {
                onBadBlock(ex);
            }
        }
        blocksWithSites?.Invoke(withSites);
        return result;
    }

    private static Structure ParseBlock(CifBlock block, string file)
    {
        Lattice lattice = ReadLattice(block, file);
        var ops = ReadSymmetryOperations(block, file);
        var sites = ReadAsymmetricSites(block, lattice, file);

        if ((long)sites.Count * ops.Count > 200L * MaxSites)
            throw new CrystalFormatException(file, block.Line,
                $"data_{block.Name}: {sites.Count} sites × {ops.Count} symmetry operations exceed the expansion limit ({MaxSites} sites)");
        var expanded = new List<Site>();
        var expandedCart = new List<(Vec3 Frac, int SourceLine, string Label)>();
        foreach (var (site, line, label) in sites)
        {
            foreach (var op in ops)
            {
                Vec3 f = op.Apply(site.FracCoords).WrapUnit();
                int clash = FindCoincident(lattice, expandedCart, f);
                if (clash >= 0)
                {
                    if (expanded[clash].Species != site.Species)
                        throw new CrystalFormatException(file, line,
                            $"site {label} ({site.Species.Symbol}) maps onto site {expandedCart[clash].Label} ({expanded[clash].Species.Symbol}, line {expandedCart[clash].SourceLine}) under the symmetry operations; mixed occupancy is not supported");
                    continue;
                }
                if (expanded.Count == MaxSites)
                    throw new CrystalFormatException(file, line, $"data_{block.Name}: the symmetry operations expand the sites beyond {MaxSites}");
                expanded.Add(new Site(site.Species, f));
                expandedCart.Add((f, line, label));
            }
        }
        return new Structure(lattice, expanded);
    }

    private static int FindCoincident(Lattice lattice, List<(Vec3 Frac, int SourceLine, string Label)> existing, Vec3 f)
    {
        double tol2 = MergeTolerance * MergeTolerance;
        for (int k = 0; k < existing.Count; k++)
        {
            Vec3 d = f - existing[k].Frac;
            d -= d.Round();
            if (lattice.GetCartesianCoords(d).LengthSquared < tol2) return k;
        }
        return -1;
    }

    private static Lattice ReadLattice(CifBlock block, string file)
    {
        double Get(string tag)
        {
            var token = block.Item(tag, tag.Replace("_cell_", "_cell."))
                ?? throw new CrystalFormatException(file, block.Line, $"data_{block.Name}: missing {tag}");
            return ParseNumber(token, tag, file) ?? throw new CrystalFormatException(file, token.Line, $"{tag} has no value ('{token.Text}')");
        }
        double a = Get("_cell_length_a"), b = Get("_cell_length_b"), c = Get("_cell_length_c");
        double alpha = Get("_cell_angle_alpha"), beta = Get("_cell_angle_beta"), gamma = Get("_cell_angle_gamma");
        try
        {
            return Lattice.FromParameters(a, b, c, alpha, beta, gamma);
        }
        catch (ArgumentException ex)
        {
            int line = block.Item("_cell_angle_gamma")?.Line ?? block.Line;
            throw new CrystalFormatException(file, line, $"data_{block.Name}: invalid cell: {ex.Message}");
        }
    }

    private static readonly string[] SymopTags =
    [
        "_symmetry_equiv_pos_as_xyz", "_space_group_symop_operation_xyz",
        "_space_group_symop.operation_xyz", "_symmetry_equiv.pos_as_xyz",
    ];

    private static List<SymmetryOperation> ReadSymmetryOperations(CifBlock block, string file)
    {
        var ops = new List<SymmetryOperation>();
        var loop = block.FindLoop(SymopTags);
        IEnumerable<CifToken> tokens = loop is not null
            ? loop.Rows.Select(r => r[loop.ColumnOf(SymopTags)])
            : block.Item(SymopTags) is CifToken single ? [single] : [];
        foreach (var t in tokens)
        {
            try
            {
                ops.Add(SymmetryOperation.Parse(t.Text));
            }
            catch (FormatException ex)
            {
                throw new CrystalFormatException(file, t.Line, ex.Message);
            }
        }
        if (ops.Count > 0) return ops;

        // No operations listed: take them from spglib's table for the named space group (symbol first, then number).
        var hm = block.Item("_symmetry_space_group_name_h-m", "_space_group_name_h-m_alt", "_space_group.name_h-m_alt");
        var number = block.Item("_symmetry_int_tables_number", "_space_group_it_number", "_space_group.it_number");
        bool hasHm = hm is not null && hm.Value.Text is not ("?" or "." or "");
        bool hasNumber = number is not null && number.Value.Text is not ("?" or ".");
        if (!hasHm && !hasNumber) return [SymmetryOperation.Identity];
        SpaceGroupSetting? setting;
        if (hasHm)
        {
            setting = SpaceGroupDatabase.FindByHermannMauguin(hm!.Value.Text)
                ?? throw new CrystalFormatException(file, hm.Value.Line,
                    $"data_{block.Name}: space group '{hm.Value.Text}' is not a Hermann-Mauguin symbol spglib knows, and no symmetry operations (_symmetry_equiv_pos_as_xyz) are listed");
        }
        else
        {
            if (!int.TryParse(number!.Value.Text, out int sg) || sg < 1 || sg > 230)
                throw new CrystalFormatException(file, number.Value.Line, $"space group number '{number.Value.Text}' is not in 1..230");
            setting = SpaceGroupDatabase.FindByNumber(sg);
        }
        if (setting.Number != 1)
            Serilog.Log.Debug("{File}: data_{Block} lists no symmetry operations; using spglib's {Symbol} (Hall {Hall})",
                file, block.Name, setting.InternationalFull, setting.HallNumber);
        return SpaceGroupDatabase.GetOperations(setting).ToList();
    }

    private static List<(Site Site, int Line, string Label)> ReadAsymmetricSites(CifBlock block, Lattice lattice, string file)
    {
        var loop = block.FindLoop("_atom_site_fract_x", "_atom_site_cartn_x", "_atom_site.fract_x")!;
        int cType = loop.ColumnOf("_atom_site_type_symbol", "_atom_site.type_symbol");
        int cLabel = loop.ColumnOf("_atom_site_label", "_atom_site.label");
        int cOcc = loop.ColumnOf("_atom_site_occupancy", "_atom_site.occupancy");
        int cx = loop.ColumnOf("_atom_site_fract_x", "_atom_site.fract_x");
        int cy = loop.ColumnOf("_atom_site_fract_y", "_atom_site.fract_y");
        int cz = loop.ColumnOf("_atom_site_fract_z", "_atom_site.fract_z");
        bool cartesian = false;
        if (cx < 0)
        {
            cartesian = true;
            cx = loop.ColumnOf("_atom_site_cartn_x");
            cy = loop.ColumnOf("_atom_site_cartn_y");
            cz = loop.ColumnOf("_atom_site_cartn_z");
        }
        if (cx < 0 || cy < 0 || cz < 0)
            throw new CrystalFormatException(file, loop.Line, "atom site loop lacks one of the x, y, z coordinate columns");
        if (cType < 0 && cLabel < 0)
            throw new CrystalFormatException(file, loop.Line, "atom site loop has neither _atom_site_type_symbol nor _atom_site_label");

        var sites = new List<(Site, int, string)>();
        foreach (var row in loop.Rows)
        {
            int line = row[cx].Line;
            string label = cLabel >= 0 ? row[cLabel].Text : row[cType].Text;
            bool fromLabel = cType < 0 || row[cType].Text is "?" or ".";
            if (fromLabel && cLabel < 0)
                throw new CrystalFormatException(file, line, "site has no type symbol and the loop has no _atom_site_label");
            Element element = fromLabel
                ? ParseSpecies(label, isLabel: true, row[cLabel].Line, file)
                : ParseSpecies(row[cType].Text, isLabel: false, row[cType].Line, file);

            if (cOcc >= 0)
            {
                double occ = ParseNumber(row[cOcc], "_atom_site_occupancy", file) ?? 1.0;
                if (Math.Abs(occ - 1.0) > OccupancyTolerance)
                    throw new CrystalFormatException(file, row[cOcc].Line,
                        $"site {label} has partial occupancy {row[cOcc].Text}; only ordered crystals (occupancy 1) are supported");
            }
            var xyz = new double[3];
            int[] cols = [cx, cy, cz];
            for (int k = 0; k < 3; k++)
            {
                var tok = row[cols[k]];
                double? v = ParseNumber(tok, loop.Tags[cols[k]], file);
                if (v is not double d || !double.IsFinite(d))
                    throw new CrystalFormatException(file, tok.Line, $"site {label}: coordinate {"xyz"[k]} = '{tok.Text}' is not a finite number");
                xyz[k] = d;
            }
            var p = new Vec3(xyz[0], xyz[1], xyz[2]);
            sites.Add((new Site(element, cartesian ? lattice.GetFractionalCoords(p) : p), line, label));
        }
        if (sites.Count == 0) throw new CrystalFormatException(file, loop.Line, "atom site loop has no rows");
        return sites;
    }

    private static readonly System.Text.RegularExpressions.Regex TypeSymbol =
        new(@"^([A-Za-z]{1,2})(\d*[+-]?|[+-]\d*)$", System.Text.RegularExpressions.RegexOptions.Compiled);

    /// <summary>
    /// The element of a site. A type symbol ("Fe", "Fe2+", "O2-", "FE") must be exactly a symbol with an
    /// optional charge; a label ("Fe1", "O2a", "Ow") is read leniently: its leading letters, two-letter
    /// symbol first.
    /// </summary>
    internal static Element ParseSpecies(string text, bool isLabel, int line, string file)
    {
        if (!isLabel)
        {
            var m = TypeSymbol.Match(text);
            if (m.Success && Element.TryFromSymbol(Capitalize(m.Groups[1].Value), out var e)) return e;
            throw new CrystalFormatException(file, line, $"unknown element '{text}' in _atom_site_type_symbol");
        }
        int n = 0;
        while (n < text.Length && n < 2 && char.IsLetter(text[n])) n++;
        if (n == 2 && Element.TryFromSymbol(Capitalize(text[..2]), out var two)) return two;
        if (n >= 1 && Element.TryFromSymbol(Capitalize(text[..1]), out var one)) return one;
        throw new CrystalFormatException(file, line, $"unknown element in site label '{text}'");
    }

    private static string Capitalize(string s) => s.Length == 1 ? s.ToUpperInvariant() : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    /// <summary>Parses a CIF number, dropping a standard uncertainty "5.431(2)"; null for the CIF nulls '?' and '.'.</summary>
    internal static double? ParseNumber(CifToken token, string tag, string file)
    {
        string s = token.Text;
        if (!token.Quoted && (s == "?" || s == ".")) return null;
        int paren = s.IndexOf('(');
        if (paren >= 0)
        {
            if (!s.EndsWith(')')) throw new CrystalFormatException(file, token.Line, $"{tag} value '{s}' has an unclosed uncertainty");
            s = s[..paren];
        }
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) return v;
        if (s.Equals("nan", StringComparison.OrdinalIgnoreCase)) return double.NaN;
        throw new CrystalFormatException(file, token.Line, $"{tag} value '{token.Text}' is not a number");
    }
}
