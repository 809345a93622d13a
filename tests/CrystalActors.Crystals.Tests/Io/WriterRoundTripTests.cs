using CrystalActors.Crystals.Io;

namespace CrystalActors.Crystals.Tests.Io;

/// <summary>Every writer followed by its reader gives back the structure, on textbook and real MP-20 crystals.</summary>
public class WriterRoundTripTests
{
    public static TheoryData<int> SampleIndices => new() { 0, 1, 17, 512, 2048, 4000, 7777, 9046 };

    private static Structure Val(int index) => Mp20Val.Records[index].Structure!;

    [Theory]
    [MemberData(nameof(SampleIndices))]
    public void Cif_WriteThenRead_KeepsParametersSpeciesAndCoordinates(int index)
    {
        var s = Val(index);
        var back = CifReader.Parse(CifWriter.Write(s), "roundtrip.cif");
        var p = s.Lattice.Parameters; var q = back.Lattice.Parameters;
        // The CIF carries parameters to 8 decimals, so the lattice comes back in pymatgen's orientation.
        Assert.Equal(p.A, q.A, 1e-7); Assert.Equal(p.B, q.B, 1e-7); Assert.Equal(p.C, q.C, 1e-7);
        Assert.Equal(p.Alpha, q.Alpha, 1e-6); Assert.Equal(p.Beta, q.Beta, 1e-6); Assert.Equal(p.Gamma, q.Gamma, 1e-6);
        Assert.Equal(s.NumSites, back.NumSites);
        for (int i = 0; i < s.NumSites; i++)
        {
            Assert.Same(s.Sites[i].Species, back.Sites[i].Species);
            var d = back.Sites[i].FracCoords - s.Sites[i].FracCoords;
            Assert.True((d - d.Round()).ApproxEquals(Vec3.Zero, 1e-8));
        }
    }

    [Fact]
    public void Cif_Write_IsDeterministicPymatgenLayout()
    {
        string text = CifWriter.Write(Val(0));
        Assert.Equal(text, CifWriter.Write(Val(0)));
        Assert.Contains("_symmetry_space_group_name_H-M   'P 1'", text);
        Assert.Contains("_cell_length_a   5.04880040", text); // same digits as pymatgen's CIF in the val CSV
        Assert.Contains("_cell_volume   91.00172126", text);
        Assert.Contains("  Hg  Hg2  1  0.75000000  0.75000000  0.75000000  1", text);
    }

    [Theory]
    [MemberData(nameof(SampleIndices))]
    public void Poscar_WriteThenRead_KeepsLatticeAndSitesGroupedBySpecies(int index)
    {
        var s = Val(index);
        var back = Poscar.Parse(Poscar.Write(s), "POSCAR");
        Assert.True(back.Lattice.ApproxEquals(s.Lattice, 1e-12));
        // POSCAR groups sites by element: compare as multisets of (species, position).
        var expected = s.Sites.OrderBy(x => x.Species.Z).ThenBy(x => x.FracCoords.X).ThenBy(x => x.FracCoords.Y).ThenBy(x => x.FracCoords.Z).ToList();
        var actual = back.Sites.OrderBy(x => x.Species.Z).ThenBy(x => x.FracCoords.X).ThenBy(x => x.FracCoords.Y).ThenBy(x => x.FracCoords.Z).ToList();
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Same(expected[i].Species, actual[i].Species);
            Assert.True(expected[i].FracCoords.ApproxEquals(actual[i].FracCoords, 1e-14));
        }
    }

    [Theory]
    [MemberData(nameof(SampleIndices))]
    public void ExtendedXyz_WriteThenRead_IsExactUpToFloatingPoint(int index)
    {
        var s = Val(index);
        var back = ExtendedXyz.Parse(ExtendedXyz.Write(s), "x.xyz");
        Assert.Equal(s.Lattice.Matrix, back.Lattice.Matrix); // "R" formatting round-trips doubles exactly
        Assert.Equal(s.Id, back.Id);
        Assert.True(back.ApproxEquals(s, 0, 1e-12));
    }

    [Fact]
    public void Json_WriteThenRead_GivesTheSameRecordAndText()
    {
        foreach (int index in new[] { 0, 9046 })
        {
            var r = Mp20Val.Records[index];
            string line = Mp20JsonWriter.ToJsonLine(r);
            var back = Mp20JsonlReader.ParseLine(line);
            Assert.Equal(line, Mp20JsonWriter.ToJsonLine(back));
            Assert.True(back.Structure!.ApproxEquals(r.Structure!, 0, 0));
            // The line a record was read from is where it was, not what it is.
            Assert.Equal(r with { Structure = null, Lattice = back.Lattice, Species = back.Species, Line = back.Line }, back with { Structure = null });
        }
    }

    [Theory]
    [InlineData(0.0, "0.0")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(1.0, "1.0")]
    [InlineData(4.5621928503211694e-09, "4.5621928503211694e-09")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(123456789012345678.0, "1.2345678901234568e+17")]
    [InlineData(1e16, "1e+16")]
    [InlineData(-0.4363681541666666, "-0.4363681541666666")]
    public void PythonFloat_MatchesPythonRepr(double x, string repr) => Assert.Equal(repr, PythonFloat.Format(x));
}
