using CrystalActors.Crystals.Io;

namespace CrystalActors.Crystals.Tests.Io;

/// <summary>Issue #19: a full disk and a read-only folder are reported as such, naming the path.</summary>
public class FileErrorsTests
{
    [Fact]
    public void Describe_NoSpaceLeft_SaysDiskFullAndNamesThePath() =>
        Assert.Equal("/runs/x/report.json: disk full",
            FileErrors.Describe(new IOException("No space left on device : '/runs/x/report.json'", FileErrors.Enospc)));

    [Fact]
    public void Describe_TemporaryFileOfAnAtomicWrite_NamesTheFileItWasFor() =>
        Assert.Equal("/runs/x/designs.csv: disk full", FileErrors.Describe(new IOException(
            "No space left on device : '/runs/x/.designs.csv.4242.0123456789abcdef0123456789abcdef.tmp'", FileErrors.Enospc)));

    [Fact]
    public void Describe_QuotaExceededWithoutAPath_KeepsTheSystemWords() =>
        Assert.Equal("disk full: Disk quota exceeded", FileErrors.Describe(new IOException("Disk quota exceeded", FileErrors.Edquot)));

    [Theory]
    [InlineData(FileErrors.Erofs)]
    [InlineData(FileErrors.Eacces)]
    [InlineData(FileErrors.Eperm)]
    public void Describe_ReadOnlyErrno_SaysReadOnlyOrNotPermitted(int errno) =>
        Assert.Equal("/mnt/ro/a.cif: read-only or not permitted", FileErrors.Describe(new IOException("Read-only file system : '/mnt/ro/a.cif'", errno)));

    [Fact]
    public void Describe_WrappedDeepInsideOtherErrors_IsStillFound()
    {
        var full = new IOException("No space left on device : '/runs/x/report.json'", FileErrors.Enospc);
        var e = new AggregateException(new InvalidOperationException("unrelated"), new InvalidOperationException("report failed", full));
        Assert.Equal(FileErrorKind.DiskFull, FileErrors.Classify(e));
        Assert.Equal("/runs/x/report.json: disk full", FileErrors.Describe(e));
    }

    [Fact]
    public void Describe_OtherErrors_IsNullSoTheirOwnMessageStands()
    {
        Assert.Null(FileErrors.Describe(new IOException("The process cannot access the file", 11)));
        Assert.Null(FileErrors.Describe(new FileNotFoundException("Could not find file '/x'")));
        Assert.Null(FileErrors.Describe(new InvalidDataException("bad")));
    }

    [Fact]
    public void Describe_ExplicitPath_WinsOverTheMessage() =>
        Assert.Equal("journal.db: disk full", FileErrors.Describe(new IOException("No space left on device", FileErrors.Enospc), "journal.db"));

    /// <summary>The errno arrives as the HResult on this platform: a real ENOSPC from /dev/full.</summary>
    [Fact]
    public void Describe_RealWriteToDevFull_IsDiskFull()
    {
        if (!File.Exists("/dev/full")) return; // not Linux: nothing to check against
        var e = Assert.ThrowsAny<IOException>(() => File.WriteAllText("/dev/full", "x"));
        Assert.Equal(FileErrorKind.DiskFull, FileErrors.Classify(e));
        Assert.Equal("/dev/full: disk full", FileErrors.Describe(e));
    }

    [ReadOnlyFolderFact]
    public void Describe_AtomicWriteIntoAReadOnlyFolder_NamesTheTargetFile()
    {
        string target = Path.Combine(ReadOnlyFolderFactAttribute.Folder!, "report.json");
        var e = Assert.ThrowsAny<Exception>(() => AtomicFile.WriteAllText(target, "{}"));
        Assert.Equal($"{target}: read-only or not permitted", FileErrors.Describe(e));
    }
}

/// <summary>
/// Runs where some folder refuses new files: a temporary one made read-only (chmod 0555), or, for root, who may
/// write there all the same, sysfs, which no one may add a file to. Skipped where neither refuses.
/// </summary>
public sealed class ReadOnlyFolderFactAttribute : FactAttribute
{
    public static readonly string? Folder = Find();

    public ReadOnlyFolderFactAttribute()
    {
        if (Folder is null) Skip = "no folder here refuses writes (running as root, and sysfs accepts new files)";
    }

    private static string? Find()
    {
        var temp = Directory.CreateTempSubdirectory("ca-readonly-").FullName;
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
                                       | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        if (Refuses(temp)) return temp;
        Directory.Delete(temp);
        return Refuses("/sys") ? "/sys" : null;
    }

    private static bool Refuses(string folder)
    {
        var probe = Path.Combine(folder, $"probe-{Guid.NewGuid():N}");
        try
        {
            using (File.Create(probe)) { }
            File.Delete(probe);
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return FileErrors.Classify(e) == FileErrorKind.ReadOnlyOrNotPermitted;
        }
    }
}
