using CrystalActors.Runtime.Actors;
using CrystalActors.Runtime.Farming;
using CrystalActors.Runtime.Messages;
using CrystalActors.Runtime.Persistence;
using CrystalActors.Runtime.Transport;
using Serilog;

namespace CrystalActors.Runtime.Hosting;

/// <summary>Extension points a host (the CLI) fills in: executors by kind and roles implemented outside the runtime.</summary>
public sealed class NodeServices
{
    /// <summary>Executor factories by <see cref="ExecutorSpec.Kind"/>; "si-pw" is added by default.</summary>
    public Dictionary<string, Func<Topology, IJobExecutor>> Executors { get; } = new(StringComparer.Ordinal)
    {
        ["si-pw"] = t => new SiliconPwExecutor(new PwExecutorOptions { PseudoDir = SharedPaths.PseudoDir(t.Executor?.PseudoDir) }),
    };

    /// <summary>Extra roles (learner, rollout, ...) by name: started with the node, disposed when it stops.</summary>
    public Dictionary<string, Func<RoleContext, Task<IAsyncDisposable>>> Roles { get; } = new(StringComparer.Ordinal);
}

/// <summary>What a role gets when it starts.</summary>
public sealed record RoleContext(string NodeName, Topology Topology, ActorSystem Actors, ITransport Transport, ReliablePublisher Publisher, CancellationToken Stopping);

/// <summary>
/// One running node: a transport, an actor system and the roles named for it. The same role code runs
/// over the in-process transport (one node, all roles) and over RabbitMQ (nodes in separate processes).
/// </summary>
public sealed class ClusterNode : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _intake = [];   // subscriptions that bring new work: closed first on stop
    private readonly List<IAsyncDisposable> _rest = [];
    private readonly List<Task> _loops = [];
    private readonly CancellationTokenSource _stopping = new();

    public string Name { get; }
    public IReadOnlyList<string> Roles { get; }
    public ActorSystem Actors { get; }
    public ITransport Transport { get; }
    public FarmingOptions Farming { get; }
    public Topology Topology { get; }
    private ReliablePublisher Publisher { get; }

    /// <summary>Raised when an actor escalates past its restart limit; the host should stop the process.</summary>
    public event Action<ActorEscalation>? Escalated;

    private ClusterNode(Topology topology, string name, IReadOnlyList<string> roles, ITransport transport)
    {
        Topology = topology; Name = name; Roles = roles; Transport = transport;
        Actors = new ActorSystem(name);
        Actors.Escalated += e => Escalated?.Invoke(e);
        Publisher = new ReliablePublisher(transport, _stopping.Token);
        Farming = new FarmingOptions
        {
            LeaseDuration = TimeSpan.FromSeconds(topology.LeaseSeconds),
            HeartbeatInterval = TimeSpan.FromSeconds(topology.HeartbeatSeconds),
            MaxAttempts = topology.MaxAttempts,
        };
    }

    public static async Task<ClusterNode> StartAsync(Topology topology, string? nodeName, IReadOnlyList<string>? rolesOverride, NodeServices? services = null, CancellationToken ct = default)
    {
        services ??= new NodeServices();
        var spec = topology.Node(nodeName);
        var roles = rolesOverride is { Count: > 0 } ? rolesOverride : spec.Roles;
        var unknown = roles.Where(r => !Topology.BuiltInRoles.Contains(r) && !services.Roles.ContainsKey(r)).ToList();
        var topts = new TransportOptions { NodeName = spec.Name, DeliveryLimit = topology.DeliveryLimit };
        ITransport transport = topology.Transport == "rabbitmq"
            ? await RabbitMqTransport.ConnectAsync(topology.AmqpUri(), topts, ct).ConfigureAwait(false)
            : new InProcessTransport(topts);
        var node = new ClusterNode(topology, spec.Name, roles, transport);
        Log.Information("Node {Node} ({Topology}, {Transport}) starting roles {Roles}", spec.Name, topology.Name, transport.Kind, string.Join(",", roles));
        foreach (var r in unknown)
            Log.Warning("Node {Node}: role '{Role}' has no implementation in this build (built in: {BuiltIn}; registered: {Registered}); not started",
                spec.Name, r, string.Join(", ", Topology.BuiltInRoles), string.Join(", ", services.Roles.Keys));
        if (roles.Contains("coordinator")) await node.StartCoordinatorAsync(ct).ConfigureAwait(false);
        if (roles.Contains("dft-worker"))
        {
            var kind = topology.Executor?.Kind ?? "si-pw";
            if (!services.Executors.TryGetValue(kind, out var make))
                throw new ArgumentException($"topology '{topology.Name}': executor kind '{kind}' is not registered (known: {string.Join(", ", services.Executors.Keys)})");
            var executor = make(topology);
            for (var i = 1; i <= Math.Max(1, spec.Workers); i++)
                await node.StartWorkerAsync(spec.Workers > 1 ? $"{spec.Name}-{i}" : spec.Name, executor, ct).ConfigureAwait(false);
        }
        foreach (var r in roles.Where(services.Roles.ContainsKey))
            node._rest.Add(await services.Roles[r](new RoleContext(spec.Name, topology, node.Actors, transport, node.Publisher, node._stopping.Token)).ConfigureAwait(false));
        node._loops.Add(Task.Run(() => node.HeartbeatLoopAsync(node._stopping.Token)));
        return node;
    }

    /// <summary>Frames that fail to decode are logged with the sender's name and dead-lettered; never thrown.</summary>
    private static bool TryDecode(Delivery d, out Envelope envelope)
    {
        if (MessageCodec.Default.TryDecode(d.Body, d.TransportSender, out var e, out var failure)) { envelope = e!; return true; }
        Log.Warning("Rejected a frame on {Destination} from {Sender}: {Reason}", d.Destination, failure!.Sender, failure.Reason);
        envelope = null!;
        return false;
    }

    private async Task StartCoordinatorAsync(CancellationToken ct)
    {
        var storeOptions = new JobStoreOptions
        {
            LeaseDuration = Farming.LeaseDuration, MaxAttempts = Farming.MaxAttempts, DispatchDestination = Farming.JobQueue, Sender = Name,
        };
        JobStore Open() => new(new ClusterDatabase(Topology.DatabasePath), storeOptions);
        var relay = new OutboxRelay(Open, Publisher);
        var coordinator = Actors.Spawn(new ActorAddress("coordinator", Name),             () => new CoordinatorActor(Name, Open, relay.Signal, () => Transport.DepthAsync(Farming.JobQueue), 2 * Farming.LeaseDuration));
        _loops.Add(Task.Run(() => relay.RunAsync(_stopping.Token)));
        Actors.ScheduleTicks(coordinator, "sweep", Farming.SweepInterval);
        // The model registry shares the coordinator's database (journal + outbox) and announces versions on a latest-value topic.
        var content = new ContentStore(Topology.ContentDir);
        Actors.Spawn(new ActorAddress("model-registry", Name),
            () => new ModelRegistryActor(() => new ClusterDatabase(Topology.DatabasePath), content, Name, Farming.ModelTopic, relay.Signal));

        async Task<DeliveryOutcome> Handle(Delivery d, CancellationToken token)
        {
            if (!TryDecode(d, out var e)) return DeliveryOutcome.Reject;
            var decision = await coordinator.AskAsync<CoordinatorDecision>(e, TimeSpan.FromSeconds(30), token).ConfigureAwait(false);
            foreach (var (dest, frame) in decision.Replies) await Transport.PublishAsync(dest, frame, token).ConfigureAwait(false);
            return decision.Outcome;
        }
        _intake.Add(await Transport.SubscribeAsync(Farming.CoordinatorQueue, Name, Handle, prefetch: 16, ct).ConfigureAwait(false));
        _intake.Add(await Transport.SubscribeAsync(Farming.HeartbeatTopic, Name, Handle, prefetch: 16, ct).ConfigureAwait(false));
        relay.Signal();
    }

    private async Task StartWorkerAsync(string worker, IJobExecutor executor, CancellationToken ct)
    {
        var replyTo = FarmingOptions.ReplyQueueOf(worker);
        ISubscription? jobs = null;
        var actor = Actors.Spawn(new ActorAddress("dft-worker", worker),
            () => new DftWorkerActor(worker, replyTo, executor, Publisher, Farming, () => jobs));
        Actors.ScheduleTicks(actor, "renew", Farming.LeaseDuration / 3);

        _rest.Add(await Transport.SubscribeAsync(replyTo, worker, async (d, token) =>
        {
            if (!TryDecode(d, out var e)) return DeliveryOutcome.Reject;
            if (e.Message is DftJobLeased l) await actor.TellAsync(l, ct: token).ConfigureAwait(false);
            return DeliveryOutcome.Ack;
        }, prefetch: 4, ct).ConfigureAwait(false));

        jobs = await Transport.SubscribeAsync(Farming.JobQueue, worker, async (d, token) =>
        {
            if (!TryDecode(d, out var e)) return DeliveryOutcome.Reject;
            if (e.Message is not DftJobRequested job)
            {
                Log.Warning("Rejected {Type} from {Sender} on the job queue: not a DftJobRequested", e.Message.GetType().Name, e.Sender);
                return DeliveryOutcome.Reject;
            }
            try { executor.Validate(job.StructureJson); }
            catch (JobPayloadException ex)
            {
                // Hand it back rather than reject: another node's executor may accept it. A payload no node can
                // run is dead-lettered by the broker after the delivery limit, where `cluster status` shows it.
                Log.Warning("Worker {Worker} cannot run job {Job} from {Sender} (delivery {N}): {Reason}", worker, job.JobId, e.Sender, d.DeliveryCount, ex.Message);
                return DeliveryOutcome.Requeue;
            }
            var outcome = new TaskCompletionSource<DeliveryOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
            await actor.TellAsync(new DftWorkerActor.Offer(job, outcome), ct: token).ConfigureAwait(false);
            return await outcome.Task.WaitAsync(token).ConfigureAwait(false);
        }, prefetch: 1, ct).ConfigureAwait(false);
        _intake.Add(jobs);
    }

    private async Task HeartbeatLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Farming.HeartbeatInterval);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var frame = MessageCodec.Default.Encode(new Heartbeat(Name, Roles, DateTimeOffset.UtcNow), Name);
                await Transport.PublishAsync(Farming.HeartbeatTopic, frame, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { break; }
            catch (Exception e) { Log.Debug("Heartbeat of {Node} not sent: {Error}", Name, e.Message); }
            try { await timer.WaitForNextTickAsync(ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
        }
    }

    /// <summary>Graceful stop: stop taking work, let actors drain and report in-flight jobs, flush the outbox, close the transport.</summary>
    public async ValueTask DisposeAsync()
    {
        Log.Information("Node {Node} stopping", Name);
        foreach (var s in _intake) await s.DisposeAsync().ConfigureAwait(false);
        await Actors.StopAsync().ConfigureAwait(false);
        _stopping.Cancel();
        foreach (var s in _rest) await s.DisposeAsync().ConfigureAwait(false);
        try { await Task.WhenAll(_loops).ConfigureAwait(false); } catch (OperationCanceledException) { }
        await Transport.DisposeAsync().ConfigureAwait(false);
        Log.Information("Node {Node} stopped", Name);
    }
}

/// <summary>Finds ../shared (pseudopotentials) from the current directory or CRYSTAL_ACTORS_SHARED.</summary>
public static class SharedPaths
{
    public const string SsspFolder = "SSSP_1.3.0_PBE_efficiency";

    public static string PseudoDir(string? configured)
    {
        if (!string.IsNullOrEmpty(configured)) return Path.GetFullPath(configured);
        if (Environment.GetEnvironmentVariable("CRYSTAL_ACTORS_SHARED") is { Length: > 0 } env) return Path.Combine(env, "pseudo", SsspFolder);
        for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "shared", "pseudo", SsspFolder);
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"no shared/pseudo/{SsspFolder} above {Directory.GetCurrentDirectory()}; set CRYSTAL_ACTORS_SHARED or executor.pseudoDir in the topology");
    }
}
