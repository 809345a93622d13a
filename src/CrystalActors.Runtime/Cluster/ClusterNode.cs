using CrystalActors.Runtime.Persistence;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Cluster.Tools.Singleton;
using Serilog;

namespace CrystalActors.Runtime.Cluster;

/// <summary>
/// One running node of the Akka.NET cluster: the actor system, joined and Up, with helpers to place roles.
/// A role that exists once in the cluster (coordinator, farm, learner, fine-tuner, offline CQL) is a cluster
/// singleton on the oldest node with that role, reached from everywhere through a proxy; roles that exist on
/// every node that has them (rollout, reward-model replica, relaxer, DFT worker) are plain local actors.
/// </summary>
public sealed class ClusterNode : IAsyncDisposable
{
    private readonly Dictionary<string, IActorRef> _proxies = new(StringComparer.Ordinal);

    private ClusterNode(ActorSystem system, NodeSettings settings)
    {
        System = system;
        Settings = settings;
    }

    public ActorSystem System { get; }
    public NodeSettings Settings { get; }
    public Akka.Cluster.Cluster Cluster => Akka.Cluster.Cluster.Get(System);
    public string Name => Settings.Name;

    /// <summary>DistributedPubSub's mediator: topics "policy", "reward-model", "campaign".</summary>
    public IActorRef Mediator => DistributedPubSub.Get(System).Mediator;

    public bool HasRole(string role) => Settings.Roles.Contains(role, StringComparer.Ordinal);

    /// <summary>Starts the actor system and joins the cluster (its seeds, or itself), waiting until this member is Up.</summary>
    /// <exception cref="TimeoutException">No seed answered within <paramref name="joinTimeout"/>.</exception>
    public static async Task<ClusterNode> StartAsync(NodeSettings settings, TimeSpan joinTimeout, CancellationToken ct = default)
    {
        var config = settings.ToConfig();
        EnsurePortIsFree(settings);
        if (settings is { Journal: JournalKind.Sqlite, WritesJournal: true }) SqliteJournal.Prepare(settings.JournalTarget);
        var system = ActorSystem.Create(NodeSettings.SystemName, config);
        var node = new ClusterNode(system, settings);
        var cluster = node.Cluster;
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        if (settings.Seeds.Count == 0) cluster.Join(cluster.SelfAddress);
        try
        {
            await up.Task.WaitAsync(joinTimeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await system.Terminate().ConfigureAwait(false);
            throw new TimeoutException($"node {settings.Name} could not join the cluster within {joinTimeout.TotalSeconds:0} s: " +
                $"no seed node answered ({string.Join(", ", settings.Seeds)}); is the first node running and its port open?");
        }
        catch (OperationCanceledException)
        {
            await system.Terminate().ConfigureAwait(false);
            throw;
        }
        Log.Information("Node {Node} is Up at {Address} with roles {Roles}", settings.Name, cluster.SelfAddress, string.Join(",", settings.Roles));
        return node;
    }

    /// <summary>
    /// A fixed port another process listens on must stop this node: the remoting transport binds with port sharing on
    /// Linux, so a second node on the same address would otherwise start and split the traffic with the first.
    /// </summary>
    private static void EnsurePortIsFree(NodeSettings settings)
    {
        if (settings.Port == 0) return;
        var address = global::System.Net.IPAddress.TryParse(settings.Host, out var ip) ? ip : global::System.Net.IPAddress.Any;
        var probe = new global::System.Net.Sockets.TcpListener(address, settings.Port) { ExclusiveAddressUse = true };
        try { probe.Start(); }
        catch (global::System.Net.Sockets.SocketException e)
        {
            throw new InvalidOperationException($"port {settings.Port} on {settings.Host} is already in use (another node?): {e.Message}", e);
        }
        finally { probe.Stop(); }
    }

    /// <summary>Runs <paramref name="props"/> as the cluster singleton <paramref name="name"/> when this node has <paramref name="role"/> (a no-op otherwise).</summary>
    public void StartSingleton(string name, Props props, string role)
    {
        if (!HasRole(role)) return;
        System.ActorOf(ClusterSingletonManager.Props(props, PoisonPill.Instance,
            ClusterSingletonManagerSettings.Create(System).WithRole(role).WithSingletonName(name)), name);
    }

    /// <summary>A proxy that forwards to the singleton <paramref name="name"/> wherever it runs, buffering while it moves.</summary>
    public IActorRef Singleton(string name, string role)
    {
        lock (_proxies)
        {
            if (_proxies.TryGetValue(name, out var p)) return p;
            p = System.ActorOf(ClusterSingletonProxy.Props($"/user/{name}",
                ClusterSingletonProxySettings.Create(System).WithRole(role).WithSingletonName(name)), $"{name}-proxy");
            _proxies[name] = p;
            return p;
        }
    }

    /// <summary>
    /// True when the cluster downed this node (it was unreachable too long) — the one way an actor system stops that calls
    /// for a new one to rejoin; a SIGTERM (the CLR exit hook) or a graceful leave is a stop.
    /// </summary>
    public bool WasDowned => CoordinatedShutdown.Get(System).ShutdownReason is CoordinatedShutdown.ClusterDowningReason;

    /// <summary>Graceful leave: the singletons here hand over, workers hand back their jobs, then the system stops.</summary>
    public async Task LeaveAsync()
    {
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClusterLeavingReason.Instance).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (!System.WhenTerminated.IsCompleted) await LeaveAsync().ConfigureAwait(false);
        await System.WhenTerminated.ConfigureAwait(false);
    }
}
