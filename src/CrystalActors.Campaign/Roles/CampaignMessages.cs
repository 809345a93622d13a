using System.Text.Json;
using System.Text.Json.Serialization;
using CrystalActors.Learning.Dqn;
using CrystalActors.Learning.Grpo;
using CrystalActors.Campaign.Reporting;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Runtime.Messages;

namespace CrystalActors.Campaign.Roles;

// Messages between the campaign's roles. Every one may cross nodes, so each has a stable wire name
// ([MessageContract]) and is written by the runtime's WireSerializer. They carry no live tensors: structures,
// arrays and content-store references only (weights travel as files in the content store, never in messages).
// A Structure is an object in-process and an MP-20 JSON line on the wire (StructureWireConverter).

/// <summary>One finished episode, as it travels: its decisions (for the learner) and the designed crystal (for the coordinator).</summary>
/// <param name="LogProbs">GRPO only: the sampling policy's log-probability of each action (the ratio's denominator).</param>
public sealed record EpisodeRecord(int Crystal, IReadOnlyList<EpisodeStep> Steps, long PolicyVersion, Structure Structure, IReadOnlyList<float>? LogProbs = null)
{
    public static EpisodeRecord From(PlayedEpisode p) => new(p.Crystal, p.Steps, p.PolicyVersion, p.Episode.ToStructure());

    public static EpisodeRecord From(SampledEpisode s) => From(s.Played) with { LogProbs = s.LogProbs };

    public GrpoTrajectory Trajectory() => new(Crystal, Steps,
        LogProbs ?? throw new InvalidOperationException("a GRPO learner needs the episode's log-probabilities; this one was played by a DQN generator"), PolicyVersion);

    public int DistinctElements => Structure.Composition.Elements.Count;

    /// <summary>The episode's n-step transitions for its terminal reward (see <see cref="PlayedEpisode.Transitions"/>).</summary>
    public IEnumerable<Transition> Transitions(double terminalReward, int nStep, double gamma) =>
        PlayedEpisode.TransitionsOf(Crystal, Steps, PolicyVersion, terminalReward, nStep, gamma);
}

/// <summary>Generator → learner and coordinator: finished episodes with their terminal rewards.</summary>
/// <param name="Generator">The generator's cluster-unique name (node/gen-k#incarnation).</param>
/// <param name="Batch">Counts from 1 per generator incarnation: receivers drop a batch they have already seen.</param>
/// <param name="Epsilon">DQN: the exploration rate the batch was played with; GRPO: the sampling temperature.</param>
/// <param name="RewardComponents">The weighted, normalised parts of a multi-objective reward, one value per episode each (null = the gap reward alone).</param>
[MessageContract("campaign.episodes")]
public sealed record EpisodesPlayed(string Generator, long Batch, IReadOnlyList<EpisodeRecord> Episodes, double[] Rewards, double?[] PredictedGapsEv,
    long RewardModelVersion, double Epsilon, long EnvironmentSteps, IReadOnlyDictionary<string, double[]>? RewardComponents = null) : IWireMessage;

/// <summary>Learner → generator: the batch is in the replay buffer and trained on; play the next (the back-pressure credit).</summary>
[MessageContract("campaign.episodes-accepted")]
public sealed record EpisodesAccepted(string Generator, long Batch, long LearnerVersion, long EnvironmentSteps) : IWireMessage;

/// <summary>Anyone → reward model: predicted gaps for these crystals.</summary>
[MessageContract("campaign.predict")]
public sealed record PredictGaps(IReadOnlyList<Structure> Structures) : IWireMessage;

/// <summary>Reward model → asker: gaps (eV, clipped at 0) and the model version that made them.</summary>
[MessageContract("campaign.predictions")]
public sealed record GapPredictions(double[] GapsEv, long Version) : IWireMessage;

/// <summary>Generator → reward model: score this batch (one group, for GRPO) with the campaign's reward components.</summary>
[MessageContract("campaign.score")]
public sealed record ScoreCrystals(IReadOnlyList<Structure> Structures) : IWireMessage;

/// <summary>Reward model → asker: totals, the weighted parts per component, the predicted gaps (when a gap term is configured), the model version.</summary>
[MessageContract("campaign.scores")]
public sealed record CrystalScores(double[] Totals, IReadOnlyDictionary<string, double[]> Components, double?[] GapsEv, long Version) : IWireMessage;

/// <summary>Learner → coordinator: figures for the scalars (DQN: TD loss, mean Q, gradient steps, updates per second, replay size,
/// policy lag at each publication; GRPO: reward, advantages, KL, entropy, clip fraction, loss per update).</summary>
/// <param name="Episodes">Episodes the learner had trained on: the step the figures are plotted at.</param>
[MessageContract("campaign.learner-stats")]
public sealed record LearnerStats(long Version, IReadOnlyDictionary<string, double> Scalars, long Episodes) : IWireMessage;

/// <summary>Coordinator → one generator: play the greedy policy now and report.</summary>
[MessageContract("campaign.evaluate-greedy")]
public sealed record EvaluateGreedy(long Episode) : IWireMessage;

/// <summary>Generator → coordinator: how the greedy policy does now (see <see cref="GreedyEvaluated"/>).</summary>
[MessageContract("campaign.greedy")]
public sealed record GreedyReport(long EnvironmentSteps, double MeanReward, double BestReward, string BestFormula, double? BestGapEv, long PolicyVersion) : IWireMessage;

/// <summary>Learner → everyone (topic "policy"): new policy weights in the content store.</summary>
/// <param name="PublishedAtMs">Wall clock of the publication (Unix ms), for the broadcast-latency figure; 0 on a catch-up.</param>
[MessageContract("campaign.policy")]
public sealed record PolicyPublished(long Version, string Path, string Sha256, long EnvironmentSteps = 0, long PublishedAtMs = 0) : IWireMessage;

/// <summary>Coordinator → learner: this episode went to DFT; keep its transitions for the corrected reward.</summary>
[MessageContract("campaign.episode-for-dft")]
public sealed record EpisodeForDft(long Episode, EpisodeRecord Played) : IWireMessage;

/// <summary>Coordinator → learner: the DFT verdict replaces the reward model's reward of this episode.</summary>
[MessageContract("campaign.dft-reward")]
public sealed record DftReward(long Episode, double Reward) : IWireMessage;

/// <summary>Coordinator → fine-tuner: a new ground-truth sample (the designed crystal paired with its DFT gap).</summary>
[MessageContract("campaign.dft-sample")]
public sealed record DftSample(string JobId, string StructureJson, double GapEv) : IWireMessage;

/// <summary>Fine-tuner → everyone (topic "reward-model"): a new reward-model version in the content store.</summary>
[MessageContract("campaign.reward-model")]
public sealed record RewardModelPublished(long Version, string Path, string Sha256) : IWireMessage;

/// <summary>
/// Fine-tuner → coordinator, after <see cref="RewardModelPublished"/>: how the round that made <paramref name="Version"/>
/// from DFT job <paramref name="JobId"/> went. Losses are the MSE of the normalised gap on the new sample before the first
/// and after the last step; predicted gaps (eV, clipped at 0) are the parent's and the new version's.
/// </summary>
[MessageContract("campaign.reward-model-tuned")]
public sealed record RewardModelTuned(string JobId, long Version, double DftGapEv, double PredictedGapBeforeEv, double PredictedGapAfterEv,
    double LossBefore, double LossAfter) : IWireMessage;

/// <summary>Offline learner → coordinator: a checkpoint to register.</summary>
[MessageContract("campaign.checkpoint")]
public sealed record CheckpointWritten(string Model, long Version, string Path, string Sha256) : IWireMessage;

/// <summary>Coordinator → everyone (topic "campaign"): stop playing.</summary>
[MessageContract("campaign.stop")]
public sealed record StopGenerating : IWireMessage
{
    public static readonly StopGenerating Instance = new();
}

/// <summary>A role that (re)started → coordinator: send me the latest model versions (and whether generation has stopped).</summary>
[MessageContract("campaign.catch-up")]
public sealed record CatchUp : IWireMessage
{
    public static readonly CatchUp Instance = new();
}

/// <summary>Anyone → coordinator: where is the campaign? Answered with <see cref="CampaignProgress"/>.</summary>
[MessageContract("campaign.get-progress")]
public sealed record GetProgress : IWireMessage
{
    public static readonly GetProgress Instance = new();
}

/// <summary>Writes a <see cref="Structure"/> as an MP-20 JSON line at the node boundary (lattice, species, fractional coordinates).</summary>
[WireConverter]
public sealed class StructureWireConverter : JsonConverter<Structure>
{
    public override Structure Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var line = reader.GetString() ?? throw new JsonException("a structure must be an MP-20 JSON line, got null");
        try { return Mp20JsonlReader.ParseLine(line, "message").Structure ?? throw new JsonException("the structure line has no structure"); }
        catch (CrystalFormatException e) { throw new JsonException($"bad structure in message: {e.Message}", e); }
    }

    public override void Write(Utf8JsonWriter writer, Structure value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Mp20JsonWriter.ToJsonLine(value, 0, value.Id ?? "structure"));
}
