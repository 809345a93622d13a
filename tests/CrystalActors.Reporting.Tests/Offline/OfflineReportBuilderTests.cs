using CrystalActors.Reporting.Csv;
using CrystalActors.Reporting.Offline;

namespace CrystalActors.Reporting.Tests.Offline;

public sealed class OfflineReportBuilderTests : IDisposable
{
    private readonly string _run = Directory.CreateTempSubdirectory("offline-report-").FullName;

    public OfflineReportBuilderTests() => SyntheticRuns.Offline(_run);

    public void Dispose() => Directory.Delete(_run, recursive: true);

    private RunReport Build() => OfflineReportBuilder.Build(OfflineRunReader.Read(_run));

    [Fact]
    public void Build_PlotsEachScalarsColumnByName_AndNotesTheOnesThatAreZero()
    {
        var r = Build();
        Assert.Equal(["offline-loss", "offline-conservative", "offline-mean_q", "offline-steps_per_s", "offline-lr", "heldout"], r.Figures.Select(f => f.Id));
        Assert.Equal($"{Path.Combine(_run, "scalars.csv")}: td is 0 throughout; not plotted", Assert.Single(r.Notes));
        var loss = Assert.Single(((LineFigure)r.Figures[0]).Series);
        Assert.Equal((50.0, 10.0), (loss.X[0], loss.Y[0]));
        Assert.Equal((1000.0, 0.5), (loss.X[^1], loss.Y[^1]));
    }

    [Fact]
    public void Heldout_PlotsTheFractionsPresentOnAUnitAxis()
    {
        var f = Assert.IsType<LineFigure>(Build().Figures.Single(f => f.Id == "heldout"));
        Assert.Equal(["accuracy", "validity", "reconstruction"], f.Series.Select(s => s.Label));
        Assert.Equal([0.25, 0.5, 0.75, 1.0], f.Series[0].Y);
        Assert.True(f.UnitInterval);
        Assert.Contains("over 64 held-out crystals", f.Caption);
    }

    [Fact]
    public void Summary_HasProgressHeldoutAndOptions()
    {
        var r = Build();
        Assert.Equal($"Offline training {Path.GetFileName(_run)} (Cql)", r.Title);
        var summary = r.Summary.ToDictionary(s => s.Label, s => s.Value);
        Assert.Equal(("20", "1000", "0.5"), (summary["rows logged"], summary["last step"], summary["last loss"]));
        Assert.Equal("1.000", summary["held-out accuracy (last)"]);
        Assert.Equal("1.12", summary["Reward.TargetBandGap"]);
    }

    [Fact]
    public void ScalarFigures_MissingColumns_AreTolerated()
    {
        var notes = new List<string>();
        var figures = OfflineReportBuilder.ScalarFigures(CsvTable.Parse("s.csv", ["step,loss", "1,2", "2,1"])!, notes).ToList();
        Assert.Equal(["offline-loss"], figures.Select(f => f.Id));
        Assert.Empty(notes);
        Assert.Empty(OfflineReportBuilder.ScalarFigures(CsvTable.Parse("s.csv", ["loss", "2"])!, notes));
        Assert.Equal("s.csv: no step column; no curves from it", Assert.Single(notes));
    }

    [Fact]
    public void Build_NoHeldoutCsv_NoHeldoutFigureAndNoComplaint()
    {
        File.Delete(Path.Combine(_run, OfflineRunReader.HeldoutFile));
        var r = Build();
        Assert.DoesNotContain(r.Figures, f => f.Id == "heldout");
        Assert.Empty(r.Problems);
    }
}
