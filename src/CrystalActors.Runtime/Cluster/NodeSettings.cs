using Akka.Configuration;

namespace CrystalActors.Runtime.Cluster;

/// <summary>Which journal the persistent roles (coordinator, farm, learners) write to.</summary>
public enum JournalKind { Sqlite, Postgres }

/// <summary>
/// Everything a node needs to start: its name and address, its cluster roles, the seed nodes, the HOCON
/// profile (a file of hocon/) and the journal. Built from the command line (and the campaign config's
/// defaults); turned into Akka configuration by <see cref="ToConfig"/>.
/// </summary>
public sealed record NodeSettings
{
    /// <summary>The Akka actor-system name: every node of one cluster must use the same.</summary>
    public const string SystemName = "crystal-actors";

    public static readonly string[] Profiles = ["single-node", "local-cluster", "hpc"];

    public required string Name { get; init; }
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>Remoting port; 0 = any free port (single node).</summary>
    public int Port { get; init; }
    public required IReadOnlyList<string> Roles { get; init; }
    /// <summary>Seed node addresses as host:port; empty = this node is its own seed (one-node cluster).</summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];
    public string Profile { get; init; } = "single-node";
    public JournalKind Journal { get; init; } = JournalKind.Sqlite;
    /// <summary>SQLite: the journal file; PostgreSQL: a full connection string.</summary>
    public required string JournalTarget { get; init; }
    /// <summary>An extra HOCON file that overrides everything else (operators' own settings).</summary>
    public string? ExtraHocon { get; init; }
    /// <summary>Roles whose actors journal (only nodes with one of them open the journal).</summary>
    public IReadOnlyList<string> JournalRoles { get; init; } = ["coordinator", "learner"];

    public bool WritesJournal => Roles.Any(JournalRoles.Contains);

    public string JournalConnectionString => Journal == JournalKind.Sqlite ? $"Data Source={Path.GetFullPath(JournalTarget)};Pooling=True" : JournalTarget;

    public static string Address(string hostPort) => $"akka.tcp://{SystemName}@{hostPort}";

    /// <summary>The node's Akka configuration: command-line values over the extra file, the profile, the journal file and hocon/akka.conf.</summary>
    public Config ToConfig()
    {
        if (!Profiles.Contains(Profile))
            throw new ArgumentException($"HOCON profile '{Profile}' is not one of {string.Join(", ", Profiles)} (files in hocon/)");
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), Port, "remoting port must be 0..65535");
        if (Roles.Count == 0) throw new ArgumentException($"node {Name} has no roles");
        var seeds = Seeds.Select(s => Quote(Address(s)));
        var overrides = ConfigurationFactory.ParseString($$"""
            akka.remote.dot-netty.tcp.hostname = {{Quote(Host)}}
            akka.remote.dot-netty.tcp.port = {{Port}}
            akka.cluster.roles = [{{string.Join(", ", Roles.Select(Quote))}}]
            akka.cluster.seed-nodes = [{{string.Join(", ", seeds)}}]
            akka.persistence.journal.sql.connection-string = {{Quote(JournalConnectionString)}}
            akka.persistence.snapshot-store.sql.connection-string = {{Quote(JournalConnectionString)}}
            akka.persistence.query.journal.sql.connection-string = {{Quote(JournalConnectionString)}}
            """);
        var config = overrides;
        if (ExtraHocon is not null)
        {
            if (!File.Exists(ExtraHocon)) throw new FileNotFoundException($"HOCON file {ExtraHocon} does not exist", ExtraHocon);
            config = config.WithFallback(ParseNamed(File.ReadAllText(ExtraHocon), ExtraHocon));
        }
        return config
            .WithFallback(Hocon.Load($"{Profile}.conf"))
            .WithFallback(Hocon.Load(Journal == JournalKind.Sqlite ? "journal-sqlite.conf" : "journal-postgres.conf"))
            .WithFallback(Hocon.Load("akka.conf"))
            .WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    }

    private static Config ParseNamed(string text, string source)
    {
        try { return ConfigurationFactory.ParseString(text); }
        catch (Exception e) { throw new FormatException($"{source}: invalid HOCON: {e.Message}", e); }
    }

    /// <summary>A HOCON string literal (JSON quoting is valid HOCON).</summary>
    private static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);
}

/// <summary>The files of hocon/, embedded in the runtime so a node runs from any directory.</summary>
public static class Hocon
{
    public static string Text(string file)
    {
        using var s = typeof(Hocon).Assembly.GetManifestResourceStream($"hocon.{file}")
            ?? throw new FileNotFoundException($"hocon/{file} is not embedded in the runtime assembly");
        return new StreamReader(s).ReadToEnd();
    }

    public static Config Load(string file) => ConfigurationFactory.ParseString(Text(file));
}
