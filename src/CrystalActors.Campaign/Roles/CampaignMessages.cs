using CrystalActors.Campaign.Dqn;
using CrystalActors.Crystals;

namespace CrystalActors.Campaign.Roles;

// Messages between the campaign's roles on one node. They carry no live tensors: structures,
// arrays and file references only (weights travel as content-store files, never in messages).

/// <summary>Generator → itself: play the next batch of episodes.</summary>
public sealed record PlayBatch
{
    public static readonly PlayBatch Instance = new();
}

/// <summary>Anyone → reward model: predicted gaps for these crystals (an Ask).</summary>
public sealed record PredictGaps(IReadOnlyList<Structure> Structures);

/// <summary>Reward model → asker: gaps (eV, clipped at 0) and the model version that made them.</summary>
public sealed record GapPredictions(double[] GapsEv, long Version);

/// <summary>Generator → learner and coordinator: finished episodes with their terminal rewards.</summary>
public sealed record EpisodesPlayed(string Generator, IReadOnlyList<PlayedEpisode> Episodes, double[] Rewards, double?[] PredictedGapsEv, long RewardModelVersion,
    double Epsilon = 0, long EnvironmentSteps = 0);

/// <summary>Generator → coordinator: how the greedy policy does now (see <see cref="GreedyEvaluated"/>).</summary>
public sealed record GreedyReport(long EnvironmentSteps, double MeanReward, double BestReward, string BestFormula, double? BestGapEv, long PolicyVersion);

/// <summary>Learner → generators: new policy weights in the content store.</summary>
public sealed record PolicyPublished(long Version, string Path, string Sha256);

/// <summary>Coordinator → relaxer: relax this design and send it to DFT as job <paramref name="JobId"/>.</summary>
public sealed record RelaxAndCompute(string JobId, long Episode, string StructureJson);

/// <summary>Coordinator → learner: the DFT verdict replaces the reward model's reward of this episode.</summary>
public sealed record DftReward(long Episode, double Reward);

/// <summary>Coordinator → fine-tuner: a new ground-truth sample.</summary>
public sealed record DftSample(string JobId, string StructureJson, double GapEv);

/// <summary>Fine-tuner → reward model and coordinator: a new reward-model version in the content store.</summary>
public sealed record RewardModelPublished(long Version, string Path, string Sha256);

/// <summary>Offline learner → coordinator: a checkpoint to register.</summary>
public sealed record CheckpointWritten(string Model, long Version, string Path, string Sha256);

/// <summary>Coordinator → generators: stop playing.</summary>
public sealed record StopGenerating
{
    public static readonly StopGenerating Instance = new();
}
