using Microsoft.Data.Sqlite;

namespace CrystalActors.Runtime.Persistence;

/// <summary>
/// The coordinator's SQLite file (WAL). One writer process owns it; readers (`cluster status`) may open
/// it concurrently. Holds the event journal + snapshots, the job table (leases, fencing epochs), the
/// inbox (exactly-once apply), the outbox (publish-after-commit) and the node heartbeat table.
/// </summary>
public sealed class ClusterDatabase : IDisposable
{
    private const string Schema = """
        create table if not exists events(entity text not null, seq integer not null, type text not null,
            data text not null, at_ms integer not null, primary key(entity, seq));
        create table if not exists snapshots(entity text not null, seq integer not null, state text not null,
            at_ms integer not null, primary key(entity, seq));
        create table if not exists jobs(id text primary key, payload text not null, protocol text not null,
            requested_by text not null, state text not null, epoch integer not null default 0, worker text,
            lease_expires_ms integer, attempts integer not null default 0, result text, error text,
            created_ms integer not null, dispatched_ms integer, leased_ms integer, completed_ms integer, executor_seconds real);
        create index if not exists jobs_state on jobs(state, lease_expires_ms);
        create table if not exists inbox(message_id text primary key, kind text not null, outcome text not null, applied_ms integer not null);
        create table if not exists outbox(id integer primary key autoincrement, destination text not null,
            body blob not null, created_ms integer not null, published_ms integer);
        create index if not exists outbox_pending on outbox(published_ms, id);
        create table if not exists nodes(name text primary key, roles text not null, last_heartbeat_ms integer not null);
        """;

    private readonly SqliteConnection _connection;

    public string Path { get; }

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/>; ":memory:" for tests.</summary>
    public ClusterDatabase(string path, bool readOnly = false)
    {
        Path = path;
        if (!readOnly && path != ":memory:" && System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) is { } dir)
            Directory.CreateDirectory(dir);
        var csb = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        };
        _connection = new SqliteConnection(csb.ToString());
        _connection.Open();
        // WAL: readers never block the writer; synchronous=NORMAL in WAL survives process kills (SIGKILL),
        // which is the failure chaos.sh injects. busy_timeout covers a reader holding a lock briefly.
        Execute("pragma busy_timeout=5000;");
        if (!readOnly)
        {
            Execute("pragma journal_mode=WAL; pragma synchronous=NORMAL;");
            // One transaction, so a concurrent reader sees either no tables or all of them.
            InTransaction(() => Execute(Schema));
        }
    }

    public SqliteConnection Connection => _connection;

    /// <summary>False for a file whose creator has not written the schema yet (a reader that came too early).</summary>
    public bool HasSchema => Convert.ToInt64(Scalar("select count(*) from sqlite_master where type='table' and name='events'")) == 1;

    public string JournalMode => (string)Scalar("pragma journal_mode;")!;

    public int Execute(string sql, params (string Name, object? Value)[] args)
    {
        using var cmd = Command(sql, args);
        return cmd.ExecuteNonQuery();
    }

    public object? Scalar(string sql, params (string Name, object? Value)[] args)
    {
        using var cmd = Command(sql, args);
        return cmd.ExecuteScalar();
    }

    public SqliteCommand Command(string sql, params (string Name, object? Value)[] args)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd;
    }

    /// <summary>Runs <paramref name="work"/> in one IMMEDIATE transaction (takes the write lock up front, so no upgrade deadlocks).</summary>
    public T InTransaction<T>(Func<T> work)
    {
        Execute("begin immediate;");
        try
        {
            var r = work();
            Execute("commit;");
            return r;
        }
        catch
        {
            Execute("rollback;");
            throw;
        }
    }

    public void Dispose() => _connection.Dispose();
}
