using CrystalActors.Runtime.Persistence;
using Microsoft.Data.Sqlite;

namespace CrystalActors.Runtime.Tests.Persistence;

/// <summary>Issue #19: on a full disk the real SQLite error was hidden behind "cannot rollback - no transaction is active".</summary>
public class SqliteJournalTests
{
    private const string Journal = "/runs/x/state/journal.db";
    private const long Plenty = 10L << 30;

    [Fact]
    public void Explain_SqliteFull_IsDiskFull() =>
        Assert.Equal($"{Journal}: disk full", SqliteJournal.Explain(new SqliteException("SQLite Error 13: 'database or disk is full'.", 13), Journal, Plenty));

    [Theory]
    [InlineData(8)]  // SQLITE_READONLY
    [InlineData(3)]  // SQLITE_PERM
    [InlineData(14)] // SQLITE_CANTOPEN
    public void Explain_ReadOnlyCodes_AreReadOnlyOrNotPermitted(int code) =>
        Assert.Equal($"{Journal}: read-only or not permitted", SqliteJournal.Explain(new SqliteException("SQLite Error", code), Journal, Plenty));

    [Fact]
    public void Explain_CannotRollbackOnAFullFileSystem_IsDiskFull()
    {
        var masked = new InvalidOperationException("write failed", new SqliteException("SQLite Error 1: 'cannot rollback - no transaction is active'.", 1));
        Assert.Equal($"{Journal}: disk full", SqliteJournal.Explain(masked, Journal, freeBytes: 4096));
    }

    [Fact]
    public void Explain_CannotRollbackWithSpaceLeft_IsNotCalledADiskProblem()
    {
        var masked = new SqliteException("SQLite Error 1: 'cannot rollback - no transaction is active'.", 1);
        Assert.Null(SqliteJournal.Explain(masked, Journal, Plenty));
        Assert.Null(SqliteJournal.Explain(masked, Journal, freeBytes: null));
    }

    [Fact]
    public void Explain_OtherErrors_AreNull() =>
        Assert.Null(SqliteJournal.Explain(new SqliteException("SQLite Error 19: 'UNIQUE constraint failed'.", 19), Journal, 4096));

    [Fact]
    public void Explain_FileErrorOnTheWay_IsNamedForTheJournal() =>
        Assert.Equal($"{Journal}: disk full", SqliteJournal.Explain(new IOException("No space left on device", 28), Journal, Plenty));

    [Fact]
    public void Prepare_NewFolder_CreatesAWritableWalJournal()
    {
        var dir = Directory.CreateTempSubdirectory("ca-journal-").FullName;
        try
        {
            var path = Path.Combine(dir, "state", "journal.db");
            SqliteJournal.Prepare(path);
            SqliteJournal.Prepare(path); // again, as a restarted node does
            using var c = new SqliteConnection($"Data Source={path};Pooling=False");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "pragma journal_mode;";
            Assert.Equal("wal", cmd.ExecuteScalar());
            Assert.True(SqliteJournal.FreeBytes(path) > 0);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Prepare_UnderSysfs_SaysReadOnlyOrNotPermitted()
    {
        // sysfs takes no new files, not even from root (where chmod 0555 would not stop a write).
        if (!Directory.Exists("/sys/kernel")) return;
        var path = $"/sys/kernel/crystal-actors-{Guid.NewGuid():N}/journal.db";
        var e = Assert.ThrowsAny<Exception>(() => SqliteJournal.Prepare(path));
        Assert.Contains("read-only or not permitted", e.Message);
        Assert.Contains("crystal-actors-", e.Message);
    }
}
