using System.Text.Json.Serialization;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Thermo;
using CrystalActors.Crystals.Validity;
using CrystalActors.Learning.Environments.Skeletons;

namespace CrystalActors.Learning.Rewards;

/// <summary>
/// What the reward components of one batch of crystals read, one entry per crystal. A provider fills what the
/// configured components require (<see cref="RewardComponent.Requires"/>): the reward model's gaps, energies above the
/// hull, creativity flags, embeddings. Null = not computed; a null entry inside an array = failed for that crystal.
/// </summary>
public sealed record RewardBatch(IReadOnlyList<Structure> Structures)
{
    public double?[]? GapsEv { get; init; }
    public double?[]? EnergyAboveHullEv { get; init; }
    /// <summary>Chemeleon2's creativity of each crystal: 1 unique and novel, 0 neither, else the near-match distance.</summary>
    public double[]? Creativity { get; init; }
    /// <summary>With <see cref="Creativity"/>: first of its kind in the batch; no reference crystal matches it.</summary>
    public bool[]? Unique { get; init; }
    public bool[]? Novel { get; init; }
    public double[][]? StructureFeatures { get; init; }
    public double[][]? CompositionFeatures { get; init; }
    public MmdReference? ReferenceStructureFeatures { get; init; }
    public MmdReference? ReferenceCompositionFeatures { get; init; }
    public int Count => Structures.Count;
}

/// <summary>The inputs a component needs computed before it runs.</summary>
public enum RewardInput { Gap, EnergyAboveHull, Creativity, StructureFeatures, CompositionFeatures }

/// <summary>
/// Per-batch normalisation of a component's raw values, as Chemeleon2's <c>normalize_fn</c>: "norm" (min-max to [0, 1]),
/// "std" (zero mean, unit standard deviation), "subtract_mean", "clip" (to [−1, 1]), or none. A batch whose spread is
/// below eps normalises ("norm", "std") to zeros: no signal rather than noise.
/// </summary>
public static class RewardNormalization
{
    public static readonly string[] Names = ["norm", "std", "subtract_mean", "clip"];

    public static double[] Apply(string? name, double[] x, double eps = 1e-4)
    {
        if (name is null || x.Length == 0) return x;
        switch (name)
        {
            case "norm":
            {
                double min = x.Min(), max = x.Max();
                if (max - min < eps) return new double[x.Length];
                return x.Select(v => Math.Clamp((v - min) / (max - min + eps), 0, 1)).ToArray();
            }
            case "std":
            {
                double mean = x.Average();
                // torch.std: the sample standard deviation (n − 1); one value has none.
                double sd = x.Length > 1 ? Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / (x.Length - 1)) : 0;
                if (sd < eps) return new double[x.Length];
                return x.Select(v => (v - mean) / (sd + eps)).ToArray();
            }
            case "subtract_mean":
            {
                double mean = x.Average();
                return x.Select(v => v - mean).ToArray();
            }
            case "clip": return x.Select(v => Math.Clamp(v, -1, 1)).ToArray();
            default: throw new ArgumentException($"unknown normalize '{name}' (valid: {string.Join(", ", Names)}, or none)");
        }
    }
}

/// <summary>One term of a multi-objective reward: raw values per crystal, normalised per batch, times its weight.</summary>
public abstract class RewardComponent(string name, double weight, string? normalize)
{
    public string Name { get; } = name;
    public double Weight { get; } = weight;
    public string? Normalize { get; } = normalize;

    public abstract IReadOnlyCollection<RewardInput> Requires { get; }

    /// <summary>Raw values, one per crystal, before normalisation and weight.</summary>
    public abstract double[] Compute(RewardBatch batch);

    public double[] Evaluate(RewardBatch batch) => RewardNormalization.Apply(Normalize, Compute(batch)).Select(v => v * Weight).ToArray();

    protected static T Need<T>(T? value, string what) where T : class =>
        value ?? throw new InvalidOperationException($"the reward batch lacks {what}: the provider did not compute an input this component requires");
}

/// <summary>
/// The target band gap (the pipeline paper's reward): exp(−(gap − p̂)²/β) in "gaussian" form, or Chemeleon2's
/// PredictorReward −(gap − p̂)² in "squared" form. A crystal without a predicted gap scores the form's floor (0, resp. −p̂²−β).
/// </summary>
public sealed class TargetGapTerm(double weight, string? normalize, double targetEv, double beta, string form = "gaussian")
    : RewardComponent("target_gap", weight, normalize)
{
    public override IReadOnlyCollection<RewardInput> Requires => [RewardInput.Gap];

    public override double[] Compute(RewardBatch b) => Need(b.GapsEv, "predicted gaps").Select(g => g is { } gap
        ? form == "squared" ? -(gap - targetEv) * (gap - targetEv) : OnlineReward.GapReward(gap, targetEv, beta)
        : form == "squared" ? -(targetEv * targetEv) - beta : 0).ToArray();
}

/// <summary>Chemeleon2's CreativityReward: 1 unique and novel, 0 neither, else the distance to the nearest same-formula structure.</summary>
public sealed class CreativityTerm(double weight, string? normalize) : RewardComponent("creativity", weight, normalize)
{
    public override IReadOnlyCollection<RewardInput> Requires => [RewardInput.Creativity];
    public override double[] Compute(RewardBatch b) => Need(b.Creativity, "creativity values").ToArray();
}

/// <summary>Chemeleon2's EnergyReward: −clamp(E above hull, 0, 1) eV/atom; a crystal whose energy failed counts as 1.</summary>
public sealed class EnergyTerm(double weight, string? normalize) : RewardComponent("energy", weight, normalize)
{
    public override IReadOnlyCollection<RewardInput> Requires => [RewardInput.EnergyAboveHull];

    public override double[] Compute(RewardBatch b) => Need(b.EnergyAboveHullEv, "energies above the hull")
        .Select(e => HullReference.EnergyReward(e ?? double.NaN)).ToArray();
}

/// <summary>Chemeleon2's structure / composition diversity: each crystal's leave-one-out MMD reward against the reference embeddings.</summary>
public sealed class DiversityTerm(string name, double weight, string? normalize) : RewardComponent(name, weight, normalize)
{
    private bool Structural => Name == "structure_diversity";

    public override IReadOnlyCollection<RewardInput> Requires => [Structural ? RewardInput.StructureFeatures : RewardInput.CompositionFeatures];

    public override double[] Compute(RewardBatch b)
    {
        var gen = Need(Structural ? b.StructureFeatures : b.CompositionFeatures, $"{Name} embeddings");
        var reference = Need(Structural ? b.ReferenceStructureFeatures : b.ReferenceCompositionFeatures, $"{Name} reference embeddings");
        if (gen.Length < 3) return new double[gen.Length]; // no leave-one-out signal in a batch this small
        return reference.Reward(gen).Individual;
    }
}

/// <summary>SMACT charge-neutrality and electronegativity validity as a component: 1 valid, 0 not.</summary>
public sealed class SmactTerm(double weight, string? normalize) : RewardComponent("smact", weight, normalize)
{
    public override IReadOnlyCollection<RewardInput> Requires => [];
    public override double[] Compute(RewardBatch b) => b.Structures.Select(s => SmactValidity.IsValid(s) ? 1.0 : 0.0).ToArray();
}

/// <summary>One entry of <c>reward.components</c> in a campaign config.</summary>
public sealed record RewardComponentOptions
{
    /// <summary>"target_gap", "creativity", "energy", "structure_diversity", "composition_diversity" or "smact".</summary>
    public string Kind { get; init; } = "target_gap";
    public double Weight { get; init; } = 1.0;
    /// <summary>"norm", "std", "subtract_mean", "clip" or null (none).</summary>
    public string? Normalize { get; init; }
    /// <summary>target_gap only: "gaussian" (exp(−(gap − p̂)²/β), the pipeline paper) or "squared" (−(gap − p̂)², Chemeleon2).</summary>
    public string Form { get; init; } = "gaussian";

    public static readonly string[] Kinds = ["target_gap", "creativity", "energy", "structure_diversity", "composition_diversity", "smact"];
}

/// <summary>
/// A weighted sum of reward components (Chemeleon2's reward function), with SMACT validity optionally as a gate: a
/// crystal that fails it gets <see cref="GatePenalty"/> in place of its sum.
/// </summary>
public sealed class CompositeReward
{
    public IReadOnlyList<RewardComponent> Components { get; }
    public bool SmactGate { get; }
    public double GatePenalty { get; }

    public CompositeReward(IReadOnlyList<RewardComponent> components, bool smactGate = false, double gatePenalty = -1.0)
    {
        if (components.Count == 0 && !smactGate) throw new ArgumentException("a reward needs at least one component");
        if (components.Select(c => c.Name).Distinct().Count() != components.Count) throw new ArgumentException("each reward component kind may appear once");
        Components = components;
        SmactGate = smactGate;
        GatePenalty = gatePenalty;
    }

    public static CompositeReward FromOptions(IReadOnlyList<RewardComponentOptions> options, double targetEv, double beta, bool smactGate = false, double gatePenalty = -1.0) =>
        new(options.Select(o => (RewardComponent)(o.Kind switch
        {
            "target_gap" => new TargetGapTerm(o.Weight, o.Normalize, targetEv, beta, o.Form),
            "creativity" => new CreativityTerm(o.Weight, o.Normalize),
            "energy" => new EnergyTerm(o.Weight, o.Normalize),
            "structure_diversity" or "composition_diversity" => new DiversityTerm(o.Kind, o.Weight, o.Normalize),
            "smact" => new SmactTerm(o.Weight, o.Normalize),
            _ => throw new ArgumentException($"unknown reward component '{o.Kind}' (valid: {string.Join(", ", RewardComponentOptions.Kinds)})"),
        })).ToList(), smactGate, gatePenalty);

    public IReadOnlySet<RewardInput> Requires => Components.SelectMany(c => c.Requires).ToHashSet();

    /// <summary>Totals per crystal, and each component's weighted, normalised values (for logging).</summary>
    public (double[] Total, IReadOnlyDictionary<string, double[]> Components) Evaluate(RewardBatch batch)
    {
        var parts = Components.ToDictionary(c => c.Name, c => c.Evaluate(batch));
        var total = new double[batch.Count];
        foreach (var p in parts.Values)
            for (int i = 0; i < total.Length; i++) total[i] += p[i];
        if (SmactGate)
            for (int i = 0; i < total.Length; i++)
                if (!SmactValidity.IsValid(batch.Structures[i])) total[i] = GatePenalty;
        return (total, parts);
    }
}
