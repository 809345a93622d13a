using System.Text.Json;
using System.Text.Json.Serialization;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Learning.Environments.Clusters;
using CrystalActors.Models.Relaxation;

namespace CrystalActors.Learning.Clusters;

/// <summary>A bad cluster-run config; the message is "path: reason".</summary>
public sealed class ClusterConfigException(string path, string reason) : Exception($"{path}: {reason}");

/// <summary>The energy model of a cluster run.</summary>
public sealed record ClusterPotentialOptions
{
    /// <summary>"m3gnet" (default) or "lennard-jones".</summary>
    public string Kind { get; init; } = "m3gnet";
    /// <summary>M3GNet weights (.safetensors; relative to the config file) [matgl's M3GNet-MP-2021.2.8-PES].</summary>
    public string Weights { get; init; } = "../../shared/reference/m3gnet/M3GNet-MP-2021.2.8-PES.safetensors";
    /// <summary>"float32" (default) or "float64".</summary>
    public string Dtype { get; init; } = "float32";
    /// <summary>Lennard-Jones ε (energy units) and σ (Å).</summary>
    public double Epsilon { get; init; } = 1.0;
    public double Sigma { get; init; } = 1.0;
}

/// <summary>The PPO agent's share of a run.</summary>
public sealed record ClusterRlOptions
{
    /// <summary>Fraction of the evaluation budget spent on training single points [0.5]; the rest relaxes the
    /// lowest distinct final clusters the agent produced.</summary>
    public double TrainFraction { get; init; } = 0.5;
    public int EpisodesPerIteration { get; init; } = 16;
    public int Epochs { get; init; } = 4;
    public int MinibatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 1e-3;
    public double EntropyCoef { get; init; } = 0.01;
    public int Hidden { get; init; } = 64;
    public int Lmax { get; init; } = 4;
    public int DistanceBins { get; init; } = 12;
}

public sealed record ClusterEnvironmentConfig
{
    /// <summary>Placement rules in Å [2.0, 3.6].</summary>
    public double MinDistance { get; init; } = 2.0;
    public double MaxDistance { get; init; } = 3.6;
    /// <summary>"delta" (energy change per placement, default) or "final".</summary>
    public string RewardMode { get; init; } = "delta";
    public double InvalidPenalty { get; init; } = -1.0;
}

public sealed record ClusterRelaxConfig
{
    public double Fmax { get; init; } = 0.05;
    public int Steps { get; init; } = 300;
}

public sealed record BasinHoppingConfig
{
    /// <summary>kT (eV) [0.1].</summary>
    public double Temperature { get; init; } = 0.1;
    /// <summary>Displacement half-width per hop (Å) [0.4].</summary>
    public double StepSize { get; init; } = 0.4;
}

/// <summary>
/// The pw.x check of the lowest isomers found on the actors (`clusters campaign`): Γ-point, Marzari-Vanderbilt
/// smearing (metal clusters), the cluster centred in a cubic box with <see cref="VacuumAngstrom"/> of vacuum between
/// periodic images.
/// </summary>
public sealed record ClusterDftConfig
{
    /// <summary>How many of the lowest distinct minimised isomers go to DFT [0 = none].</summary>
    public int Top { get; init; } = 0;
    /// <summary>Vacuum between periodic images (Å): box edge = cluster diameter + this [10].</summary>
    public double VacuumAngstrom { get; init; } = 10.0;
    /// <summary>Plane-wave cutoffs (Ry); null = SSSP's recommendation for the species.</summary>
    public double? EcutWfcRy { get; init; }
    public double? EcutRhoRy { get; init; }
    public double DegaussRy { get; init; } = 0.01;
    public int MpiRanks { get; init; } = 2;
    /// <summary>"mpirun", "srun" or "none".</summary>
    public string Launcher { get; init; } = "mpirun";
    public double WallTimeMinutes { get; init; } = 60;
    /// <summary>DFT worker actors per node with role dft-worker [1].</summary>
    public int Runners { get; init; } = 1;
}

/// <summary>How a run is spread over the campaign's roles (`clusters campaign`): rollout generators, the PPO learner,
/// relaxer workers and DFT workers of the farm, on whichever nodes hold those roles.</summary>
public sealed record ClusterRolesConfig
{
    /// <summary>Rollout generators per node with role rollout [1]; each plays episodes_per_iteration / generators per batch.</summary>
    public int Generators { get; init; } = 1;
    /// <summary>The lowest distinct unrelaxed clusters the agent built that the relaxers minimise with FIRE [16].</summary>
    public int RelaxTop { get; init; } = 16;
    public ClusterDftConfig Dft { get; init; } = new();
}

/// <summary>
/// A metal-cluster run (issue #18, MeGen): grow seed + bag with the RL agent, random placement search and basin
/// hopping on one energy model at one energy-evaluation budget each. JSON with snake_case keys; paths are relative to
/// the config file.
/// </summary>
public sealed record ClusterRunOptions
{
    public string Name { get; init; } = "clusters";
    public string OutputRoot { get; init; } = "../runs";
    public int Seed { get; init; } = 0;
    /// <summary>Seed cluster: an XYZ / extended-XYZ file and the frame to use (default 0, the first).</summary>
    public string SeedXyz { get; init; } = "";
    public int SeedFrame { get; init; } = 0;
    /// <summary>Atoms to place, element symbol → count (e.g. {"Ga": 1}).</summary>
    public Dictionary<string, int> Bag { get; init; } = new() { ["Ga"] = 1 };
    /// <summary>Energy evaluations per method (single points and FIRE steps alike) [2000].</summary>
    public long Budget { get; init; } = 2000;
    /// <summary>Which searches to run: any of "rl", "random", "basin-hopping" [all three].</summary>
    public List<string> Methods { get; init; } = ["rl", "random", "basin-hopping"];
    /// <summary>Isomers within this much of the lowest energy found by any method count as "low-energy" (eV) [0.5].</summary>
    public double EnergyWindowEv { get; init; } = 0.5;
    /// <summary>Distance tolerance of the isomer fingerprint (Å) [0.05].</summary>
    public double IsomerTolerance { get; init; } = 0.05;
    /// <summary>When set, two minima are one isomer only if their energies are also within this (eV) [null].</summary>
    public double? IsomerEnergyToleranceEv { get; init; }
    public ClusterPotentialOptions Potential { get; init; } = new();
    public ClusterEnvironmentConfig Environment { get; init; } = new();
    public ClusterRelaxConfig Relax { get; init; } = new();
    public BasinHoppingConfig BasinHopping { get; init; } = new();
    public ClusterRlOptions Rl { get; init; } = new();
    /// <summary>Used by `clusters campaign` (the agent on the actors); `clusters run` ignores it.</summary>
    public ClusterRolesConfig Roles { get; init; } = new();

    [JsonIgnore] public string? SourcePath { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
    };

    public static ClusterRunOptions Load(string path)
    {
        var o = JsonConfigFile.Read<ClusterRunOptions>(path, Json, (file, why) => new ClusterConfigException(file, why));
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string R(string p) => SharedPaths.Resolve(Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(dir, p)));
        o = o with
        {
            OutputRoot = R(o.OutputRoot),
            SeedXyz = o.SeedXyz.Length == 0 ? "" : R(o.SeedXyz),
            Potential = o.Potential with { Weights = R(o.Potential.Weights) },
            SourcePath = Path.GetFullPath(path),
        };
        o.Validate(path);
        return o;
    }

    public void Validate(string path)
    {
        void Fail(string why) => throw new ClusterConfigException(path, why);
        if (SeedXyz.Length == 0) Fail("seed_xyz is required (an XYZ file with the seed cluster)");
        if (Budget < 10) Fail($"budget must be at least 10 energy evaluations, got {Budget}");
        if (Bag.Count == 0 || Bag.Values.Any(v => v < 1)) Fail("bag must name at least one element with a positive count");
        foreach (var s in Bag.Keys) if (!Element.TryFromSymbol(s, out _)) Fail($"bag: unknown element '{s}'");
        string[] known = ["rl", "random", "basin-hopping"];
        foreach (var m in Methods) if (!known.Contains(m)) Fail($"methods: unknown method '{m}' (valid: {string.Join(", ", known)})");
        if (Potential.Kind is not ("m3gnet" or "lennard-jones")) Fail($"potential.kind '{Potential.Kind}' is not one of m3gnet, lennard-jones");
        if (Potential.Dtype is not ("float32" or "float64")) Fail($"potential.dtype '{Potential.Dtype}' is not one of float32, float64");
        if (Potential.Kind == "lennard-jones" && !(Potential.Epsilon > 0 && Potential.Sigma > 0 && double.IsFinite(Potential.Epsilon) && double.IsFinite(Potential.Sigma)))
            Fail("potential: lennard-jones needs a positive, finite epsilon (eV) and sigma (Å)");
        if (!(Relax.Fmax > 0 && double.IsFinite(Relax.Fmax)) || Relax.Steps < 0) Fail("relax: fmax must be a positive force (eV/Å) and steps >= 0");
        if (Environment.RewardMode is not ("delta" or "final")) Fail($"environment.reward_mode '{Environment.RewardMode}' is not one of delta, final");
        if (!(Environment.MinDistance > 0 && Environment.MaxDistance > Environment.MinDistance)) Fail("environment: need 0 < min_distance < max_distance");
        if (!(Rl.TrainFraction > 0 && Rl.TrainFraction < 1)) Fail("rl.train_fraction must be in (0, 1)");
        if (!(BasinHopping.Temperature > 0)) Fail("basin_hopping.temperature must be positive");
        if (Roles.Generators is < 1 or > 64) Fail("roles.generators must be in 1..64");
        if (Roles.RelaxTop is < 1 or > 10_000) Fail("roles.relax_top must be in 1..10000");
        if (Roles.Dft.Top is < 0 or > 1000) Fail("roles.dft.top must be in 0..1000");
        if (!(Roles.Dft.VacuumAngstrom is >= 4 and <= 40)) Fail("roles.dft.vacuum_angstrom must be in 4..40 Å");
        if (!(Roles.Dft.DegaussRy is > 0 and <= 0.1)) Fail("roles.dft.degauss_ry must be in (0, 0.1]");
        if (Roles.Dft.EcutWfcRy is { } w && !(w is >= 10 and <= 300)) Fail("roles.dft.ecut_wfc_ry must be in 10..300 Ry");
        if (Roles.Dft.EcutRhoRy is { } r && !(r is >= 40 and <= 2400)) Fail("roles.dft.ecut_rho_ry must be in 40..2400 Ry");
        if (Roles.Dft.MpiRanks is < 1 or > 4096) Fail("roles.dft.mpi_ranks must be in 1..4096");
        if (Roles.Dft.Launcher is not ("mpirun" or "srun" or "none")) Fail($"roles.dft.launcher '{Roles.Dft.Launcher}' is not one of mpirun, srun, none");
        if (Roles.Dft.Runners is < 1 or > 64) Fail("roles.dft.runners must be in 1..64");
        if (!(Roles.Dft.WallTimeMinutes is > 0 and <= 10_080)) Fail("roles.dft.wall_time_minutes must be in (0, 10080]");
    }

    /// <summary>The bag in a fixed order (elements by Z, each repeated by its count).</summary>
    public Element[] BagElements() => Bag.Select(kv => (E: Element.FromSymbol(kv.Key), kv.Value)).OrderBy(x => x.E.Z)
        .SelectMany(x => Enumerable.Repeat(x.E, x.Value)).ToArray();

    public PlacementRules Rules() => new() { MinDistance = Environment.MinDistance, MaxDistance = Environment.MaxDistance };

    public ClusterEnvironmentOptions EnvironmentOptions() => new()
    {
        Rules = Rules(),
        RewardMode = Environment.RewardMode == "final" ? ClusterRewardMode.Final : ClusterRewardMode.Delta,
        InvalidPenalty = Environment.InvalidPenalty,
    };

    public ClusterRelaxOptions RelaxOptions() => new() { Fmax = Relax.Fmax, MaxSteps = Relax.Steps };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}
