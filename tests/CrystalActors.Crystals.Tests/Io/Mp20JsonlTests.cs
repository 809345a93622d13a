using CrystalActors.Crystals.Io;
using Xunit.Abstractions;

namespace CrystalActors.Crystals.Tests.Io;

public class Mp20JsonlTests(ITestOutputHelper output)
{
    [Fact]
    public void Read_ValSplit_Yields9047RecordsWithFields()
    {
        var records = Mp20Val.Records;
        Assert.Equal(9047, records.Count);
        var first = records[0];
        Assert.Equal(0, first.Index);
        Assert.Equal("mp-865981", first.MaterialId);
        Assert.Equal(["Tm", "Mg", "Hg", "Hg"], first.Species.Select(e => e.Symbol));
        Assert.Equal(225, first.SpacegroupNumber);
        Assert.Equal("TmMgHg2", first.PrettyFormula);
        Assert.Equal(-0.4363681541666666, first.FormationEnergyPerAtom);
        Assert.Equal(new Vec3(0.75, 0.75, 0.75), first.Structure!.Sites[2].FracCoords);
        Assert.Equal(new Vec3(1.45746314, 4.12232826, 2.5244002), first.Lattice.A);
        for (int i = 0; i < records.Count; i++) Assert.Equal(i, records[i].Index);
    }

    [Fact]
    public void Write_EveryValRecord_ReproducesTheInputLineByteForByte()
    {
        var lines = Mp20Val.Lines;
        int identical = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            string written = Mp20JsonWriter.ToJsonLine(Mp20JsonlReader.ParseLine(lines[i], "val", i + 1));
            if (written == lines[i]) identical++;
            else if (identical + 5 > i) output.WriteLine($"line {i + 1} differs:\n{lines[i]}\n{written}");
        }
        output.WriteLine($"{identical}/{lines.Length} lines identical");
        Assert.Equal(lines.Length, identical);
    }

    [Fact]
    public void Read_TrainWithoutCoordinates_HasNoStructureButComposition()
    {
        var first = Mp20JsonlReader.Read(SharedData.Path("data", "mp20", "mp20_train_nocoords.jsonl.gz")).First();
        Assert.Null(first.Structure);
        Assert.Equal("mp-1221227", first.MaterialId);
        Assert.Equal(12, first.NumAtoms);
        Assert.Equal(6, first.Composition[Element.FromSymbol("O")]);
    }

    private const string GoodLattice = "[[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]]";
    private const string GoodSpecies = "[\"Na\", \"Cl\"]";
    private const string GoodCoords = "[[0.0, 0.0, 0.0], [0.5, 0.5, 0.5]]";

    private static string Line(int index, string lattice = GoodLattice, string species = GoodSpecies, string coords = GoodCoords) =>
        $"{{\"index\": {index}, \"material_id\": \"x-{index}\", \"lattice\": {lattice}, \"species\": {species}, \"frac_coords\": {coords}}}";

    public static TheoryData<string, string> BadLines => new()
    {
        { Line(1, species: "[\"Na\", \"Xx\"]"), "unknown element 'Xx'" },
        { Line(1, coords: "[[0.0, 0.0, 0.0], [0.5, NaN, 0.5]]"), "non-finite number" },
        { Line(1, coords: "[[0.0, 0.0, 0.0]]"), "'frac_coords' must be a list of 2 triples" },
        { Line(1, lattice: "[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [2.0, 2.0, 0.0]]"), "volume" },
        { "{\"index\": 1, \"material_id\": \"x-1\", \"lattice\": [[1.0, 0.0", "invalid JSON" },
        // A field of the wrong JSON kind is the record's fault, not a crash of the whole read.
        { Line(1).Replace("\"x-1\"", "7"), "'material_id' is not a string" },
        { Line(1).Replace("\"index\": 1", "\"index\": \"1\""), "'index' is not an integer" },
        { Line(1, species: "[11, 17]"), "'species' holds 11" },
        { Line(1).Replace("}", ", \"num_atoms\": 2.5}"), "'num_atoms' is not an integer (2.5)" },
        { Line(1).Replace("}", ", \"spacegroup_number_symprec0.1\": \"225\"}"), "'spacegroup_number_symprec0.1' is not an integer" },
        { Line(1).Replace("}", ", \"band_gap\": 1e400}"), "'band_gap' is not a finite number" },
        { Line(1, lattice: "[[1e400, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]"), "'lattice' row 0 component 0 is not a finite number" },
    };

    [Theory]
    [MemberData(nameof(BadLines))]
    public void Read_BadRecord_IsReportedWithFileAndLineAndSkipped(string bad, string reason)
    {
        string text = Line(0) + "\n" + bad + "\n" + Line(2);
        var errors = new List<CrystalFormatException>();
        var records = Mp20JsonlReader.Read(new StringReader(text), "bad.jsonl", errors.Add).ToList();
        Assert.Equal([0, 2], records.Select(r => r.Index));
        var e = Assert.Single(errors);
        Assert.Equal("bad.jsonl", e.File);
        Assert.Equal(2, e.Line);
        Assert.Contains(reason, e.Message);
        Assert.StartsWith("bad.jsonl:2: ", e.Message);
    }
}
