using CrystalActors.Reporting.Csv;

namespace CrystalActors.Reporting.Tests.Csv;

public sealed class CsvTableTests
{
    [Fact]
    public void Parse_MalformedLines_AreSkippedWithOneWarningNamingTheFile()
    {
        var t = CsvTable.Parse("run/scalars.csv", ["step,loss", "1,0.5", "2", "3,0.25,9", "4,0.125"])!;
        Assert.Equal([1.0, 4], t.Numbers("step")!);
        Assert.Equal([0.5, 0.125], t.Numbers("loss")!);
        var warning = Assert.Single(t.Warnings);
        Assert.StartsWith("run/scalars.csv: skipped malformed lines 3, 4 ", warning);
    }

    [Fact]
    public void Numbers_ByHeaderName_MissingColumnIsNullAndBadCellsNaN()
    {
        var t = CsvTable.Parse("x.csv", ["b,a", "2,1", ",x"])!;
        Assert.Equal([1.0, double.NaN], t.Numbers("a")!);
        Assert.Null(t.Numbers("lr"));
        Assert.False(t.Has("lr"));
    }

    [Fact]
    public void Parse_QuotedFields_KeepTheirCommasAndQuotes()
    {
        var t = CsvTable.Parse("x.csv", ["formula,cif", "\"NaCl\",\"designs/a,b.cif\"", "\"say \"\"hi\"\"\",c.cif"])!;
        Assert.Equal(["designs/a,b.cif", "c.cif"], t.Text("cif")!.Select(c => c!));
        Assert.Equal("say \"hi\"", t.Text("formula")![1]);
    }

    [Fact]
    public void TryRead_EmptyFile_IsNullWithAWarning()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("csv-").FullName, "scalars.csv");
        File.WriteAllText(path, "");
        var warnings = new List<string>();
        Assert.Null(CsvTable.TryRead(path, warnings));
        Assert.Equal($"{path}: empty (no header line)", Assert.Single(warnings));
    }
}
