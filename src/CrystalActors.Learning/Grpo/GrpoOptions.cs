namespace CrystalActors.Learning.Grpo;

/// <summary>
/// Hyper-parameters of the GRPO learner (DeepSeekMath, Shao et al. 2024; as in Chemeleon2's RL stage). Defaults in
/// brackets; where the two references differ, the choice is said.
/// </summary>
public sealed record GrpoOptions
{
    /// <summary>Episodes G played per skeleton; their rewards are compared with each other [64].</summary>
    public int GroupSize { get; init; } = 64;
    /// <summary>
    /// Softmax temperature T of the policy π = softmax(logits / T) over the vocabulary [1]. The same T is used for
    /// sampling, for the log-probs recorded at rollout time and in the loss, so the ratio compares like with like.
    /// </summary>
    public double Temperature { get; init; } = 1.0;
    /// <summary>Ratio clip ε: ρ is clipped to [1 − ε, 1 + ε] in the surrogate [0.2, DeepSeekMath/PPO].</summary>
    public double ClipEpsilon { get; init; } = 0.2;
    /// <summary>β of the KL penalty to the frozen reference policy (k3 estimator) [0.04, DeepSeekMath].</summary>
    public double KlCoefficient { get; init; } = 0.04;
    /// <summary>Weight of the entropy bonus (the loss gets − c · H of the masked softmax) [1e-3].</summary>
    public double EntropyCoefficient { get; init; } = 1e-3;
    /// <summary>
    /// ε of A = (r − mean) / (std + ε) [1e-4, Chemeleon2]; a group whose reward std is below ε gets advantage 0.
    /// </summary>
    public double AdvantageEpsilon { get; init; } = 1e-4;
    /// <summary>Divide advantages by the group's reward std [true]; false = mean-only (Dr. GRPO).</summary>
    public bool ScaleAdvantagesByStd { get; init; } = true;
    /// <summary>Passes μ over the same rollouts per update [1, DeepSeekMath].</summary>
    public int Epochs { get; init; } = 1;
    /// <summary>
    /// Gradient steps per pass: the episodes are cut into this many consecutive chunks [2, Chemeleon2's
    /// num_inner_batch]. From the second chunk on the policy has moved, so the ratio and its clip are active.
    /// </summary>
    public int Minibatches { get; init; } = 2;
    /// <summary>Adam learning rate [1e-4: this network is small; the references' 1e-5 to 1e-6 are for large models].</summary>
    public double LearningRate { get; init; } = 1e-4;
    /// <summary>Gradient-norm clip [1, Chemeleon2].</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Where the learner's networks run: "cpu", "cuda", "cuda:N" or "auto" (as DqnOptions.Device).</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first bad value.</summary>
    public void Validate()
    {
        if (GroupSize < 1) throw new ArgumentOutOfRangeException(nameof(GroupSize), GroupSize, "group size must be >= 1 (>= 2 for a non-zero advantage)");
        if (!(Temperature > 0) || double.IsInfinity(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "temperature must be finite and > 0");
        if (!(ClipEpsilon > 0)) throw new ArgumentOutOfRangeException(nameof(ClipEpsilon), ClipEpsilon, "clip epsilon must be > 0");
        if (!(KlCoefficient >= 0)) throw new ArgumentOutOfRangeException(nameof(KlCoefficient), KlCoefficient, "KL coefficient must be >= 0");
        if (!(EntropyCoefficient >= 0)) throw new ArgumentOutOfRangeException(nameof(EntropyCoefficient), EntropyCoefficient, "entropy coefficient must be >= 0");
        if (!(AdvantageEpsilon > 0)) throw new ArgumentOutOfRangeException(nameof(AdvantageEpsilon), AdvantageEpsilon, "advantage epsilon must be > 0");
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "epochs must be >= 1");
        if (Minibatches < 1) throw new ArgumentOutOfRangeException(nameof(Minibatches), Minibatches, "minibatches must be >= 1");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "learning rate must be > 0");
        if (!(MaxGradNorm > 0)) throw new ArgumentOutOfRangeException(nameof(MaxGradNorm), MaxGradNorm, "max gradient norm must be > 0");
    }
}
