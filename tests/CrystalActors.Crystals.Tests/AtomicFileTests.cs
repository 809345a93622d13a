using CrystalActors.Crystals.Io;

namespace CrystalActors.Crystals.Tests;

public class AtomicFileTests
{
    [Fact]
    public void AWriteThatFails_LeavesThePreviousFileAndNoTemporaryOne()
    {
        var dir = Directory.CreateTempSubdirectory("atomic-").FullName;
        try
        {
            var path = Path.Combine(dir, "report.json");
            AtomicFile.WriteAllText(path, "old");
            Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
            {
                s.Write("half a new file"u8);
                throw new IOException("No space left on device");
            }));
            Assert.Equal("old", File.ReadAllText(path));
            Assert.Equal(["report.json"], Directory.GetFiles(dir).Select(Path.GetFileName));
            AtomicFile.WriteAllText(path, "new");
            Assert.Equal("new", File.ReadAllText(path));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void PendingFile_NotCommitted_LeavesThePreviousFileAndNoTemporaryOne()
    {
        var dir = Directory.CreateTempSubdirectory("atomic-").FullName;
        try
        {
            var path = Path.Combine(dir, "out.xyz.gz");
            using (var first = DataFile.CreateText(path))
            {
                first.Writer.Write("old\n");
                first.Commit();
            }
            using (var second = DataFile.CreateText(path)) second.Writer.Write("a run stopped half way\n");
            using var read = DataFile.OpenText(path);
            Assert.Equal("old\n", read.ReadToEnd());
            Assert.Equal(["out.xyz.gz"], Directory.GetFiles(dir).Select(Path.GetFileName));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void TargetOf_TemporaryName_IsTheFileItStandsFor()
    {
        Assert.Equal("/r/report.json", AtomicFile.TargetOf("/r/.report.json.17.0123456789abcdef0123456789abcdef.tmp"));
        Assert.Equal("/r/.hidden.tmp", AtomicFile.TargetOf("/r/.hidden.tmp"));
        Assert.Equal("/r/report.json", AtomicFile.TargetOf("/r/report.json"));
    }
}
