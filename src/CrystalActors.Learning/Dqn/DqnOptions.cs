namespace CrystalActors.Learning.Dqn;

/// <summary>Hyper-parameters of the online DQN learner (the pipeline paper's, plus Double DQN and n-step returns).</summary>
public sealed record DqnOptions
{
    public int ReplayCapacity { get; init; } = 200_000;
    public int BatchSize { get; init; } = 64;
    public double Gamma { get; init; } = 0.99;
    public int TargetUpdateEvery { get; init; } = 1000;
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>
    /// Double DQN (van Hasselt et al. 2016): the online network picks the next action, the target network values
    /// it, which removes max-operator overestimation that made the greedy reward oscillate in Exp. 1.
    /// </summary>
    public bool DoubleDqn { get; init; } = true;
    /// <summary>n of the n-step return (1 = the paper's one-step DQN).</summary>
    public int NStep { get; init; } = 1;
    /// <summary>Gradient steps per completed episode.</summary>
    public int UpdatesPerEpisode { get; init; } = 4;
    /// <summary>Transitions in the buffer before learning starts.</summary>
    public int LearningStarts { get; init; } = 64;
    /// <summary>The learner publishes its weights to the generators every this many gradient steps.</summary>
    public int PublishEvery { get; init; } = 50;
    /// <summary>Where this role group's networks run: "cpu", "cuda", "cuda:N" or "auto" (CUDA when the bridge's libtorch
    /// has it). Checked when the role starts on its node, so one config serves GPU and CPU nodes.</summary>
    public string Device { get; init; } = "auto";
}
