using Akka.Actor;
using Akka.Cluster.Routing;
using Akka.Routing;
using CrystalActors.Learning.Environments.Skeletons;
using CrystalActors.Campaign.Reporting;
using CrystalActors.Campaign.Roles;
using CrystalActors.Crystals.Graphs;
using CrystalActors.Crystals.Io;
using CrystalActors.Dft;
using CrystalActors.Dft.Execution;
using CrystalActors.Learning.Offline;
using CrystalActors.Models.Megnet;
using CrystalActors.Models.Reward;
using CrystalActors.Runtime.Cluster;
using CrystalActors.Runtime.Farming;
using CrystalActors.Runtime.Persistence;
using Serilog;

namespace CrystalActors.Campaign;

/// <summary>How a campaign ended on this node: the last progress seen, and the report where this node can read it.</summary>
public sealed record CampaignOutcome(CampaignProgress Progress, string? ReportPath);

/// <summary>
/// Runs a campaign on one node of the Akka.NET cluster. The node's cluster roles decide which of the campaign's
/// roles it hosts; one node with every role is the embedded default (./run-node.sh):
/// <list type="bullet">
/// <item><c>coordinator</c>: the campaign coordinator and the DFT farm (persistent cluster singletons)</item>
/// <item><c>learner</c>: the online DQN learner (persistent singleton); <c>offline-cql</c>: offline CQL (singleton)</item>
/// <item><c>fine-tuner</c>: reward-model fine-tuning (singleton); <c>reward-model</c>: a scoring replica on this node</item>
/// <item><c>rollout</c>: rollout generators; <c>relaxer</c>: M3GNet + FIRE workers; <c>dft-worker</c>: pw.x workers (all local, any number of nodes)</item>
/// </list>
/// </summary>
public static class CampaignRunner
{
    public static readonly string[] Roles = ["coordinator", "learner", "offline-cql", "fine-tuner", "reward-model", "rollout", "relaxer", "dft-worker"];

    /// <summary>The campaign's run directory: journal, content store, report, CIF files, logs.</summary>
    public static string RunDirectory(CampaignOptions options) => Path.GetFullPath(Path.Combine(options.OutputRoot, options.Name));

    /// <summary>The SQLite journal of a campaign (the one-node default).</summary>
    public static string JournalPath(CampaignOptions options) => Path.Combine(RunDirectory(options), "state", "journal.db");

    /// <summary>One node with every role, its own seed, SQLite journal in the run directory.</summary>
    public static NodeSettings DefaultNode(CampaignOptions options) => new()
    {
        Name = "local", Roles = Roles, JournalTarget = JournalPath(options), Profile = "single-node",
    };

    /// <summary>Runs (or resumes) the campaign on this node until the coordinator reports it finished or <paramref name="ct"/> is cancelled.</summary>
    /// <param name="onProgress">Called about every second with the coordinator's progress (for a live display).</param>
    public static async Task<CampaignOutcome?> RunAsync(CampaignOptions options, NodeSettings settings, CancellationToken ct = default,
        Action<CampaignProgress>? onProgress = null)
    {
        Torch.Torch.NumThreads = options.TorchThreads;
        Torch.Torch.UseCachingCpuAllocator(1L << 30);
        var run = RunDirectory(options);
        Directory.CreateDirectory(run);
        if (settings.Roles.Contains("coordinator"))
        {
            AtomicFile.WriteAllText(Path.Combine(run, "config.json"), options.ToJson());
            if (options.OptimumSearch && OptimumFile.TryRead(run) is null)
            {
                Log.Information("Campaign {Name}: searching the best reward reachable under the reward model (optimum_search)", options.Name);
                var o = FindOptimum(options, progress: m => Log.Debug("Optimum search: {Progress}", m));
                Log.Information("Campaign {Name}: optimum reward {Reward:F4} for {Formula} (gap {Gap:F3} eV; {Evaluated} designs evaluated)",
                    options.Name, o.Reward, o.Formula, o.GapEv, o.Evaluated);
            }
        }
        CampaignProgress? last = null;
        while (true)
        {
            await using var node = await ClusterNode.StartAsync(settings, TimeSpan.FromMinutes(2), ct).ConfigureAwait(false);
            last = await FollowAsync(node, Place(node, options), onProgress, ct).ConfigureAwait(false) ?? last;
            if (last?.Finished == true)
            {
                if (node.HasRole("coordinator"))
                {
                    // Let the other nodes see the end before the coordinator's node leaves (they poll it every second).
                    var until = DateTime.UtcNow.AddSeconds(15);
                    while (node.Cluster.State.Members.Count > 1 && DateTime.UtcNow < until && !ct.IsCancellationRequested)
                        await Task.Delay(500, CancellationToken.None).ConfigureAwait(false);
                }
                break;
            }
            if (ct.IsCancellationRequested || !node.WasDowned) break;
            // The cluster downed this node (unreachable too long: a frozen process, a saturated node, a network glitch). An
            // actor system cannot rejoin once downed: start a new one, whose persistent roles recover from the journal.
            Log.Warning("Node {Node} was removed from the cluster before the campaign finished; rejoining with a new actor system", settings.Name);
            try { await Task.Delay(TimeSpan.FromSeconds(3), ct).ConfigureAwait(false); } catch (OperationCanceledException) { break; }
        }
        if (last is null) return null;
        var report = Path.Combine(run, "report.json");
        return new CampaignOutcome(last, last.Finished && File.Exists(report) ? report : null);
    }

    /// <summary>Polls the coordinator until the campaign finished, this node's actor system stopped (downed), or cancellation.</summary>
    private static async Task<CampaignProgress?> FollowAsync(ClusterNode node, IActorRef coordinator, Action<CampaignProgress>? onProgress, CancellationToken ct)
    {
        CampaignProgress? last = null;
        while (!ct.IsCancellationRequested && !node.System.WhenTerminated.IsCompleted)
        {
            try
            {
                last = await coordinator.Ask<CampaignProgress>(GetProgress.Instance, TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
                onProgress?.Invoke(last);
                if (last.Finished) break;
            }
            catch (AskTimeoutException)
            {
                // The coordinator is starting, recovering, or moving to another node: the generators wait, and so do we.
            }
            catch (OperationCanceledException) { break; }
            try { await Task.WhenAny(Task.Delay(1000, ct), node.System.WhenTerminated).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
        }
        return last;
    }

    /// <summary>Starts this node's share of the campaign's roles; returns the coordinator's proxy.</summary>
    public static IActorRef Place(ClusterNode node, CampaignOptions options)
    {
        var system = node.System;
        var farm = node.Singleton("dft-farm", "coordinator");
        var coordinator = node.Singleton("campaign", "coordinator");
        var learner = node.Singleton("learner", "learner");
        var fineTuner = node.Singleton("fine-tuner", "fine-tuner");
        var offlineCql = options.OfflineCql.Enabled ? node.Singleton("offline-cql", "offline-cql") : ActorRefs.Nobody;
        var mediator = node.Mediator;
        var store = new ContentStore(Path.Combine(RunDirectory(options), "state", "content"));
        var devices = RoleDevices.Resolve(options, node.HasRole);
        Log.Information("Node {Node}: devices {Devices}", node.Name, devices);

        var farmOptions = new FarmOptions { Lease = TimeSpan.FromSeconds(options.Dft.LeaseSeconds), MaxAttempts = options.Dft.MaxAttempts };
        node.StartSingleton("dft-farm", DftFarmActor.Props(farmOptions), "coordinator");
        node.StartSingleton("campaign", CampaignCoordinatorActor.Props(options, RunDirectory(options), new CoordinatorPeers(farm, learner, fineTuner, mediator, offlineCql)), "coordinator");
        var needsTasks = node.HasRole("learner") || node.HasRole("rollout");
        var context = needsTasks ? CampaignContext.Create(options) : null;
        if (context is not null) node.StartSingleton("learner", LearnerActor.Props(context, devices.Learner, coordinator, mediator), "learner");
        if (options.RewardModel.FinetuneSteps > 0)
        {
            var tune = new FineTuneOptions
            {
                Steps = options.RewardModel.FinetuneSteps, LearningRate = options.RewardModel.FinetuneLr,
                ReplayRatio = options.RewardModel.ReplayRatio, Seed = options.Seed, Fidelity = FidelityNames.Parse(options.RewardModel.Fidelity),
            };
            node.StartSingleton("fine-tuner", FineTunerActor.Props(options.RewardModel.Weights, tune, devices.RewardModel, store, coordinator, mediator), "fine-tuner");
        }
        if (options.OfflineCql.Enabled)
            node.StartSingleton("offline-cql", OfflineCqlActor.Props(options, devices.OfflineCql, RunDirectory(options), store, coordinator, mediator), "offline-cql");

        IActorRef? rewardModel = null;
        if (node.HasRole("reward-model"))
            rewardModel = system.ActorOf(RewardModelActor.Props(options.RewardModel.Weights, FidelityNames.Parse(options.RewardModel.Fidelity), devices.RewardModel, coordinator, mediator, options), "reward-model");
        if (node.HasRole("rollout"))
        {
            // Score on this node's replica when it has one, else on any node's (round robin over the cluster).
            rewardModel ??= system.ActorOf(new ClusterRouterGroup(new RoundRobinGroup(["/user/reward-model"]),
                new ClusterRouterGroupSettings(1000, ["/user/reward-model"], allowLocalRoutees: false, useRole: "reward-model")).Props(), "reward-model-router");
            var incarnation = Guid.NewGuid().ToString("N")[..6];
            for (int g = 0; g < options.Generators; g++)
            {
                int seed = unchecked((int)options.Seed * 1000 + StableHash(node.Name) * 31 + g);
                system.ActorOf(RolloutGeneratorActor.Props($"{node.Name}/gen-{g}#{incarnation}", context!, seed, rewardModel, learner, coordinator, mediator), $"gen-{g}");
            }
        }
        if (node.HasRole("relaxer") && options.Relax.Enabled)
            system.ActorOf(FarmWorkerActor.Props($"{node.Name}/relax-1", CampaignCoordinator.RelaxStage, new RelaxExecutor(options, devices.Relaxer), farm), "relax-1");
        if (node.HasRole("dft-worker"))
        {
            var dft = new DftJobExecutor(new DftService(options.Dft.ServiceOptions(RunDirectory(options))));
            for (int i = 1; i <= options.Dft.Runners; i++)
                system.ActorOf(FarmWorkerActor.Props($"{node.Name}/dft-{i}", CampaignCoordinator.DftStage, dft, farm), $"dft-{i}");
        }
        return coordinator;
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
        OptimumFile.Write(RunDirectory(options), result);
        return result;
    }

    /// <summary>A string hash that is the same in every process (string.GetHashCode is randomised per process).</summary>
    private static int StableHash(string s) => s.Aggregate(17, (h, c) => unchecked(h * 31 + c)) & 0x7fff;
}

/// <summary>What the learner and the generators of one node share: the design tasks, the skeleton graphs, the content store.</summary>
public sealed class CampaignContext
{
    public required CampaignOptions Options { get; init; }
    public required IReadOnlyList<DesignTask> Tasks { get; init; }
    public required TrajectoryDataset Skeletons { get; init; }
    public required ContentStore Store { get; init; }
    public required string RunDirectory { get; init; }

    public static CampaignContext Create(CampaignOptions options)
    {
        var run = CampaignRunner.RunDirectory(options);
        var (dataset, tasks) = LoadTasks(options);
        Log.Information("Campaign {Name}: {Count} skeleton(s) {Ids}{Pool}, {Vocab} elements, target {Target} eV; outputs in {Run}",
            options.Name, tasks.Count, string.Join(",", options.Skeleton.MaterialIds),
            options.Skeleton.Pool is { } p ? $" + a pool of up to {(p.Count == 0 ? "all" : p.Count.ToString())} with <= {p.MaxSites} sites" : "",
            options.Vocabulary.Count, options.TargetGapEv, run);
        return new CampaignContext
        {
            Options = options, Tasks = tasks, Skeletons = dataset, RunDirectory = run,
            Store = new ContentStore(Path.Combine(run, "state", "content")),
        };
    }

    /// <summary>
    /// The skeleton crystals of the config: their graphs (for the Q-network) and design tasks — the material ids in config
    /// order, then the pool's draws (see <see cref="SkeletonPoolOptions"/>).
    /// </summary>
    public static (TrajectoryDataset Skeletons, IReadOnlyList<DesignTask> Tasks) LoadTasks(CampaignOptions options)
    {
        var wanted = options.Skeleton.MaterialIds.ToHashSet(StringComparer.Ordinal);
        List<Mp20Record> all;
        try { all = CrystalDataReader.ReadRecords(options.Skeleton.Data, bad => Log.Warning("{Error}", bad.Message)).ToList(); }
        catch (Exception e) when (e is CrystalFormatException or ArgumentException)
        {
            throw new CampaignConfigException(options.SourcePath ?? "campaign", $"skeleton.data: {e.Message}");
        }
        var byId = all.Where(r => wanted.Contains(r.MaterialId)).GroupBy(r => r.MaterialId).ToDictionary(g => g.Key, g => g.First());
        var missing = options.Skeleton.MaterialIds.Where(id => !byId.ContainsKey(id)).ToList();
        if (missing.Count > 0)
            throw new CampaignConfigException(options.SourcePath ?? "campaign", $"skeleton.material_ids: {string.Join(", ", missing)} not found in {options.Skeleton.Data}");
        var records = options.Skeleton.MaterialIds.Distinct().Select(id => byId[id]).ToList();
        // Your own skeleton: a CIF or POSCAR file and no ids designs every crystal in it.
        if (records.Count == 0 && options.Skeleton.Pool is null)
            records = all.Where(r => r.Structure is not null).ToList();
        // A CIF or POSCAR carries no MP space group, gap or formation energy: spglib gives the first (symprec 0.1, as
        // MP-20's); the others only enter offline rewards, never the online campaign's.
        records = records.Select(r => r.SpacegroupNumber is null || r.BandGap is null || r.FormationEnergyPerAtom is null
            ? r with
            {
                SpacegroupNumber = r.SpacegroupNumber ?? Crystals.Symmetry.SpaceGroupAnalyzer.GetSpaceGroupNumber(r.Structure!, 0.1),
                BandGap = r.BandGap ?? 0, FormationEnergyPerAtom = r.FormationEnergyPerAtom ?? 0,
            }
            : r).ToList();
        if (options.Skeleton.Pool is { } pool)
        {
            var drawn = all.Where(r => r.Structure is { } st && st.NumSites <= pool.MaxSites && !wanted.Contains(r.MaterialId))
                .OrderBy(r => PoolKey(r.MaterialId, pool.Seed)).ThenBy(r => r.MaterialId, StringComparer.Ordinal).ToList();
            records.AddRange(pool.Count == 0 ? drawn : drawn.Take(pool.Count));
            if (records.Count == 0)
                throw new CampaignConfigException(options.SourcePath ?? "campaign", $"skeleton.pool: no crystal of at most {pool.MaxSites} sites in {options.Skeleton.Data}");
        }
        var skipped = new List<TrajectoryDataset.Skipped>();
        var dataset = TrajectoryDataset.Build(records, skipped: skipped);
        if (skipped.Count > 0)
            throw new CampaignConfigException(options.SourcePath ?? "campaign", $"skeleton {skipped[0].MaterialId} cannot be used: {skipped[0].Reason}");
        var tasks = records.Select(r => new DesignTask(Skeleton.FromStructure(r.Structure!, r.SpacegroupNumber!.Value), options.Vocabulary, options.TargetGapEv)).ToList();
        return (dataset, tasks);
    }

    /// <summary>A seeded, process-independent order of material ids (SplitMix64 over an FNV-1a hash).</summary>
    private static ulong PoolKey(string id, ulong seed)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in id) h = (h ^ c) * 1099511628211UL;
        ulong z = h + seed * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
