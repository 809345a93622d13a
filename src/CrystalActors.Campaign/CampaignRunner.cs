using CrystalActors.Campaign.Design;
using CrystalActors.Campaign.Reporting;
using CrystalActors.Campaign.Roles;
using CrystalActors.Crystals.Graphs;
using CrystalActors.Crystals.Io;
using CrystalActors.Dft;
using CrystalActors.Dft.Execution;
using CrystalActors.Learning.Offline;
using CrystalActors.Models.Megnet;
using CrystalActors.Models.Reward;
using CrystalActors.Runtime.Actors;
using CrystalActors.Runtime.Hosting;
using CrystalActors.Runtime.Messages;
using CrystalActors.Runtime.Persistence;
using Serilog;

namespace CrystalActors.Campaign;

/// <summary>
/// Wires a campaign into a cluster node: the campaign roles (campaign coordinator, learner,
/// rollout, reward-model, fine-tuner, relaxer) are registered with the node, the DFT farm's
/// executor is the real DFT service. The campaign roles talk in-process and so run on one node,
/// the one that also runs the farm's coordinator (they share its job table); DFT workers run
/// anywhere the transport reaches.
/// </summary>
public static class CampaignRunner
{
    /// <summary>Episode batches the learner may have queued: generators wait beyond it, so they never run far ahead of learning.</summary>
    public const int LearnerMailbox = 4;

    /// <summary>Roles a campaign adds to the built-in coordinator and dft-worker.</summary>
    public static readonly string[] CampaignRoleNames = ["campaign", "learner", "rollout", "reward-model", "fine-tuner", "relaxer", "offline-cql"];

    /// <summary>Runs the campaign on this node until it stops; returns its report (null on a node without the campaign role).</summary>
    /// <param name="onProgress">Called every second with the campaign's progress (for a live display).</param>
    public static async Task<CampaignReport?> RunAsync(CampaignOptions options, Topology topology, string? nodeName, IReadOnlyList<string>? roles,
        CancellationToken ct = default, Action<CampaignProgress>? onProgress = null)
    {
        Torch.Torch.NumThreads = options.TorchThreads;
        Torch.Torch.UseCachingCpuAllocator(1L << 30);
        if (options.OptimumSearch && Reporting.OptimumFile.TryRead(RunDirectory(options)) is null
            && (roles is { Count: > 0 } ? roles : topology.Node(nodeName).Roles).Contains("campaign"))
        {
            Log.Information("Campaign {Name}: searching the best reward reachable under the reward model (optimum_search)", options.Name);
            var o = FindOptimum(options, progress: m => Log.Debug("Optimum search: {Progress}", m));
            Log.Information("Campaign {Name}: optimum reward {Reward:F4} for {Formula} (gap {Gap:F3} eV; {Evaluated} designs evaluated)",
                options.Name, o.Reward, o.Formula, o.GapEv, o.Evaluated);
        }
        var services = CreateServices(options, topology, out var finished, onProgress);
        // The campaign roles exchange in-process messages: a node with any of them runs them all.
        var nodeRoles = roles is { Count: > 0 } ? roles : topology.Node(nodeName).Roles;
        if (nodeRoles.Any(CampaignRoleNames.Contains))
            nodeRoles = nodeRoles.Union(CampaignRoleNames).ToList();
        await using var node = await ClusterNode.StartAsync(topology, nodeName, nodeRoles, services, ct).ConfigureAwait(false);
        var escalated = new TaskCompletionSource<ActorEscalation>(TaskCreationOptions.RunContinuationsAsynchronously);
        node.Escalated += e => escalated.TrySetResult(e);
        if (!node.Roles.Contains("campaign"))
        {
            // A worker node: serve until stopped.
            try { await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false); } catch (OperationCanceledException) { }
            return null;
        }
        var done = await Task.WhenAny(finished.Task, escalated.Task, Task.Delay(Timeout.Infinite, ct)).ConfigureAwait(false);
        if (done == escalated.Task)
            throw new InvalidOperationException($"actor {escalated.Task.Result.Address} failed past its restart limit: {escalated.Task.Result.Error.Message}", escalated.Task.Result.Error);
        ct.ThrowIfCancellationRequested();
        return await finished.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// The best reward reachable under the initial reward model on the (first) skeleton, by <see cref="OptimumSearch"/>;
    /// written to optimum.json in the run directory, where the coordinator and the report find it.
    /// </summary>
    public static OptimumResult FindOptimum(CampaignOptions options, long maxClassAssignments = 200_000, Action<string>? progress = null)
    {
        var (_, tasks) = CampaignContext.LoadTasks(options);
        using var model = BandGapModel.Load(options.RewardModel.Weights);
        var gaps = new SkeletonGapModel(model, tasks[0], FidelityNames.Parse(options.RewardModel.Fidelity));
        var result = OptimumSearch.Run(tasks[0], gaps.Gaps, options.RewardBeta, maxClassAssignments, seed: (int)options.Seed, progress: progress);
        Reporting.OptimumFile.Write(RunDirectory(options), result);
        return result;
    }

    /// <summary>One process, every role, in-process transport; state (journal, job table, content store) under the run directory.</summary>
    public static Topology DefaultTopology(CampaignOptions options) => new(
        Name: "single-node",
        Transport: "inproc",
        Nodes: [new NodeSpec("local", ["coordinator", "dft-worker", .. CampaignRoleNames], Workers: options.Dft.Runners)],
        StateDir: Path.Combine(RunDirectory(options), "state"),
        LeaseSeconds: 30,
        Executor: new ExecutorSpec("dft", options.Dft.PseudoDir));

    /// <summary>The campaign's run directory: journal (in the topology's state dir), content store, report, CIF files.</summary>
    public static string RunDirectory(CampaignOptions options) => Path.GetFullPath(Path.Combine(options.OutputRoot, options.Name));

    public static NodeServices CreateServices(CampaignOptions options, Topology topology, out TaskCompletionSource<CampaignReport> finished,
        Action<CampaignProgress>? onProgress = null)
    {
        var done = new TaskCompletionSource<CampaignReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        finished = done;
        var services = new NodeServices();
        var dftOptions = new DftServiceOptions
        {
            PseudoRoot = options.Dft.PseudoDir,
            HandlersEnabled = options.Dft.Handlers,
            Runner = new PwRunnerOptions { MpiRanks = options.Dft.MpiRanks, WallTimeLimit = TimeSpan.FromMinutes(options.Dft.WallTimeMinutes) },
        };
        services.Executors["dft"] = _ => new DftJobExecutor(new DftService(dftOptions));

        CampaignContext? shared = null;
        CampaignContext Shared(RoleContext ctx) => shared ??= CampaignContext.Create(options, topology, ctx, done);

        services.Roles["campaign"] = ctx =>
        {
            var c = Shared(ctx);
            var roles = c.Roles(ctx.Actors);
            ctx.Actors.Spawn(new ActorAddress("campaign", "coordinator"),
                () => new CampaignCoordinatorActor(options, c.RunDirectory, () => new ClusterDatabase(topology.DatabasePath), roles, done, onProgress,
                    c.RestoreEnvironmentSteps));
            return Task.FromResult<IAsyncDisposable>(c);
        };
        services.Roles["learner"] = ctx =>
        {
            var c = Shared(ctx);
            ctx.Actors.Spawn(new ActorAddress("learner", "dqn"), () => new LearnerActor(c.Skeletons, c.Tasks[0].VocabularyActions, options, c.Store,
                () => ctx.Actors.LookupRole("rollout"), () => ctx.Actors.Lookup("campaign", "coordinator"), options.InitialPolicy),
                new ActorOptions { MailboxCapacity = LearnerMailbox });
            return Task.FromResult<IAsyncDisposable>(c);
        };
        services.Roles["rollout"] = ctx =>
        {
            var c = Shared(ctx);
            for (int g = 0; g < options.Generators; g++)
            {
                var name = $"gen-{g}";
                int seed = (int)options.Seed * 1000 + g;
                ctx.Actors.Spawn(new ActorAddress("rollout", name), () => new RolloutGeneratorActor(name, c.Skeletons, c.Tasks, options, seed,
                    () => ctx.Actors.Lookup("reward-model", "megnet"), () => ctx.Actors.Lookup("learner", "dqn"),
                    () => ctx.Actors.Lookup("campaign", "coordinator"), c.EnvironmentSteps, c.AddEnvironmentSteps, options.InitialPolicy));
            }
            return Task.FromResult<IAsyncDisposable>(c);
        };
        services.Roles["reward-model"] = ctx =>
        {
            var c = Shared(ctx);
            ctx.Actors.Spawn(new ActorAddress("reward-model", "megnet"),
                () => new RewardModelActor(options.RewardModel.Weights, FidelityNames.Parse(options.RewardModel.Fidelity)));
            return Task.FromResult<IAsyncDisposable>(c);
        };
        services.Roles["fine-tuner"] = ctx =>
        {
            var c = Shared(ctx);
            if (options.RewardModel.FinetuneSteps == 0) return Task.FromResult<IAsyncDisposable>(c); // Exp. 1: the reward model stays fixed
            var tune = new FineTuneOptions
            {
                Steps = options.RewardModel.FinetuneSteps, LearningRate = options.RewardModel.FinetuneLr,
                ReplayRatio = options.RewardModel.ReplayRatio, Seed = options.Seed,
                Fidelity = FidelityNames.Parse(options.RewardModel.Fidelity),
            };
            ctx.Actors.Spawn(new ActorAddress("fine-tuner", "megnet"), () => new FineTunerActor(options.RewardModel.Weights, tune, c.Store,
                () => ctx.Actors.Lookup("reward-model", "megnet"), () => ctx.Actors.Lookup("campaign", "coordinator")));
            return Task.FromResult<IAsyncDisposable>(c);
        };
        services.Roles["offline-cql"] = ctx =>
        {
            var c = Shared(ctx);
            if (options.OfflineCql.Enabled)
                ctx.Actors.Spawn(new ActorAddress("offline-cql", "cql"),
                    () => new OfflineCqlActor(options, c.RunDirectory, c.Store, () => ctx.Actors.Lookup("campaign", "coordinator")));
            return Task.FromResult<IAsyncDisposable>(c);
        };
        services.Roles["relaxer"] = ctx =>
        {
            var c = Shared(ctx);
            var farm = new Runtime.Farming.FarmingOptions();
            ctx.Actors.Spawn(new ActorAddress("relaxer", "m3gnet"), () => new RelaxerActor(options, request =>
                ctx.Publisher.PublishAsync(farm.CoordinatorQueue, MessageCodec.Default.Encode(request, ctx.NodeName, $"request-{request.JobId}"))));
            return Task.FromResult<IAsyncDisposable>(c);
        };
        return services;
    }
}

/// <summary>What the campaign roles of one node share: the task, the skeleton graphs, the content store, counters.</summary>
public sealed class CampaignContext : IAsyncDisposable
{
    private long _environmentSteps;

    public required CampaignOptions Options { get; init; }
    public required IReadOnlyList<DesignTask> Tasks { get; init; }
    public required TrajectoryDataset Skeletons { get; init; }
    public required ContentStore Store { get; init; }
    public required string RunDirectory { get; init; }

    /// <summary>Environment steps taken by all generators of this node (epsilon schedule clock).</summary>
    public long EnvironmentSteps() => Interlocked.Read(ref _environmentSteps);

    public void AddEnvironmentSteps(long n) => Interlocked.Add(ref _environmentSteps, n);

    /// <summary>After a restart: the journal's step count, unless generators already counted more.</summary>
    public void RestoreEnvironmentSteps(long journaled)
    {
        long seen;
        do seen = Interlocked.Read(ref _environmentSteps);
        while (journaled > seen && Interlocked.CompareExchange(ref _environmentSteps, journaled, seen) != seen);
    }

    public CampaignRoles Roles(ActorSystem actors) => new(
        () => actors.LookupRole("rollout"), () => actors.Lookup("learner", "dqn"), () => actors.Lookup("reward-model", "megnet"),
        () => actors.Lookup("fine-tuner", "megnet"), () => actors.Lookup("relaxer", "m3gnet"), () => actors.Lookup("offline-cql", "cql"));

    internal static CampaignContext Create(CampaignOptions options, Topology topology, RoleContext ctx, TaskCompletionSource<CampaignReport> finished)
    {
        var run = CampaignRunner.RunDirectory(options);
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "config.json"), options.ToJson());
        var (dataset, tasks) = LoadTasks(options);
        var wanted = options.Skeleton.MaterialIds;
        Log.Information("Campaign {Name}: {Count} skeleton(s) {Ids}, {Vocab} elements, target {Target} eV; outputs in {Run}",
            options.Name, tasks.Count, string.Join(",", wanted), options.Vocabulary.Count, options.TargetGapEv, run);
        return new CampaignContext
        {
            Options = options, Tasks = tasks, Skeletons = dataset, Store = new ContentStore(topology.ContentDir), RunDirectory = run,
        };
    }

    /// <summary>The skeleton crystals of the config: their graphs (for the Q-network) and design tasks, in config order.</summary>
    public static (TrajectoryDataset Skeletons, IReadOnlyList<DesignTask> Tasks) LoadTasks(CampaignOptions options)
    {
        var wanted = options.Skeleton.MaterialIds.ToHashSet(StringComparer.Ordinal);
        var records = Mp20JsonlReader.Read(options.Skeleton.Data, bad => Log.Warning("{Error}", bad.Message))
            .Where(r => wanted.Contains(r.MaterialId)).ToList();
        var missing = wanted.Except(records.Select(r => r.MaterialId)).ToList();
        if (missing.Count > 0)
            throw new CampaignConfigException(options.SourcePath ?? "campaign", $"skeleton.material_ids: {string.Join(", ", missing)} not found in {options.Skeleton.Data}");
        var skipped = new List<TrajectoryDataset.Skipped>();
        var dataset = TrajectoryDataset.Build(records, skipped: skipped);
        if (skipped.Count > 0)
            throw new CampaignConfigException(options.SourcePath ?? "campaign",
                $"skeleton {skipped[0].MaterialId} cannot be used: {skipped[0].Reason}");
        var tasks = records.Select(r => new DesignTask(Skeleton.FromStructure(r.Structure!, r.SpacegroupNumber ?? 1), options.Vocabulary, options.TargetGapEv)).ToList();
        return (dataset, tasks);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
