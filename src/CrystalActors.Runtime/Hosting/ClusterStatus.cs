using CrystalActors.Runtime.Messages;
using CrystalActors.Runtime.Persistence;
using CrystalActors.Runtime.Transport;

namespace CrystalActors.Runtime.Hosting;

public sealed record NodeStatus(string Name, string Roles, DateTimeOffset LastHeartbeat, double AgeSeconds);
public sealed record QueueStatus(string Destination, long? Depth);
public sealed record DeadLetter(string JobId, string Sender, string Detail);

/// <summary>Where job time goes: pw.x (executor) versus everything else between lease and commit.</summary>
/// <param name="MeanLeaseToCommitSeconds">Mean time from lease grant to the result's commit, per completed job.</param>
/// <param name="OverheadFraction">(lease→commit − executor) / executor, summed over jobs.</param>
public sealed record OverheadStats(int Jobs, double MeanExecutorSeconds, double MeanLeaseToCommitSeconds, double MeanOverheadSeconds, double OverheadFraction);

/// <summary>Counts from the event journal: the acceptance line of chaos.sh.</summary>
public sealed record JournalReport(int Jobs, int Completed, int Lost, int Duplicated, int Failed)
{
    public override string ToString() => $"jobs={Jobs} completed={Completed} lost={Lost} duplicated={Duplicated}";

    /// <summary>
    /// Jobs = distinct JobRequested; Completed = distinct jobs with a JobCompleted; Duplicated = JobCompleted
    /// events beyond the first per job; Lost = requested jobs without a completion (strict: a job that failed
    /// for good counts as lost too, and is also counted in <see cref="Failed"/>).
    /// </summary>
    public static JournalReport FromJournal(EventJournal journal)
    {
        var requested = new HashSet<string>();
        var completions = new Dictionary<string, int>();
        var failed = new HashSet<string>();
        foreach (var e in journal.Events(JobStore.JournalEntity))
        {
            var id = System.Text.Json.JsonDocument.Parse(e.Data).RootElement.GetProperty("jobId").GetString()!;
            switch (e.Type)
            {
                case "JobRequested": requested.Add(id); break;
                case "JobCompleted": completions[id] = completions.GetValueOrDefault(id) + 1; break;
                case "JobFailed": failed.Add(id); break;
            }
        }
        var completed = requested.Count(completions.ContainsKey);
        return new JournalReport(requested.Count, completed, requested.Count - completed, completions.Values.Sum(n => n - 1), failed.Count);
    }
}

/// <summary>Everything `crystal-actors cluster status` shows.</summary>
public sealed record ClusterStatusReport(
    string Topology, IReadOnlyList<NodeStatus> Nodes, IReadOnlyDictionary<string, int> JobsByState, IReadOnlyList<QueueStatus> Queues,
    IReadOnlyList<DeadLetter> DeadLetters, JournalReport Journal, OverheadStats Overhead, string? BrokerError);

public static class ClusterStatus
{
    /// <summary>Reads the coordinator database (read-only) and, for rabbitmq topologies, queue depths and the DLQ from the broker.</summary>
    public static async Task<ClusterStatusReport> CollectAsync(Topology topology, ITransport? transport = null, CancellationToken ct = default)
    {
        if (!File.Exists(topology.DatabasePath))
            throw new FileNotFoundException($"no coordinator database at {topology.DatabasePath} (has the coordinator of '{topology.Name}' run from this directory?)");
        using var db = new ClusterDatabase(topology.DatabasePath, readOnly: true);
        if (!db.HasSchema) throw new InvalidDataException($"{topology.DatabasePath} has no cluster schema yet (the coordinator is still creating it, or it is not a coordinator database)");
        var store = new JobStore(db);
        var now = DateTimeOffset.UtcNow;
        var nodes = new List<NodeStatus>();
        using (var cmd = db.Command("select name, roles, last_heartbeat_ms from nodes order by name"))
        using (var r = cmd.ExecuteReader())
            while (r.Read())
            {
                var at = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2));
                nodes.Add(new NodeStatus(r.GetString(0), r.GetString(1), at, (now - at).TotalSeconds));
            }
        var report = JournalReport.FromJournal(store.Journal);
        var overhead = Overhead(db);

        var farming = new Farming.FarmingOptions();
        var queues = new List<QueueStatus>();
        var dead = new List<DeadLetter>();
        string? brokerError = null;
        var owned = false;
        try
        {
            if (transport is null && topology.Transport == "rabbitmq")
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                cts.CancelAfter(TimeSpan.FromSeconds(5));
                transport = await RabbitMqTransport.ConnectAsync(topology.AmqpUri(), new TransportOptions { NodeName = "cluster-status" }, cts.Token).ConfigureAwait(false);
                owned = true;
            }
            if (transport is not null)
            {
                foreach (var q in new[] { farming.JobQueue, Destinations.DeadLetterOf(farming.JobQueue), farming.CoordinatorQueue, Destinations.DeadLetterOf(farming.CoordinatorQueue) })
                    queues.Add(new QueueStatus(q, await transport.DepthAsync(q, ct).ConfigureAwait(false)));
                foreach (var d in await transport.PeekAsync(Destinations.DeadLetterOf(farming.JobQueue), 20, ct).ConfigureAwait(false))
                    dead.Add(MessageCodec.Default.TryDecode(d.Body, d.TransportSender, out var e, out var f)
                        ? new DeadLetter((e!.Message as IWithJobId)?.JobId ?? "-", e.Sender, e.Message.GetType().Name)
                        : new DeadLetter("-", f!.Sender, f.Reason));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or RabbitMQ.Client.Exceptions.BrokerUnreachableException)
        {
            brokerError = e.Message;
        }
        finally
        {
            if (owned && transport is not null) await transport.DisposeAsync().ConfigureAwait(false);
        }
        return new ClusterStatusReport(topology.Name, nodes, store.CountByState(), queues, dead, report, overhead, brokerError);
    }

    public static JournalReport Journal(string databasePath)
    {
        using var db = new ClusterDatabase(databasePath, readOnly: true);
        return db.HasSchema ? JournalReport.FromJournal(new EventJournal(db)) : new JournalReport(0, 0, 0, 0, 0);
    }

    public static OverheadStats Overhead(ClusterDatabase db)
    {
        using var cmd = db.Command("""
            select count(*), coalesce(avg(executor_seconds), 0), coalesce(avg((completed_ms - leased_ms) / 1000.0), 0),
                   coalesce(sum((completed_ms - leased_ms) / 1000.0 - executor_seconds), 0), coalesce(sum(executor_seconds), 0)
            from jobs where state = 'completed' and executor_seconds > 0 and leased_ms is not null
            """);
        using var r = cmd.ExecuteReader();
        r.Read();
        var n = r.GetInt32(0);
        return n == 0 ? new OverheadStats(0, 0, 0, 0, 0)
            : new OverheadStats(n, r.GetDouble(1), r.GetDouble(2), r.GetDouble(3) / n, r.GetDouble(3) / r.GetDouble(4));
    }
}
