using System.Text.Json;
using System.Text.Json.Serialization;

namespace CrystalActors.Runtime.Hosting;

/// <summary>One node of a topology: its name, roles and (for dft-worker) how many worker actors it runs.</summary>
public sealed record NodeSpec(string Name, IReadOnlyList<string> Roles, int Workers = 1);

/// <summary>Executor selection for dft-worker roles ("si-pw" is built in; others are registered by the host).</summary>
public sealed record ExecutorSpec(string Kind = "si-pw", string? PseudoDir = null);

/// <summary>
/// A cluster layout read from cluster-config/*.json: transport, where the coordinator keeps its state,
/// timings, and the nodes with their roles. Relative paths resolve against the current directory.
/// </summary>
public sealed record Topology(
    string Name,
    string Transport,
    IReadOnlyList<NodeSpec> Nodes,
    string StateDir = "runs/cluster",
    string AmqpUriEnv = "CRYSTAL_ACTORS_AMQP_URI",
    double LeaseSeconds = 15,
    int DeliveryLimit = 5,
    double HeartbeatSeconds = 2,
    int MaxAttempts = 5,
    ExecutorSpec? Executor = null)
{
    public static readonly string[] KnownTransports = ["inproc", "rabbitmq"];
    public static readonly string[] BuiltInRoles = ["coordinator", "dft-worker"];

    public string DatabasePath => Path.Combine(StateDir, "coordinator.db");
    public string ContentDir => Path.Combine(StateDir, "content");

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true, RespectRequiredConstructorParameters = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Reads and validates a topology file; errors name the file and the problem.</summary>
    public static Topology Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"topology file {path} does not exist", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>The embedded default: one process, in-process transport, a coordinator and two DFT workers.</summary>
    public static Topology SingleNode()
    {
        using var s = typeof(Topology).Assembly.GetManifestResourceStream("CrystalActors.Runtime.single-node.json")
            ?? throw new InvalidOperationException("embedded single-node.json is missing from the runtime assembly");
        return Parse(new StreamReader(s).ReadToEnd(), "embedded single-node.json");
    }

    public static Topology Parse(string json, string source)
    {
        Topology? t;
        try { t = JsonSerializer.Deserialize<Topology>(json, Json); }
        catch (JsonException e) { throw new FormatException($"{source}: invalid topology JSON at line {(e.LineNumber ?? 0) + 1}: {e.Message}", e); }
        if (t is null) throw new FormatException($"{source}: empty topology");
        if (!KnownTransports.Contains(t.Transport))
            throw new FormatException($"{source}: transport '{t.Transport}' is not one of {string.Join(", ", KnownTransports)}");
        if (t.Nodes.Count == 0) throw new FormatException($"{source}: no nodes");
        var dup = t.Nodes.GroupBy(n => n.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new FormatException($"{source}: node name '{dup.Key}' appears twice");
        if (t.Nodes.Count(n => n.Roles.Contains("coordinator")) != 1)
            throw new FormatException($"{source}: exactly one node must have the 'coordinator' role");
        if (t.Transport == "inproc" && t.Nodes.Count > 1)
            throw new FormatException($"{source}: the inproc transport runs one node; use rabbitmq for {t.Nodes.Count} nodes");
        if (t.LeaseSeconds <= 0 || t.HeartbeatSeconds <= 0 || t.DeliveryLimit < 1 || t.MaxAttempts < 1)
            throw new FormatException($"{source}: leaseSeconds and heartbeatSeconds must be > 0, deliveryLimit and maxAttempts >= 1");
        return t;
    }

    public NodeSpec Node(string? name)
    {
        if (name is null)
            return Nodes.Count == 1 ? Nodes[0] : throw new ArgumentException($"topology '{Name}' has {Nodes.Count} nodes; choose one with --node ({string.Join(", ", Nodes.Select(n => n.Name))})");
        return Nodes.FirstOrDefault(n => n.Name == name)
            ?? throw new ArgumentException($"topology '{Name}' has no node '{name}'; nodes: {string.Join(", ", Nodes.Select(n => n.Name))}");
    }

    public string AmqpUri() => Environment.GetEnvironmentVariable(AmqpUriEnv) is { Length: > 0 } uri ? uri
        : throw new InvalidOperationException($"topology '{Name}' uses rabbitmq but ${AmqpUriEnv} is not set (scripts/broker.sh start DIR writes it to DIR/broker.env)");
}
