using System.CommandLine;
using CrystalActors.Runtime.Cluster;

namespace CrystalActors.Cli.Commands;

/// <summary>The options that place a process in the Akka.NET cluster; shared by `campaign run`, `cluster node` and `cluster submit`.</summary>
internal sealed class NodeOptions
{
    public readonly Option<string?> Node = new("--node") { Description = "This node's name (default: local); it names the node's log file and its workers." };
    public readonly Option<string?> Roles = new("--roles") { Description = "Comma-separated cluster roles of this node (default: all of them)." };
    public readonly Option<string> Host = new("--host") { Description = "Address other nodes reach this node at.", DefaultValueFactory = _ => "127.0.0.1" };
    public readonly Option<int> Port = new("--port") { Description = "Remoting port (0 = any free port; a seed node needs a fixed one).", DefaultValueFactory = _ => 0 };
    public readonly Option<string?> Seeds = new("--seeds") { Description = "Comma-separated seed nodes host:port (default: this node is its own seed, a one-node cluster)." };
    public readonly Option<string> Profile = new("--profile") { Description = "HOCON profile from hocon/: single-node, local-cluster or hpc.", DefaultValueFactory = _ => "single-node" };
    public readonly Option<string> Journal = new("--journal") { Description = "Journal of the persistent roles: sqlite (one node) or postgres (several machines).", DefaultValueFactory = _ => "sqlite" };
    public readonly Option<string?> JournalTarget = new("--journal-target") { Description = "SQLite file, or a PostgreSQL connection string (default for postgres: $CRYSTAL_ACTORS_JOURNAL)." };
    public readonly Option<FileInfo?> Hocon = new("--hocon") { Description = "An extra HOCON file that overrides the profile (operators' own Akka settings)." };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Node, Roles, Host, Port, Seeds, Profile, Journal, JournalTarget, Hocon }) command.Options.Add(o);
    }

    /// <summary>The node's settings; <paramref name="defaultRoles"/> and <paramref name="defaultJournal"/> apply when not given.</summary>
    /// <exception cref="ArgumentException">A value is invalid (the message names the option).</exception>
    public NodeSettings Read(ParseResult p, IReadOnlyList<string> defaultRoles, string defaultJournal, IReadOnlyList<string>? knownRoles = null)
    {
        var roles = p.GetValue(Roles)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [.. defaultRoles];
        if (roles.Length == 0) throw new ArgumentException("--roles: no role given");
        if (knownRoles is not null && roles.FirstOrDefault(r => !knownRoles.Contains(r)) is { } unknown)
            throw new ArgumentException($"--roles: '{unknown}' is not a role; valid: {string.Join(", ", knownRoles)}");
        var seeds = p.GetValue(Seeds)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        foreach (var s in seeds)
            if (s.Split(':') is not [{ Length: > 0 }, var seedPort] || !int.TryParse(seedPort, out var n) || n is < 1 or > 65535)
                throw new ArgumentException($"--seeds: '{s}' is not host:port");
        var profile = p.GetValue(Profile)!;
        if (!NodeSettings.Profiles.Contains(profile)) throw new ArgumentException($"--profile: '{profile}' is not one of {string.Join(", ", NodeSettings.Profiles)}");
        var kind = p.GetValue(Journal) switch
        {
            "sqlite" => JournalKind.Sqlite,
            "postgres" => JournalKind.Postgres,
            var other => throw new ArgumentException($"--journal: '{other}' is not sqlite or postgres"),
        };
        var target = p.GetValue(JournalTarget)
                     ?? (kind == JournalKind.Postgres ? Environment.GetEnvironmentVariable("CRYSTAL_ACTORS_JOURNAL") : defaultJournal)
                     ?? throw new ArgumentException("--journal postgres needs --journal-target CONNECTION or $CRYSTAL_ACTORS_JOURNAL");
        var port = p.GetValue(Port);
        if (port is < 0 or > 65535) throw new ArgumentException($"--port: {port} is not 0..65535");
        return new NodeSettings
        {
            Name = p.GetValue(Node) ?? "local", Roles = roles, Host = p.GetValue(Host)!, Port = port, Seeds = seeds, Profile = profile,
            Journal = kind, JournalTarget = target, ExtraHocon = p.GetValue(Hocon)?.FullName,
        };
    }
}
