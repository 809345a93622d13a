namespace CrystalActors.Crystals.Tests;

public class SharedPathsTests
{
    [Fact]
    public void Resolve_FindsAMissingSharedPathWhereTheSharedFolderIs()
    {
        var real = SharedData.Mp20Val;
        // As a config in another folder would spell it: the file is not there, but shared/ is found.
        var elsewhere = Path.Combine(Path.GetTempPath(), "no-such-checkout", "cluster-config", "..", "..", "shared", "data", "mp20", "mp20_val.jsonl.gz");
        Assert.False(File.Exists(elsewhere));
        Assert.Equal(Path.GetFullPath(real), Path.GetFullPath(SharedPaths.Resolve(elsewhere)));
    }

    [Fact]
    public void Resolve_LeavesExistingAndNonSharedPathsAlone()
    {
        Assert.Equal(SharedData.Mp20Val, SharedPaths.Resolve(SharedData.Mp20Val));
        const string notShared = "/no/such/dir/runs/x.json";
        Assert.Equal(notShared, SharedPaths.Resolve(notShared));
        const string unknownInShared = "/no/such/shared/not-a-folder/x.bin";
        Assert.Equal(unknownInShared, SharedPaths.Resolve(unknownInShared));
    }

    [Fact]
    public void RequireShared_NamesTheVariableWhenNothingIsFound()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => SharedPaths.RequireShared("no-such-marker-folder"));
        Assert.Contains(SharedPaths.EnvironmentVariable, e.Message);
        Assert.Contains("no-such-marker-folder", e.Message);
    }
}
