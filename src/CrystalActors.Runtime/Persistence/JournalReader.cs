using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using CrystalActors.Runtime.Cluster;

namespace CrystalActors.Runtime.Persistence;

/// <summary>
/// Reads a persistent role's events from the journal with Akka.Persistence.Query (no cluster, read only):
/// what `campaign audit`, `cluster report` and `cluster status` use after or beside a run.
/// </summary>
public static class JournalReader
{
    public static async Task<IReadOnlyList<object>> EventsAsync(JournalKind kind, string target, string persistenceId, CancellationToken ct = default)
    {
        if (kind == JournalKind.Sqlite && !File.Exists(target))
            throw new FileNotFoundException($"no journal at {target}: has this campaign or cluster run yet?", target);
        var settings = new NodeSettings { Name = "journal-reader", Roles = ["reader"], Journal = kind, JournalTarget = target };
        var config = ConfigurationFactory.ParseString("""
            akka.actor.provider = local
            akka.loglevel = WARNING
            akka.persistence.journal.sql.auto-initialize = false
            """).WithFallback(settings.ToConfig());
        using var system = ActorSystem.Create("journal-reader", config);
        var journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
        var events = new List<object>();
        try
        {
            await journal.CurrentEventsByPersistenceId(persistenceId, 0, long.MaxValue)
                .RunForeach(e => events.Add(e.Event), system.Materializer()).WaitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidDataException($"{(kind == JournalKind.Sqlite ? target : "the PostgreSQL journal")}: cannot read '{persistenceId}': {e.GetBaseException().Message}", e);
        }
        finally { await system.Terminate().ConfigureAwait(false); }
        return events;
    }
}
