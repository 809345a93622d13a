using CrystalActors.Crystals.Io;
using CrystalActors.Crystals.Neighbors;
using CrystalActors.Crystals.Symmetry;

namespace CrystalActors.Crystals.Tests.Io;

public class CifReaderTests
{
    internal static string DataFile(string name) => Path.Combine(AppContext.BaseDirectory, "Data", name);

    private static double ShortestBond(Structure s) => NeighborSearch.FindNeighbors(s, 4.0).Distances.Min();

    [Fact]
    public void Read_RockSaltFm3m_ExpandsTo8SitesWithHalfCellBonds()
    {
        var s = CifReader.ReadFile(DataFile("nacl_Fm-3m.cif"));
        Assert.Equal(8, s.NumSites);
        Assert.Equal(4, s.Composition[Element.FromSymbol("Na")]);
        Assert.Equal(4, s.Composition[Element.FromSymbol("Cl")]);
        Assert.Equal(5.6402, s.Lattice.Parameters.A, 10); // uncertainty "(3)" dropped
        Assert.Equal(5.6402 / 2, ShortestBond(s), 9);
        Assert.Equal(225, SpaceGroupAnalyzer.GetSpaceGroupNumber(s));
    }

    [Fact]
    public void Read_DiamondSiFd3m_ExpandsTo8SitesWithTetrahedralBonds()
    {
        var s = CifReader.ReadFile(DataFile("si_Fd-3m.cif"));
        Assert.Equal(8, s.NumSites);
        Assert.All(s.Sites, x => Assert.Equal("Si", x.Species.Symbol));
        Assert.Equal(5.431020511 * Math.Sqrt(3) / 4, ShortestBond(s), 9);
        var nl = NeighborSearch.FindNeighbors(s, 2.4);
        Assert.Equal(4 * 8, nl.Count); // four-fold coordination
        Assert.Equal(227, SpaceGroupAnalyzer.GetSpaceGroupNumber(s));
    }

    [Fact]
    public void Read_WurtziteP63mc_ExpandsTo4SitesWithQuotedValuesAndTextField()
    {
        var s = CifReader.ReadFile(DataFile("zno_wurtzite_P63mc.cif"));
        Assert.Equal(4, s.NumSites);
        Assert.Equal(2, s.Composition[Element.FromSymbol("Zn")]);
        Assert.Equal(2, s.Composition[Element.FromSymbol("O")]);
        Assert.Equal(120, s.Lattice.Parameters.Gamma, 9);
        // The three basal Zn-O bonds, sqrt(a²/3 + ((1/2 - u) c)²), are shorter than the axial one (u c).
        Assert.Equal(Math.Sqrt(3.2498 * 3.2498 / 3 + Math.Pow((0.5 - 0.3819) * 5.2066, 2)), ShortestBond(s), 4);
        Assert.Equal(186, SpaceGroupAnalyzer.GetSpaceGroupNumber(s));
    }

    [Fact]
    public void Read_PymatgenP1Cif_FromTheValCsv()
    {
        const string cif = """
            # generated using pymatgen
            data_TmMgHg2
            _symmetry_space_group_name_H-M   'P 1'
            _cell_length_a   5.04880040
            _cell_length_b   5.04880040
            _cell_length_c   5.04880040
            _cell_angle_alpha   60.00000000
            _cell_angle_beta   60.00000000
            _cell_angle_gamma   60.00000000
            _symmetry_Int_Tables_number   1
            loop_
             _symmetry_equiv_pos_site_id
             _symmetry_equiv_pos_as_xyz
              1  'x, y, z'
            loop_
             _atom_site_type_symbol
             _atom_site_label
             _atom_site_symmetry_multiplicity
             _atom_site_fract_x
             _atom_site_fract_y
             _atom_site_fract_z
             _atom_site_occupancy
              Tm  Tm0  1  0.00000000  0.00000000  0.00000000  1
              Mg  Mg1  1  0.50000000  0.50000000  0.50000000  1
              Hg  Hg2  1  0.75000000  0.75000000  0.75000000  1
              Hg  Hg3  1  0.25000000  0.25000000  0.25000000  1
            """;
        var s = CifReader.Parse(cif);
        Assert.Equal("TmMgHg2", s.Composition.ReducedFormula);
        Assert.Equal(91.00172126, s.Volume, 6);
    }

    [Fact]
    public void ParseAll_TwoBlocksAndCartesianSites_GivesOneStructurePerBlockWithAtoms()
    {
        const string cif = """
            data_global
            _journal_name_full 'Not a structure'
            data_CsCl
            _cell_length_a 4.123
            _cell_length_b 4.123
            _cell_length_c 4.123
            _cell_angle_alpha 90
            _cell_angle_beta 90
            _cell_angle_gamma 90
            loop_
            _atom_site_label
            _atom_site_Cartn_x
            _atom_site_Cartn_y
            _atom_site_Cartn_z
            Cs1 0 0 0
            Cl1 2.0615 2.0615 2.0615
            data_Po
            _cell_length_a 3.359
            _cell_length_b 3.359
            _cell_length_c 3.359
            _cell_angle_alpha 90
            _cell_angle_beta 90
            _cell_angle_gamma 90
            loop_
            _atom_site_type_symbol
            _atom_site_fract_x
            _atom_site_fract_y
            _atom_site_fract_z
            Po 0 0 0
            """;
        var all = CifReader.ParseAll(cif, "two.cif");
        Assert.Equal(2, all.Count);
        Assert.Equal("CsCl", all[0].Composition.ReducedFormula);
        Assert.True(all[0].Sites[1].FracCoords.ApproxEquals(new Vec3(0.5, 0.5, 0.5), 1e-12));
        Assert.Equal(221, SpaceGroupAnalyzer.GetSpaceGroupNumber(all[0]));
        Assert.Equal(1, all[1].NumSites);
    }

    private static CrystalFormatException ReadBroken(string name, Func<string, string> breakIt)
    {
        string text = breakIt(File.ReadAllText(DataFile(name)));
        return Assert.Throws<CrystalFormatException>(() => CifReader.Parse(text, "broken.cif"));
    }

    private static int LineOf(string name, string needle) =>
        Array.FindIndex(File.ReadAllLines(DataFile(name)), l => l.Contains(needle)) + 1;

    [Fact]
    public void ParseAll_WithABadBlockHandler_ReportsTheBadBlockAndKeepsTheOthers()
    {
        string good = File.ReadAllText(DataFile("nacl_Fm-3m.cif"));
        string bad = good.Replace("data_NaCl_rocksalt", "data_bad").Replace("Cl1 Cl1-", "Cl1 Qq1-");
        var faults = new List<CrystalFormatException>();
        var all = CifReader.ParseAll(good + "\n" + bad + "\n" + good.Replace("data_NaCl_rocksalt", "data_again"), "three.cif", faults.Add);
        Assert.Equal(2, all.Count);
        var f = Assert.Single(faults);
        Assert.Contains("unknown element 'Qq1-'", f.Reason);
        Assert.Throws<CrystalFormatException>(() => CifReader.ParseAll(good + "\n" + bad, "two.cif")); // no handler: the first fault throws
    }

    [Fact]
    public void Read_TruncatedLoop_NamesTheLoopAndLine()
    {
        var ex = ReadBroken("zno_wurtzite_P63mc.cif", t => t.Replace(" 1  # comment after a row", ""));
        Assert.Equal("broken.cif", ex.File);
        Assert.Equal(LineOf("zno_wurtzite_P63mc.cif", "O1  O2-"), ex.Line);
        Assert.Contains("truncated", ex.Reason);
        Assert.Contains("_atom_site_label", ex.Reason);
    }

    [Fact]
    public void Read_UnknownElement_NamesItAndTheLine()
    {
        var ex = ReadBroken("nacl_Fm-3m.cif", t => t.Replace("Cl1 Cl1-", "Cl1 Qq1-"));
        Assert.Equal(LineOf("nacl_Fm-3m.cif", "Cl1 Cl1-"), ex.Line);
        Assert.Contains("unknown element 'Qq1-'", ex.Message);
        Assert.StartsWith($"broken.cif:{ex.Line}: ", ex.Message);
    }

    [Fact]
    public void Read_NaNCoordinate_IsRejectedAtItsLine()
    {
        var ex = ReadBroken("nacl_Fm-3m.cif", t => t.Replace("b 0.5 0.5 0.5", "b 0.5 nan 0.5"));
        Assert.Equal(LineOf("nacl_Fm-3m.cif", "Cl1 Cl1-"), ex.Line);
        Assert.Contains("coordinate y = 'nan' is not a finite number", ex.Reason);
    }

    [Fact]
    public void Read_ZeroVolumeCell_IsRejected()
    {
        // alpha = beta = gamma = 120° makes the three vectors coplanar.
        var ex = ReadBroken("si_Fd-3m.cif", t => t.Replace("_cell_angle_alpha 90.0", "_cell_angle_alpha 120")
            .Replace("_cell_angle_beta  90.0", "_cell_angle_beta  120").Replace("_cell_angle_gamma 90.0", "_cell_angle_gamma 120"));
        Assert.Equal(LineOf("si_Fd-3m.cif", "_cell_angle_gamma"), ex.Line);
        Assert.Contains("volume", ex.Reason);
    }

    [Fact]
    public void Read_PartialOccupancy_IsRejectedWithAClearMessage()
    {
        var ex = ReadBroken("nacl_Fm-3m.cif", t => t.Replace("b 0.5 0.5 0.5 1.0", "b 0.5 0.5 0.5 0.5"));
        Assert.Contains("site Cl1 has partial occupancy 0.5", ex.Reason);
    }

    private static string WithoutOperations(string cif) =>
        System.Text.RegularExpressions.Regex.Replace(cif, @"(?s)loop_\s+(_symmetry_equiv_pos_site_id\s+|_space_group_symop_id\s+)?(_symmetry_equiv_pos_as_xyz|_space_group_symop_operation_xyz).*?(?=loop_)", "");

    [Theory]
    [InlineData("zno_wurtzite_P63mc.cif", 4)]  // "P 63 m c"
    [InlineData("nacl_Fm-3m.cif", 8)]          // "F m -3 m"
    [InlineData("si_Fd-3m.cif", 8)]            // "F d -3 m :1" (origin choice 1)
    public void Read_SpaceGroupNamedWithoutOperations_TakesThemFromSpglib(string file, int sites)
    {
        string text = WithoutOperations(File.ReadAllText(DataFile(file)));
        Assert.DoesNotContain("'x, y, z'", text);
        var s = CifReader.Parse(text, file);
        Assert.Equal(sites, s.NumSites);
        Assert.True(s.ApproxEquals(CifReader.ReadFile(DataFile(file)), 1e-12, 1e-5) || SameSiteSet(s, CifReader.ReadFile(DataFile(file))));
    }

    private static bool SameSiteSet(Structure a, Structure b) =>
        a.Sites.All(x => b.Sites.Any(y => y.Species == x.Species && Wrapped(y.FracCoords - x.FracCoords).ApproxEquals(Vec3.Zero, 1e-5)));

    private static Vec3 Wrapped(Vec3 d) => d - d.Round();

    [Fact]
    public void Read_UnknownSpaceGroupWithoutOperations_IsRejected()
    {
        var ex = ReadBroken("zno_wurtzite_P63mc.cif", t => WithoutOperations(t).Replace("\"P 63 m c\"", "\"P 6 q\""));
        Assert.Equal(LineOf("zno_wurtzite_P63mc.cif", "_symmetry_space_group_name_H-M"), ex.Line);
        Assert.Contains("'P 6 q'", ex.Reason);
    }

    [Fact]
    public void Read_UnterminatedQuote_IsRejectedAtItsLine()
    {
        var ex = ReadBroken("nacl_Fm-3m.cif", t => t.Replace("'Halite'", "'Halite"));
        Assert.Equal(LineOf("nacl_Fm-3m.cif", "Halite"), ex.Line);
        Assert.Contains("unterminated", ex.Reason);
    }

    [Fact]
    public void Read_ValCsv_MatchesTheJsonlStructures()
    {
        var json = Mp20Val.Records;
        var errors = new List<CrystalFormatException>();
        int n = 0;
        foreach (var r in Mp20CsvReader.Read(SharedData.Mp20ValCsv, errors.Add))
        {
            var j = json[r.Index];
            Assert.Equal(j.MaterialId, r.MaterialId);
            Assert.Equal(j.BandGap, r.BandGap);
            // The CIF rebuilds the lattice from parameters (other orientation) and wraps coordinates into [0, 1).
            var pj = j.Lattice.Parameters; var pc = r.Lattice.Parameters;
            Assert.Equal(pj.A, pc.A, 1e-7); Assert.Equal(pj.Gamma, pc.Gamma, 1e-6);
            Assert.Equal(j.Structure!.NumSites, r.Structure!.NumSites);
            for (int i = 0; i < r.Structure.NumSites; i++)
            {
                Assert.Same(j.Structure.Sites[i].Species, r.Structure.Sites[i].Species);
                var d = r.Structure.Sites[i].FracCoords - j.Structure.Sites[i].FracCoords;
                Assert.True((d - d.Round()).ApproxEquals(Vec3.Zero, 2e-8), $"{r.MaterialId} site {i}");
            }
            n++;
        }
        Assert.Empty(errors);
        Assert.Equal(9047, n);
    }

    [Fact]
    public void Read_CsvWithBrokenCif_ReportsTheCsvLineAndSkipsTheRow()
    {
        string csv = ",material_id,band_gap,cif\n"
            + "0,mp-1,0.0,\"data_a\n_cell_length_a 4\n_cell_length_b 4\n_cell_length_c 4\n_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\nloop_\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nNa 0 0 0\n\"\n"
            + "1,mp-2,0.0,\"data_b\n_cell_length_a 4\n_cell_length_b 4\n_cell_length_c 4\n_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\nloop_\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nXq 0 0 0\n\"\n";
        var errors = new List<CrystalFormatException>();
        var rows = Mp20CsvReader.Read(new StringReader(csv), "x.csv", errors.Add).ToList();
        Assert.Equal("mp-1", Assert.Single(rows).MaterialId);
        var e = Assert.Single(errors);
        Assert.Equal(28, e.Line); // "Xq 0 0 0": header 1, row one 2-15, row two from 16
        Assert.Contains("unknown element 'Xq'", e.Reason);
    }
}
