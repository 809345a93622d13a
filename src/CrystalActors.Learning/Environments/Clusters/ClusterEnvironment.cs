using CrystalActors.Crystals;
using CrystalActors.Models.Clusters;

namespace CrystalActors.Learning.Environments.Clusters;

/// <summary>How a placement is rewarded (MolGym's "energy change" reward or a sparse final reward).</summary>
public enum ClusterRewardMode
{
    /// <summary>Each valid placement earns −(E(s') − E(s) − E(atom)): the binding energy the new atom adds.</summary>
    Delta,
    /// <summary>Zero until the bag is empty, then −(E(final) − E(seed) − Σ E(atom)); the same return as Delta.</summary>
    Final,
}

/// <summary>
/// Placement rules (MolGym's validity checks): a new atom closer than <see cref="MinDistance"/> to any atom is
/// "too close", one farther than <see cref="MaxDistance"/> from every atom is "too far". Defaults suit Ga–Ga
/// (bond ≈ 2.5–2.9 Å; covalent radius 1.22 Å): 2.0 and 3.6 Å.
/// </summary>
public sealed record PlacementRules
{
    /// <summary>Smallest allowed distance to any atom (Å; default 2.0).</summary>
    public double MinDistance { get; init; } = 2.0;
    /// <summary>Largest allowed distance to the nearest atom (Å; default 3.6).</summary>
    public double MaxDistance { get; init; } = 3.6;

    public PlacementCheck Check(Molecule canvas, Vec3 position)
    {
        double d = canvas.MinDistanceTo(position);
        if (!double.IsFinite(d)) return PlacementCheck.TooClose;
        if (d < MinDistance) return PlacementCheck.TooClose;
        if (d > MaxDistance) return PlacementCheck.TooFar;
        return PlacementCheck.Valid;
    }

    public void Validate()
    {
        if (!(MinDistance > 0) || !(MaxDistance > MinDistance))
            throw new ArgumentException($"placement rules need 0 < min_distance < max_distance (got {MinDistance}, {MaxDistance} Å)");
    }
}

public enum PlacementCheck { Valid, TooClose, TooFar }

/// <summary>Environment settings: rules, reward mode and the penalty (energy units, default −1.0) of an invalid placement.</summary>
public sealed record ClusterEnvironmentOptions
{
    public PlacementRules Rules { get; init; } = new();
    public ClusterRewardMode RewardMode { get; init; } = ClusterRewardMode.Delta;
    /// <summary>Reward of an invalid placement, which also ends the episode (MolGym's min_reward); default −1.0.</summary>
    public double InvalidPenalty { get; init; } = -1.0;
}

/// <summary>The outcome of one placement.</summary>
public sealed record ClusterStep(double Reward, bool Done, PlacementCheck Check, double? Energy);

/// <summary>
/// The bag-and-canvas MDP of MolGym/MeGen: the canvas holds a seed cluster; each action places the next atom of the
/// bag at a Cartesian position; an invalid placement (<see cref="PlacementRules"/>) is rejected with
/// <see cref="ClusterEnvironmentOptions.InvalidPenalty"/> and ends the episode; the episode also ends when the bag
/// is empty. Energies come from an <see cref="IClusterPotential"/>; the seed's energy and the isolated-atom energies
/// are computed once and cached (not counted per episode). Many environments step together with one batched energy
/// call (<see cref="StepAll"/>).
/// </summary>
public sealed class ClusterEnvironment
{
    private readonly IClusterPotential _potential;
    private readonly Dictionary<Element, double> _atomEnergy;
    private readonly double _seedEnergy;
    private readonly List<Element> _bag = new();

    public ClusterEnvironment(IClusterPotential potential, Molecule seed, IReadOnlyList<Element> bag, ClusterEnvironmentOptions? options = null,
        double? seedEnergy = null, IReadOnlyDictionary<Element, double>? atomEnergies = null)
    {
        ArgumentNullException.ThrowIfNull(seed);
        if (bag.Count == 0) throw new ArgumentException("the bag must hold at least one atom", nameof(bag));
        _potential = potential;
        Options = options ?? new();
        Options.Rules.Validate();
        Seed = seed;
        InitialBag = bag.ToArray();
        _seedEnergy = seedEnergy ?? potential.Compute(seed).Energy;
        _atomEnergy = new Dictionary<Element, double>();
        foreach (var e in bag.Distinct())
            _atomEnergy[e] = atomEnergies is not null && atomEnergies.TryGetValue(e, out var v) ? v : potential.Compute(new Molecule([e], [Vec3.Zero])).Energy;
        Reset();
    }

    public ClusterEnvironmentOptions Options { get; }
    public Molecule Seed { get; }
    public IReadOnlyList<Element> InitialBag { get; }
    public double SeedEnergy => _seedEnergy;
    public IReadOnlyDictionary<Element, double> AtomEnergies => _atomEnergy;

    /// <summary>The current cluster.</summary>
    public Molecule Canvas { get; private set; } = null!;
    /// <summary>Energy of <see cref="Canvas"/>.</summary>
    public double CanvasEnergy { get; private set; }
    /// <summary>Atoms still to place, next first.</summary>
    public IReadOnlyList<Element> Bag => _bag;
    public bool Done { get; private set; }

    public void Reset()
    {
        Canvas = Seed;
        CanvasEnergy = _seedEnergy;
        _bag.Clear();
        _bag.AddRange(InitialBag);
        Done = false;
    }

    /// <summary>Places the next bag atom at <paramref name="position"/> (Å).</summary>
    public ClusterStep Step(Vec3 position) => StepAll([this], [position])[0];

    /// <summary>Steps every environment with its position; the valid placements are evaluated in one batched call.</summary>
    public static ClusterStep[] StepAll(IReadOnlyList<ClusterEnvironment> envs, IReadOnlyList<Vec3> positions)
    {
        if (envs.Count != positions.Count) throw new ArgumentException($"{envs.Count} environments but {positions.Count} positions");
        if (envs.Count == 0) return [];
        var result = new ClusterStep[envs.Count];
        var pending = new List<(int Index, Molecule Next)>();
        for (int i = 0; i < envs.Count; i++)
        {
            var env = envs[i];
            if (env.Done) throw new InvalidOperationException("step on a finished episode: call Reset first");
            var check = env.Options.Rules.Check(env.Canvas, positions[i]);
            if (check != PlacementCheck.Valid)
            {
                env.Done = true;
                result[i] = new ClusterStep(env.Options.InvalidPenalty, true, check, null);
                continue;
            }
            pending.Add((i, env.Canvas.WithAtom(env._bag[0], positions[i])));
        }
        if (pending.Count == 0) return result;
        var potential = envs[pending[0].Index]._potential;
        if (pending.Any(p => !ReferenceEquals(envs[p.Index]._potential, potential)))
            throw new ArgumentException("environments stepped together must share one potential");
        var energies = potential.Compute(pending.Select(p => p.Next).ToArray());
        for (int k = 0; k < pending.Count; k++)
        {
            var (i, next) = pending[k];
            var env = envs[i];
            var atom = env._bag[0];
            double e = energies[k].Energy;
            double delta = -(e - env.CanvasEnergy - env._atomEnergy[atom]);
            env._bag.RemoveAt(0);
            env.Canvas = next;
            env.CanvasEnergy = e;
            env.Done = env._bag.Count == 0;
            if (!double.IsFinite(e)) { env.Done = true; result[i] = new ClusterStep(env.Options.InvalidPenalty, true, PlacementCheck.TooClose, null); continue; }
            double reward = env.Options.RewardMode == ClusterRewardMode.Delta ? delta
                : env.Done ? -(e - env._seedEnergy - env.InitialBag.Sum(a => env._atomEnergy[a])) : 0.0;
            result[i] = new ClusterStep(reward, env.Done, PlacementCheck.Valid, e);
        }
        return result;
    }

    /// <summary>A uniformly random valid placement next to a random canvas atom: focus atom uniform, distance uniform
    /// in [min, max] and direction uniform on the sphere, retried until the rules accept it (the random-search baseline
    /// and random seed growth).</summary>
    public static Vec3 RandomValidPosition(Molecule canvas, PlacementRules rules, Random rng, int maxTries = 10000)
    {
        for (int t = 0; t < maxTries; t++)
        {
            var focus = canvas.Positions[rng.Next(canvas.NumAtoms)];
            double d = rules.MinDistance + (rules.MaxDistance - rules.MinDistance) * rng.NextDouble();
            var p = focus + d * RandomUnitVector(rng);
            if (rules.Check(canvas, p) == PlacementCheck.Valid) return p;
        }
        throw new InvalidOperationException($"no valid placement found in {maxTries} tries");
    }

    /// <summary>A direction uniform on the unit sphere.</summary>
    public static Vec3 RandomUnitVector(Random rng)
    {
        double z = 2 * rng.NextDouble() - 1, phi = 2 * Math.PI * rng.NextDouble(), s = Math.Sqrt(Math.Max(0, 1 - z * z));
        return new Vec3(s * Math.Cos(phi), s * Math.Sin(phi), z);
    }

    /// <summary>Grows a random cluster of <paramref name="count"/> atoms of <paramref name="species"/> by random valid placements.</summary>
    public static Molecule RandomCluster(Element species, int count, PlacementRules rules, Random rng)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "a cluster needs at least one atom");
        var m = new Molecule([species], [Vec3.Zero]);
        while (m.NumAtoms < count) m = m.WithAtom(species, RandomValidPosition(m, rules, rng));
        return m.Centered();
    }
}
