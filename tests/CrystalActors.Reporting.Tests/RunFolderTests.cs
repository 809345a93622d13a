namespace CrystalActors.Reporting.Tests;

public sealed class RunFolderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("run-folder-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Detect_CampaignAndOfflineFolders()
    {
        SyntheticRuns.Campaign(Path.Combine(_dir, "c"));
        SyntheticRuns.Offline(Path.Combine(_dir, "o"));
        Assert.Equal(RunKind.Campaign, RunFolder.Detect(Path.Combine(_dir, "c")));
        Assert.Equal(RunKind.Offline, RunFolder.Detect(Path.Combine(_dir, "o")));
    }

    [Theory]
    [InlineData("wall_time,step,tag,value", RunKind.Campaign)]
    [InlineData("step,wall_s,loss,conservative,td,mean_q,steps_per_s", RunKind.Offline)]
    public void Detect_RunStillGoing_ByItsScalarsHeader(string header, RunKind kind)
    {
        File.WriteAllText(Path.Combine(_dir, "scalars.csv"), header + "\n");
        Assert.Equal(kind, RunFolder.Detect(_dir));
    }

    [Fact]
    public void Detect_NeitherOrMissing_OneLineNamingTheFolder()
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"), "{}");
        var neither = Assert.Throws<RunFolderException>(() => RunFolder.Detect(_dir));
        Assert.StartsWith($"{_dir}: neither a campaign run folder", neither.Message);
        Assert.DoesNotContain('\n', neither.Message);
        var missing = Path.Combine(_dir, "nope");
        Assert.Equal($"{missing}: no such folder", Assert.Throws<RunFolderException>(() => RunFolder.Detect(missing)).Message);
    }
}
