using Akka.Actor;
using CrystalActors.Crystals.Io;
using Microsoft.Data.Sqlite;

namespace CrystalActors.Runtime.Persistence;

/// <summary>The one-node journal file: created with its folder, switched to write-ahead logging once.</summary>
public static class SqliteJournal
{
    // SQLite result codes (sqlite3.h) that are about the disk or the permissions, not about the journal's content.
    private const int SqlitePerm = 3;
    private const int SqliteReadOnly = 8;
    private const int SqliteIoErr = 10;
    private const int SqliteFull = 13;
    private const int SqliteCantOpen = 14;

    /// <summary>Below this much free space a journal write that failed without saying why is taken for a full disk.</summary>
    public const long LowFreeBytes = 1 << 20;

    /// <summary>
    /// WAL lets `campaign audit`, `cluster status` and `cluster report` read the journal while the node writes it (a
    /// rollback journal would make them fail with "database is locked"), and with synchronous=NORMAL it survives
    /// SIGKILL of the writer. The mode is stored in the file, so the Akka plugin's own connections inherit it.
    /// A one-row write follows, so that a full disk or a read-only folder stops the node here, with one line
    /// saying so, rather than inside the persistence plugin.
    /// </summary>
    /// <exception cref="IOException">the journal's disk is full, or its folder is read-only or not permitted.</exception>
    public static void Prepare(string path)
    {
        var full = Path.GetFullPath(path);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false }.ToString());
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = """
                pragma journal_mode=WAL;
                create table if not exists crystal_actors_write_check (at text not null);
                insert into crystal_actors_write_check (at) values (datetime('now'));
                delete from crystal_actors_write_check;
                """;
            cmd.ExecuteNonQuery();
        }
        catch (Exception e) when (Explain(e, full, FreeBytes(full)) is { } line)
        {
            throw new IOException($"journal {line}", e);
        }
    }

    /// <summary>
    /// One line for a journal failure that means a full disk or an unwritable folder, naming the journal; null for
    /// any other failure. SQLite says SQLITE_FULL or SQLITE_READONLY/PERM/CANTOPEN when it knows; but a write that
    /// fails inside a transaction can surface as "cannot rollback - no transaction is active" (SQLite already rolled
    /// back after the I/O error, and the provider's own rollback then fails and replaces the error) or as a bare
    /// SQLITE_IOERR. For those the free space of the journal's folder decides. Pure.
    /// </summary>
    /// <param name="freeBytes">Free space of the journal's file system, bytes; null when unknown.</param>
    public static string? Explain(Exception e, string journalPath, long? freeBytes)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (FileErrors.Classify(e) is var kind and not FileErrorKind.Other) return FileErrors.Line(journalPath, kind, e.Message);
        bool masked = false;
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is SqliteException s)
            {
                switch (s.SqliteErrorCode)
                {
                    case SqliteFull:
                        return FileErrors.Line(journalPath, FileErrorKind.DiskFull, s.Message);
                    case SqliteReadOnly or SqlitePerm or SqliteCantOpen:
                        return FileErrors.Line(journalPath, FileErrorKind.ReadOnlyOrNotPermitted, s.Message);
                    case SqliteIoErr:
                        masked = true;
                        break;
                }
            }
            if (x.Message.Contains("cannot rollback - no transaction is active", StringComparison.OrdinalIgnoreCase)) masked = true;
        }
        return masked && freeBytes < LowFreeBytes ? FileErrors.Line(journalPath, FileErrorKind.DiskFull, e.Message) : null;
    }

    /// <summary>
    /// <see cref="Explain(Exception, string, long?)"/> for the SQLite journal an actor system writes (none for
    /// PostgreSQL): what a persistent actor logs when a journal write fails.
    /// </summary>
    public static string? Explain(ActorSystem system, Exception cause)
    {
        var connection = system.Settings.Config.GetString("akka.persistence.journal.sql.connection-string", "");
        if (!system.Settings.Config.GetString("akka.persistence.journal.sql.provider-name", "").StartsWith("SQLite", StringComparison.Ordinal)) return null;
        string? path;
        try { path = new SqliteConnectionStringBuilder(connection).DataSource; }
        catch (ArgumentException) { return null; }
        return string.IsNullOrEmpty(path) ? null : Explain(cause, path, FreeBytes(path));
    }

    /// <summary>Free bytes of the file system holding <paramref name="path"/>, or null when it cannot be told.</summary>
    public static long? FreeBytes(string path)
    {
        try { return new DriveInfo(Path.GetDirectoryName(Path.GetFullPath(path))!).AvailableFreeSpace; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { return null; }
    }
}
