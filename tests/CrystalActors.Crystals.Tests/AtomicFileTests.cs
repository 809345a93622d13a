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
}
