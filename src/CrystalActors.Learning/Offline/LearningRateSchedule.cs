using System.Text.Json.Serialization;

namespace CrystalActors.Learning.Offline;

public enum LearningRateDecay { Constant, Cosine, Step }

/// <summary>
/// The learning rate as a function of the step: a linear warm-up over <see cref="WarmupSteps"/>, then constant, a
/// cosine from the base rate down to <see cref="MinFraction"/> of it at the last step, or a step decay by
/// <see cref="DecayFactor"/> every <see cref="DecayEvery"/> steps. Pure, so a resumed run continues on the same curve.
/// </summary>
public sealed record LearningRateSchedule
{
    [JsonPropertyName("decay")] public LearningRateDecay Decay { get; init; } = LearningRateDecay.Constant;
    /// <summary>Steps of linear warm-up from base/warmup to base (0 = none).</summary>
    [JsonPropertyName("warmup_steps")] public long WarmupSteps { get; init; }
    /// <summary>Cosine floor as a fraction of the base rate (default 0.05).</summary>
    [JsonPropertyName("min_fraction")] public double MinFraction { get; init; } = 0.05;
    /// <summary>Step decay period (default 10 000 steps).</summary>
    [JsonPropertyName("decay_every")] public long DecayEvery { get; init; } = 10_000;
    /// <summary>Step decay factor (default 0.5).</summary>
    [JsonPropertyName("decay_factor")] public double DecayFactor { get; init; } = 0.5;

    public static readonly LearningRateSchedule Constant = new();

    /// <summary>The rate for the update that makes step <paramref name="step"/> (1-based) of <paramref name="totalSteps"/>.</summary>
    public double At(long step, long totalSteps, double baseRate)
    {
        if (WarmupSteps > 0 && step <= WarmupSteps) return baseRate * step / WarmupSteps;
        switch (Decay)
        {
            case LearningRateDecay.Cosine:
                long span = Math.Max(1, totalSteps - WarmupSteps);
                double progress = Math.Clamp((double)(step - WarmupSteps) / span, 0, 1);
                return baseRate * (MinFraction + (1 - MinFraction) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
            case LearningRateDecay.Step:
                return baseRate * Math.Pow(DecayFactor, Math.Max(0, step - WarmupSteps) / DecayEvery);
            default:
                return baseRate;
        }
    }

    public void Validate()
    {
        if (WarmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(WarmupSteps), WarmupSteps, "warm-up steps must be >= 0");
        if (MinFraction is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(MinFraction), MinFraction, "cosine floor must be in [0, 1]");
        if (DecayEvery < 1) throw new ArgumentOutOfRangeException(nameof(DecayEvery), DecayEvery, "decay period must be positive");
        if (DecayFactor is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(DecayFactor), DecayFactor, "decay factor must be in (0, 1]");
    }

    /// <summary>Parses the CLI form: constant, cosine or step.</summary>
    public static LearningRateDecay ParseDecay(string name) => name.ToLowerInvariant() switch
    {
        "constant" => LearningRateDecay.Constant,
        "cosine" => LearningRateDecay.Cosine,
        "step" => LearningRateDecay.Step,
        _ => throw new ArgumentException($"learning-rate schedule '{name}' is not one of constant, cosine, step"),
    };
}
