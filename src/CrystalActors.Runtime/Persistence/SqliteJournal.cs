using Microsoft.Data.Sqlite;

namespace CrystalActors.Runtime.Persistence;

/// <summary>The one-node journal file: created with its folder, switched to write-ahead logging once.</summary>
public static class SqliteJournal
{
    /// <summary>
    /// WAL lets `campaign audit`, `cluster status` and `cluster report` read the journal while the node writes it (a
    /// rollback journal would make them fail with "database is locked"), and with synchronous=NORMAL it survives
    /// SIGKILL of the writer. The mode is stored in the file, so the Akka plugin's own connections inherit it.
    /// </summary>
    public static void Prepare(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false }.ToString());
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "pragma journal_mode=WAL;";
        cmd.ExecuteNonQuery();
    }
}
