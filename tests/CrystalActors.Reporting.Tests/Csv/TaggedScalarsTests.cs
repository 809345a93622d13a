using CrystalActors.Reporting.Csv;

namespace CrystalActors.Reporting.Tests.Csv;

public sealed class TaggedScalarsTests
{
    [Fact]
    public void Read_GroupsByTagInFileOrder_DropsNaNQuietly_WarnsOnBadNumbers()
    {
        var t = CsvTable.Parse("run/scalars.csv",
        [
            "wall_time,step,tag,value", "1,1,charts/episode_reward,0.5", "1,1,dft/gap_ev,NaN", "1,2,charts/episode_reward,oops",
            "1,3,charts/episode_reward,-1", "1,3,dft/gap_ev,1.2",
        ])!;
        var warnings = new List<string>();
        var series = TaggedScalars.Read(t, warnings);
        Assert.Equal([1.0, 3], series["charts/episode_reward"].X);
        Assert.Equal([0.5, -1], series["charts/episode_reward"].Y);
        Assert.Equal([1.2], series["dft/gap_ev"].Y);
        Assert.Equal("run/scalars.csv: skipped malformed line 4 (step or value is not a number)", Assert.Single(warnings));
    }

    [Fact]
    public void Read_WrongHeader_WarnsAndGivesNoSeries()
    {
        var warnings = new List<string>();
        Assert.Empty(TaggedScalars.Read(CsvTable.Parse("s.csv", ["step,loss", "1,2"])!, warnings));
        Assert.Contains("s.csv: no step, tag and value columns", Assert.Single(warnings));
    }
}
