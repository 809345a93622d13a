using System.Text.Json;
using System.Text.Json.Serialization;
using CrystalActors.Learning.Environments.Skeletons;
using CrystalActors.Learning.Dqn;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;

namespace CrystalActors.Campaign;

/// <summary>
/// Everything a campaign needs, read from a JSON file in cluster-config/ (snake_case keys; an
/// unknown key is an error, so a typo never silently falls back to a default). Relative paths
/// are resolved against the config file's directory. Defaults follow the band-gap pipeline paper.
/// </summary>
public sealed record CampaignOptions
{
    /// <summary>Run name; outputs go to &lt;output_root&gt;/&lt;name&gt;.</summary>
    public string Name { get; init; } = "campaign";

    /// <summary>Where runs are written (journal, content store, report, CIF files).</summary>
    public string OutputRoot { get; init; } = "runs";

    public ulong Seed { get; init; } = 0;

    public SkeletonOptions Skeleton { get; init; } = new();

    /// <summary>Action vocabulary (element symbols); default the paper's 21 elements.</summary>
    public IReadOnlyList<string> Vocabulary { get; init; } = DesignTask.PaperVocabulary;

    /// <summary>Target band gap p̂, eV.</summary>
    public double TargetGapEv { get; init; } = 1.12;

    /// <summary>beta of the terminal reward exp(-(p - p̂)^2 / beta).</summary>
    public double RewardBeta { get; init; } = 1.0;

    public long Episodes { get; init; } = 3000;

    /// <summary>One generated crystal goes to relaxation + DFT every this many episodes (0 = never).</summary>
    public int DftEvery { get; init; } = 30;

    /// <summary>Most DFT calculations the campaign may request.</summary>
    public long DftBudget { get; init; } = 100;

    /// <summary>Stop after this many minutes (null = no limit).</summary>
    public double? WallTimeMinutes { get; init; }

    /// <summary>Play the greedy policy (epsilon 0) every this many episodes and journal its reward (0 = never).</summary>
    public int GreedyEvalEvery { get; init; } = 500;

    /// <summary>
    /// Breadth-first fill orders an episode is drawn from (1..5; default 1 = the skeleton's first order, one fixed
    /// order, so the greedy policy is a single design). With more, each episode picks one at random, and the greedy
    /// policy is evaluated (and its reward averaged) over all of them.
    /// </summary>
    public int Orders { get; init; } = 1;

    /// <summary>
    /// Before the campaign starts, search the best reward reachable under the initial reward model on the skeleton
    /// (Exp. 1's yardstick; written to optimum.json in the run directory once, reused on resume).
    /// </summary>
    public bool OptimumSearch { get; init; }

    /// <summary>
    /// libtorch (and OpenBLAS) intra-op threads of the campaign process (default 1). Its roles already run
    /// side by side, and pw.x wants the cores: with 2 threads per op on a 2-core node running DFT, the load
    /// reached 10 and a 3-atom relaxation took a second per FIRE step instead of 10 ms.
    /// </summary>
    public int TorchThreads { get; init; } = 1;

    /// <summary>Parallel rollout generators on this node.</summary>
    public int Generators { get; init; } = 1;

    /// <summary>
    /// The multi-objective reward (issue #17, Chemeleon2): weighted, per-batch-normalised components. Empty (the default)
    /// = the pipeline paper's reward exp(−(gap − p̂)²/β) from the reward model alone.
    /// </summary>
    public CampaignRewardOptions Reward { get; init; } = new();

    /// <summary>The online learner: "dqn" (the pipeline paper's; epsilon-greedy generators, replay) or "grpo" (Chemeleon2's
    /// RL stage: generators sample groups of <c>grpo.group_size</c> episodes of one skeleton, the learner updates on each group).</summary>
    public string Learner { get; init; } = "dqn";

    public EpsilonOptions Epsilon { get; init; } = new();
    public DqnOptions Dqn { get; init; } = new();
    public Learning.Grpo.GrpoOptions Grpo { get; init; } = new();
    public RewardModelOptions RewardModel { get; init; } = new();
    public RelaxOptions Relax { get; init; } = new();
    public DftOptions Dft { get; init; } = new();
    public OfflineOptions OfflineCql { get; init; } = new();

    /// <summary>A policy to start from: an online policy file (Exp. 4: the Exp. 1 policy), or a gap-conditioned offline CQL/BC
    /// checkpoint or training folder (an offline start); null = random initialisation.</summary>
    public string? InitialPolicy { get; init; }

    [JsonIgnore] public string? SourcePath { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Reads and validates a campaign file; errors name the file and the offending field.</summary>
    public static CampaignOptions Load(string path)
    {
        var options = JsonConfigFile.Read<CampaignOptions>(path, Json, (file, why) => new CampaignConfigException(file, why));
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        options = options.ResolvePaths(dir) with { SourcePath = Path.GetFullPath(path) };
        options.Validate(path);
        return options;
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    private CampaignOptions ResolvePaths(string dir)
    {
        // Relative to the config's folder; a path into shared/ that is not there is looked up where SharedPaths finds shared/.
        string? R(string? p) => p is null ? p : SharedPaths.Resolve(Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(dir, p)));
        return this with
        {
            OutputRoot = R(OutputRoot)!,
            Skeleton = Skeleton with { Data = R(Skeleton.Data)! },
            RewardModel = RewardModel with { Weights = R(RewardModel.Weights)! },
            Relax = Relax with { Weights = R(Relax.Weights)! },
            Dft = Dft with { PseudoDir = R(Dft.PseudoDir), ScratchDir = R(Dft.ScratchDir) },
            OfflineCql = OfflineCql with { Data = R(OfflineCql.Data) },
            InitialPolicy = R(InitialPolicy),
            Reward = Reward with
            {
                Setup = Reward.Setup with
                {
                    Reference = R(Reward.Setup.Reference)!, HullData = Reward.Setup.HullData.Select(h => R(h)!).ToList(),
                    ChemicalPotentials = R(Reward.Setup.ChemicalPotentials), EnergyWeights = R(Reward.Setup.EnergyWeights)!,
                },
            },
        };
    }

    public void Validate(string source)
    {
        void Check(bool ok, string field, string why)
        {
            if (!ok) throw new CampaignConfigException(source, $"{field}: {why}");
        }
        Check(Name.Length > 0 && Name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0, "name", $"'{Name}' is not a valid folder name");
        Check(Vocabulary.Count > 0, "vocabulary", "at least one element is needed");
        foreach (var symbol in Vocabulary)
            Check(Element.TryFromSymbol(symbol, out var element) && ActionVocabulary.TryGetActionIndex(element, out _), "vocabulary",
                $"'{symbol}' is not an element of the 88-action vocabulary");
        Check(Vocabulary.Distinct().Count() == Vocabulary.Count, "vocabulary", "an element is listed twice");
        bool ownFile = !Skeleton.Data.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) && !Skeleton.Data.EndsWith(".jsonl.gz", StringComparison.OrdinalIgnoreCase)
                       && !Skeleton.Data.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) && !Skeleton.Data.EndsWith(".csv.gz", StringComparison.OrdinalIgnoreCase);
        Check(Skeleton.MaterialIds.Count > 0 || Skeleton.Pool is not null || ownFile, "skeleton.material_ids",
            "at least one material id is needed (or a skeleton.pool, or a CIF/POSCAR file as skeleton.data)");
        Check(Skeleton.Pool is null || Skeleton.Pool.MaxSites is >= 1 and <= Learning.Offline.TrajectoryDataset.MaxSites, "skeleton.pool.max_sites",
            $"must be in 1..{Learning.Offline.TrajectoryDataset.MaxSites}");
        Check(Skeleton.Pool is null || Skeleton.Pool.Count is >= 0 and <= 100_000, "skeleton.pool.count", "must be in 0..100000 (0 = all)");
        Check(double.IsFinite(TargetGapEv) && TargetGapEv <= 20, "target_gap_ev", "must be a finite gap of at most 20 eV");
        Check(double.IsFinite(RewardBeta), "reward_beta", "must be finite");
        Check(WallTimeMinutes is null || WallTimeMinutes > 0, "wall_time_minutes", "must be > 0 (or absent)");
        Check(double.IsFinite(Epsilon.DecayRate) && Epsilon.DecayRate >= 0, "epsilon.decay_rate", "must be a finite rate >= 0");
        Check(Learner is "dqn" or "grpo", "learner", $"'{Learner}' is not one of dqn, grpo");
        foreach (var c in Reward.Components)
        {
            Check(Learning.Rewards.RewardComponentOptions.Kinds.Contains(c.Kind), "reward.components",
                $"'{c.Kind}' is not a component; valid: {string.Join(", ", Learning.Rewards.RewardComponentOptions.Kinds)}");
            Check(double.IsFinite(c.Weight), $"reward.components.{c.Kind}.weight", "must be finite");
            Check(c.Normalize is null || Learning.Rewards.RewardNormalization.Names.Contains(c.Normalize), $"reward.components.{c.Kind}.normalize",
                $"'{c.Normalize}' is not one of {string.Join(", ", Learning.Rewards.RewardNormalization.Names)} (or null)");
            Check(c.Form is "gaussian" or "squared", $"reward.components.{c.Kind}.form", "must be gaussian or squared");
        }
        Check(Reward.Components.Select(c => c.Kind).Distinct().Count() == Reward.Components.Count, "reward.components", "a kind is listed twice");
        Check(double.IsFinite(Reward.GatePenalty), "reward.gate_penalty", "must be finite");
        Check(Reward.Setup.ReferenceSample is >= 3 and <= 20_000, "reward.setup.reference_sample", "must be in 3..20000");
        if (Reward.Components.Count > 0)
        {
            Check(File.Exists(Reward.Setup.Reference), "reward.setup.reference", $"'{Reward.Setup.Reference}' does not exist");
            if (Reward.Components.Any(c => c.Kind == "energy"))
            {
                foreach (var h in Reward.Setup.HullData) Check(File.Exists(h), "reward.setup.hull_data", $"'{h}' does not exist");
                Check(File.Exists(Reward.Setup.EnergyWeights), "reward.setup.energy_weights", $"'{Reward.Setup.EnergyWeights}' does not exist");
                Check(Reward.Setup.ChemicalPotentials is null || File.Exists(Reward.Setup.ChemicalPotentials), "reward.setup.chemical_potentials",
                    $"'{Reward.Setup.ChemicalPotentials}' does not exist");
            }
        }
        try { Grpo.Validate(); }
        catch (ArgumentOutOfRangeException e) { Check(false, $"grpo.{JsonNamingPolicy.SnakeCaseLower.ConvertName(e.ParamName ?? "")}", e.Message.Split(" (Parameter")[0]); }
        Check(Dqn.TargetUpdateEvery >= 1, "dqn.target_update_every", "must be >= 1");
        Check(Dqn.UpdatesPerEpisode >= 0, "dqn.updates_per_episode", "must be >= 0");
        Check(Dqn.LearningStarts >= 0, "dqn.learning_starts", "must be >= 0");
        Check(Dqn.PublishEvery >= 1, "dqn.publish_every", "must be >= 1");
        Check(RewardModel.ReplayRatio is >= 0 and <= 1, "reward_model.replay_ratio", "must be in [0, 1]");
        Check(Relax.Fmax > 0 && double.IsFinite(Relax.Fmax), "relax.fmax", "must be a positive force (eV/Å)");
        Check(Relax.Steps >= 0, "relax.steps", "must be >= 0");
        // The same ranges a DFT worker checks (PwParameters): refused here, before the run folder, not at the first DFT job.
        const double maxWfc = CrystalActors.Dft.Input.PwParameters.MaxEcutWfcRy, maxRho = CrystalActors.Dft.Input.PwParameters.MaxEcutRhoRy;
        Check(Dft.EcutWfcRy is null or (> 0 and <= maxWfc), "dft.ecut_wfc_ry", $"must be in (0, {maxWfc}] Ry (or absent)");
        Check(Dft.EcutRhoRy is null or (> 0 and <= maxRho), "dft.ecut_rho_ry", $"must be in (0, {maxRho}] Ry (or absent)");
        Check(Dft.KSpacingInvAngstrom is null or > 0, "dft.k_spacing_inv_angstrom", "must be > 0 (or absent)");
        Check(OfflineCql.CheckpointEvery >= 1 && OfflineCql.BatchSize >= 1, "offline_cql", "checkpoint_every and batch_size must be >= 1");
        Check(OfflineCql.CqlWeight >= 0 && double.IsFinite(OfflineCql.CqlWeight), "offline_cql.cql_weight", "must be a finite weight >= 0");
        Check(TargetGapEv >= 0, "target_gap_ev", "must be >= 0");
        Check(RewardBeta > 0, "reward_beta", "must be > 0");
        Check(Episodes > 0, "episodes", "must be > 0");
        Check(DftEvery >= 0, "dft_every", "must be >= 0 (0 = no DFT)");
        Check(DftBudget >= 0, "dft_budget", "must be >= 0");
        Check(Generators >= 1, "generators", "must be >= 1");
        Check(TorchThreads >= 1, "torch_threads", "must be >= 1");
        Check(OfflineCql.DutyCycle is > 0 and <= 1, "offline_cql.duty_cycle", "must be in (0, 1]");
        Check(GreedyEvalEvery >= 0, "greedy_eval_every", "must be >= 0 (0 = never)");
        const int maxOrders = Crystals.Graphs.Skeleton.DefaultOrderCount;
        Check(Orders is >= 1 and <= maxOrders, "orders", $"must be in 1..{maxOrders}");
        Check(CrystalActors.Dft.Input.DftProtocol.Names.Contains(Dft.ProtocolName.ToLowerInvariant()), "dft.protocol_name",
            $"'{Dft.ProtocolName}' is not a protocol; valid: {string.Join(", ", CrystalActors.Dft.Input.DftProtocol.Names)}");
        Check(Epsilon.Start is >= 0 and <= 1 && Epsilon.End is >= 0 and <= 1, "epsilon", "start and end must be in [0, 1]");
        Check(Dqn.BatchSize >= 1 && Dqn.ReplayCapacity >= Dqn.BatchSize, "dqn", "batch_size must be >= 1 and <= replay_capacity");
        Check(Dqn.Gamma is >= 0 and <= 1, "dqn.gamma", "must be in [0, 1]");
        Check(Dqn.NStep is >= 1 and <= 255, "dqn.n_step", "must be in 1..255");
        Check(Dqn.LearningRate > 0, "dqn.learning_rate", "must be positive");
        foreach (var (key, device) in new[] { ("dqn.device", Dqn.Device), ("grpo.device", Grpo.Device), ("reward_model.device", RewardModel.Device),
                                              ("relax.device", Relax.Device), ("offline_cql.device", OfflineCql.Device) })
            Check(Torch.Device.IsValidName(device), key, $"'{device}' is not a device; valid: cpu, cuda, cuda:N, auto");
        Check(Dft.Runners >= 1, "dft.runners", "must be >= 1");
        Check(Dft.LeaseSeconds >= 1, "dft.lease_seconds", "must be >= 1");
        Check(Dft.MaxAttempts >= 1, "dft.max_attempts", "must be >= 1");
        Check(DftOptions.Launchers.Contains(Dft.Launcher), "dft.launcher", $"'{Dft.Launcher}' is not one of {string.Join(", ", DftOptions.Launchers)}");
        Check(Dft.Launcher != "none" || Dft.MpiRanks == 1, "dft.mpi_ranks", "launcher 'none' runs one rank");
        Check(Dft.MpiRanks >= 1 && Dft.OmpThreads >= 1, "dft", "mpi_ranks and omp_threads must be >= 1");
        Check(Dft.WallTimeMinutes > 0, "dft.wall_time_minutes", "must be > 0");
        Check(RewardModel.FinetuneSteps >= 0 && RewardModel.FinetuneLr > 0, "reward_model", "finetune_steps >= 0 and finetune_lr > 0");
        Check(RewardModelOptions.FinetunePairs.Contains(RewardModel.FinetunePair), "reward_model.finetune_pair",
            $"'{RewardModel.FinetunePair}' is not one of {string.Join(", ", RewardModelOptions.FinetunePairs)}");
        Check(File.Exists(Skeleton.Data), "skeleton.data", $"'{Skeleton.Data}' does not exist");
        Check(File.Exists(RewardModel.Weights), "reward_model.weights", $"'{RewardModel.Weights}' does not exist");
        Check(!Relax.Enabled || File.Exists(Relax.Weights), "relax.weights", $"'{Relax.Weights}' does not exist");
        Check(InitialPolicy is null || File.Exists(InitialPolicy) || Directory.Exists(InitialPolicy), "initial_policy", $"'{InitialPolicy}' does not exist");
        Check(!OfflineCql.Enabled || (OfflineCql.Data is { } d && File.Exists(d)), "offline_cql.data", $"'{OfflineCql.Data}' does not exist");
    }

    public StopCriteria Stop => new(Episodes, DftEvery == 0 ? 0 : DftBudget, WallTimeMinutes is { } m ? TimeSpan.FromMinutes(m) : null);
}

/// <summary>The campaign's <c>reward</c> block: components (see <see cref="Learning.Rewards.CompositeReward"/>), the SMACT gate, where models and references are.</summary>
public sealed record CampaignRewardOptions
{
    /// <summary>e.g. [{"kind": "target_gap", "weight": 1}, {"kind": "energy", "weight": 1}, {"kind": "creativity", "weight": 1},
    /// {"kind": "structure_diversity", "weight": 0.1, "normalize": "norm"}, {"kind": "composition_diversity", "weight": 1, "normalize": "norm"}].</summary>
    public IReadOnlyList<Learning.Rewards.RewardComponentOptions> Components { get; init; } = [];
    /// <summary>SMACT validity as a gate: an invalid crystal's total is <see cref="GatePenalty"/>.</summary>
    public bool SmactGate { get; init; }
    public double GatePenalty { get; init; } = -1.0;
    public Learning.Rewards.RewardSetup Setup { get; init; } = new();

    [JsonIgnore] public bool IsMultiObjective => Components.Count > 0 || SmactGate;
}

public sealed record SkeletonOptions
{
    /// <summary>The crystals whose skeletons are designed: MP-20-form JSONL(.gz) or CSV (pick them with material_ids), or your
    /// own CIF / POSCAR file (with no material_ids, every crystal in it).</summary>
    public string Data { get; init; } = "../../shared/data/mp20/mp20_val.jsonl.gz";

    /// <summary>Default: Rb3ScF6 (mp-1114693), 10 sites, space group 225, as the pipeline paper.</summary>
    public IReadOnlyList<string> MaterialIds { get; init; } = new[] { "mp-1114693" };

    /// <summary>Skeletons drawn from the data file as well (issue #17: structures differ, not only compositions); null = the ids alone.</summary>
    public SkeletonPoolOptions? Pool { get; init; }
}

/// <summary>
/// A pool of skeletons from the data file: every crystal with at most <see cref="MaxSites"/> sites (and coordinates),
/// ordered by a seeded hash of its material id, the first <see cref="Count"/> kept (0 = all). Each episode draws one.
/// </summary>
public sealed record SkeletonPoolOptions
{
    public int MaxSites { get; init; } = 20;
    public int Count { get; init; } = 256;
    public ulong Seed { get; init; } = 0;
}

public sealed record EpsilonOptions
{
    public double Start { get; init; } = 1.0;
    public double End { get; init; } = 0.001;
    public double DecayRate { get; init; } = 1e-5;
    public EpsilonSchedule Schedule => new(Start, End, DecayRate);
}

public sealed record RewardModelOptions
{
    public string Weights { get; init; } = "../../shared/reference/megnet/MEGNet-MP-2019.4.1-BandGap-mfi.safetensors";
    public string Fidelity { get; init; } = "pbe";
    public int FinetuneSteps { get; init; } = 10;
    public double FinetuneLr { get; init; } = 0.001;
    /// <summary>Share of earlier DFT samples replayed in each fine-tuning batch (0 = the paper).</summary>
    public double ReplayRatio { get; init; } = 0.0;
    /// <summary>
    /// Which structure a DFT gap is paired with when fine-tuning: "designed" (default: the unrelaxed fill, which is what
    /// the reward model scores during rollouts) or "relaxed" (the structure DFT computed after M3GNet + FIRE, the
    /// physically consistent pair; the model then learns relaxed geometries but is asked about unrelaxed ones).
    /// </summary>
    public string FinetunePair { get; init; } = "designed";
    public static readonly string[] FinetunePairs = ["designed", "relaxed"];
    /// <summary>Where this role group's networks run: "cpu", "cuda", "cuda:N" or "auto" (CUDA when the bridge's libtorch
    /// has it). Checked when the role starts on its node, so one config serves GPU and CPU nodes.</summary>
    public string Device { get; init; } = "auto";
}

public sealed record RelaxOptions
{
    public bool Enabled { get; init; } = true;
    public string Weights { get; init; } = "../../shared/reference/m3gnet/M3GNet-MatPES-PBE-v2025.1-PES.safetensors";
    public double Fmax { get; init; } = 0.1;
    public int Steps { get; init; } = 200;
    /// <summary>Where this role group's networks run: "cpu", "cuda", "cuda:N" or "auto" (CUDA when the bridge's libtorch
    /// has it). Checked when the role starts on its node, so one config serves GPU and CPU nodes.</summary>
    public string Device { get; init; } = "auto";
}

public sealed record DftOptions
{
    /// <summary>"paper" or "sssp" (see the DFT service).</summary>
    public string ProtocolName { get; init; } = "sssp";

    /// <summary>The named protocol with this config's overrides applied.</summary>
    public CrystalActors.Dft.Input.DftProtocol Protocol()
    {
        var p = CrystalActors.Dft.Input.DftProtocol.ByName(ProtocolName);
        if (EcutWfcRy is { } w) p = p with { EcutWfcRy = w };
        if (EcutRhoRy is { } r) p = p with { EcutRhoRy = r };
        if (KSpacingInvAngstrom is { } k) p = p with { KSpacingInvAngstrom = k };
        return p;
    }
    public string? PseudoDir { get; init; }
    public int MpiRanks { get; init; } = 2;
    public double WallTimeMinutes { get; init; } = 12;
    public bool Handlers { get; init; } = true;
    /// <summary>Overrides of the protocol's plane-wave cutoffs (Ry) and k-point spacing (1/Å); null keeps the protocol's.</summary>
    public double? EcutWfcRy { get; init; }
    public double? EcutRhoRy { get; init; }
    public double? KSpacingInvAngstrom { get; init; }

    /// <summary>DFT worker actors on each node with role dft-worker (each runs pw.x with <see cref="MpiRanks"/> ranks).</summary>
    public int Runners { get; init; } = 1;

    /// <summary>The farm's lease term: a worker renews every third of it; a job whose lease runs out goes back to the queue.</summary>
    public double LeaseSeconds { get; init; } = 30;

    /// <summary>Attempts (expired leases + retryable failures) before a DFT job is dead-lettered.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>What starts pw.x's ranks: "mpirun" (default), "srun" (inside a Slurm allocation) or "none" (one rank).</summary>
    public string Launcher { get; init; } = "mpirun";

    /// <summary>Extra launcher arguments, one list element each (e.g. ["--bind-to", "core"]); never a shell string.</summary>
    public IReadOnlyList<string> LauncherArgs { get; init; } = [];

    /// <summary>OMP_NUM_THREADS of each pw.x rank (Debian's pw.x has no OpenMP: ranks use the cores).</summary>
    public int OmpThreads { get; init; } = 1;

    /// <summary>pw.x: a path, or a name on PATH (environment modules).</summary>
    public string PwPath { get; init; } = "pw.x";

    /// <summary>Parent of pw.x's working directories (node-local scratch); null = the system temp folder.</summary>
    public string? ScratchDir { get; init; }

    /// <summary>Keep each job's input, output and XML, gzip-compressed, under runs/&lt;name&gt;/dft/&lt;job&gt;/ (default on).</summary>
    public bool Archive { get; init; } = true;

    public static readonly string[] Launchers = ["mpirun", "srun", "none"];

    /// <summary>The DFT service settings of a worker of this campaign; archives go under <paramref name="runDirectory"/>/dft.</summary>
    public CrystalActors.Dft.DftServiceOptions ServiceOptions(string runDirectory) => new()
    {
        PseudoRoot = PseudoDir,
        HandlersEnabled = Handlers,
        ArchiveDirectory = Archive ? Path.Combine(runDirectory, "dft") : null,
        Runner = new CrystalActors.Dft.Execution.PwRunnerOptions
        {
            PwExecutable = PwPath,
            Launcher = Enum.Parse<CrystalActors.Dft.Execution.PwLauncher>(Launcher, ignoreCase: true),
            LauncherArguments = LauncherArgs,
            MpiRanks = MpiRanks,
            OmpThreads = OmpThreads,
            ScratchRoot = ScratchDir,
            WallTimeLimit = TimeSpan.FromMinutes(WallTimeMinutes),
        },
    };
}

public sealed record OfflineOptions
{
    public bool Enabled { get; init; }
    public string? Data { get; init; }
    /// <summary>Gradient steps between checkpoints registered with the campaign.</summary>
    public int CheckpointEvery { get; init; } = 500;
    public int BatchSize { get; init; } = 256;
    /// <summary>CQL weight w (the paper: 1 and 5).</summary>
    public double CqlWeight { get; init; } = 5.0;
    /// <summary>Share of wall time the offline learner trains (1 = always); below 1 it pauses between chunks so that a
    /// single node's cores go to the online loop and pw.x.</summary>
    public double DutyCycle { get; init; } = 1.0;
    /// <summary>Where this role group's networks run: "cpu", "cuda", "cuda:N" or "auto" (CUDA when the bridge's libtorch
    /// has it). Checked when the role starts on its node, so one config serves GPU and CPU nodes.</summary>
    public string Device { get; init; } = "auto";
}

public sealed class CampaignConfigException(string path, string reason) : Exception($"{path}: {reason}")
{
    public string PathName { get; } = path;
}
