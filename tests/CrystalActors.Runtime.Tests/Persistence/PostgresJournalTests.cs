using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using CrystalActors.Runtime.Cluster;
using CrystalActors.Runtime.Farming;
using CrystalActors.Runtime.Messages;
using CrystalActors.Runtime.Persistence;

namespace CrystalActors.Runtime.Tests.Persistence;

/// <summary>A private PostgreSQL server (scripts/postgres.sh) for the test run; absent server package = skipped tests.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public string Dir { get; } = TestEnvironment.TempDir("pg");
    public string? ConnectionString { get; private set; }

    public static bool Installed => Directory.Exists("/usr/lib/postgresql") && Directory.EnumerateDirectories("/usr/lib/postgresql").Any(d => File.Exists(Path.Combine(d, "bin", "pg_ctl")));

    public async Task InitializeAsync()
    {
        if (!Installed) return;
        await Script("start");
        var line = File.ReadAllLines(Path.Combine(Dir, "postgres.env")).First(l => l.StartsWith("CRYSTAL_ACTORS_JOURNAL="));
        ConnectionString = line["CRYSTAL_ACTORS_JOURNAL=".Length..].Trim('"');
    }

    public async Task DisposeAsync()
    {
        if (Installed) await Script("stop");
    }

    private async Task Script(string verb)
    {
        var psi = new ProcessStartInfo("bash", [Path.Combine(TestEnvironment.RepoRoot, "scripts", "postgres.sh"), verb, Dir]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"scripts/postgres.sh {verb} failed ({p.ExitCode}): {await err}");
    }
}

public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (!PostgresFixture.Installed) Skip = "PostgreSQL is not installed (/usr/lib/postgresql/*/bin/pg_ctl missing); apt-get install postgresql to run the PostgreSQL journal tests";
    }
}

/// <summary>The farm journaled to PostgreSQL through Akka.Persistence.Sql (Npgsql): recovered by a new actor system, read back by the journal reader.</summary>
public class PostgresJournalTests(PostgresFixture pg) : IClassFixture<PostgresFixture>
{
    private Config LocalWithPostgres() => ConfigurationFactory.ParseString("akka.actor.provider = local\nakka.loglevel = WARNING")
        .WithFallback(new NodeSettings { Name = "pg-test", Roles = ["coordinator"], Journal = JournalKind.Postgres, JournalTarget = pg.ConnectionString! }.ToConfig());

    [PostgresFact]
    public async Task Farm_JournaledToPostgres_RecoversInANewActorSystem_AndTheReaderCountsIt()
    {
        var id = "farm-pg-" + Guid.NewGuid().ToString("N")[..8];
        var options = new FarmOptions { PersistenceId = id };
        using (var system = ActorSystem.Create("pg1", LocalWithPostgres()))
        {
            var farm = system.ActorOf(DftFarmActor.Props(options));
            foreach (var j in new[] { "si-1", "si-2", "si-3" })
                Assert.False((await farm.Ask<JobAccepted>(new SubmitJob(j, "{}", ["dft"], "test"), TimeSpan.FromSeconds(30))).Duplicate);
            var lease = await farm.Ask<WorkLeased>(new RequestWork("w1", "dft"), TimeSpan.FromSeconds(10));
            Assert.True((await farm.Ask<WorkAcknowledged>(new WorkCompleted(lease.JobId, lease.Epoch, "w1", "{\"gap\": 1}", 2), TimeSpan.FromSeconds(10))).Applied);
            await system.Terminate();
        }
        using (var system = ActorSystem.Create("pg2", LocalWithPostgres()))
        {
            var farm = system.ActorOf(DftFarmActor.Props(options));
            var status = await farm.Ask<JobsStatus>(new QueryJobs(["si-1", "si-2", "si-3"]), TimeSpan.FromSeconds(30));
            Assert.Equal([JobStates.Completed, JobStates.Pending, JobStates.Pending], status.Jobs.Select(j => j.State));
            Assert.True((await farm.Ask<JobAccepted>(new SubmitJob("si-1", "{}", ["dft"], "test"), TimeSpan.FromSeconds(10))).Duplicate);
            await system.Terminate();
        }
        var events = await JournalReader.EventsAsync(JournalKind.Postgres, pg.ConnectionString!, id);
        Assert.Equal(new FarmReport(3, 1, 2, 0, 0), FarmReport.FromEvents(events));
    }
}
