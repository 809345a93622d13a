using System.Text.Json;
using System.Text.Json.Serialization;
using CrystalActors.Crystals;
using CrystalActors.Learning.Clusters;
using CrystalActors.Runtime.Messages;

namespace CrystalActors.Campaign.Clusters;

// Messages of a cluster campaign (`clusters campaign`): the same roles and runtime as a crystal campaign — generators
// on "rollout" nodes, the learner singleton on a "learner" node, FIRE on "relaxer" nodes and pw.x on "dft-worker" nodes
// through the DFT farm — with cluster episodes instead of skeleton fills. Acknowledgements (EpisodesAccepted), policy
// publication (PolicyPublished), StopGenerating, CatchUp and GetProgress are the crystal campaign's messages.

/// <summary>One placement as it travels: the canvas the policy saw, its decision with log-probability and value, the reward.</summary>
public sealed record ClusterStepRecord(Molecule Canvas, double BagFraction, int Focus, int Bin, double Distance, Vec3 Direction, Vec3 Position,
    double LogProb, double Value, double Reward, bool Done)
{
    public static ClusterStepRecord From(ClusterTransition t) => new(t.Obs.Canvas, t.Obs.BagFraction, t.Action.Focus, t.Action.Bin, t.Action.Distance,
        t.Action.Direction, t.Action.Position, t.Action.LogProb, t.Action.Value, t.Reward, t.Done);

    /// <summary>The transition again, its observation rebuilt from the canvas (features are a pure function of it).</summary>
    public ClusterTransition ToTransition(CovariantPolicyOptions options) => new(ClusterObservation.Build(Canvas, BagFraction, options),
        new ClusterAction(Focus, Bin, Distance, Direction, Position, LogProb, Value), Reward, Done);
}

/// <summary>A played episode: its placements (for the learner) and the cluster it built with that cluster's energy (for the coordinator).</summary>
public sealed record ClusterEpisodeRecord(IReadOnlyList<ClusterStepRecord> Steps, Molecule Final, double FinalEnergy, bool Complete, long PolicyVersion)
{
    public static ClusterEpisodeRecord From(ClusterEpisode e, long version) =>
        new(e.Steps.Select(ClusterStepRecord.From).ToList(), e.Final, e.FinalEnergy, e.Complete, version);

    public double Return => Steps.Sum(s => s.Reward);
}

/// <summary>Generator → learner and coordinator: a batch of episodes and the energy evaluations it spent.</summary>
/// <param name="Batch">Counts from 1 per generator incarnation: receivers drop a batch they have already seen.</param>
[MessageContract("clusters.episodes")]
public sealed record ClusterEpisodesPlayed(string Generator, long Batch, IReadOnlyList<ClusterEpisodeRecord> Episodes, long Evaluations) : IWireMessage;

/// <summary>Learner → coordinator: one PPO update (the learning curve).</summary>
[MessageContract("clusters.update")]
public sealed record ClusterLearnerUpdate(long Version, int Episodes, double MeanReturn, double PolicyLoss, double ValueLoss, double Entropy) : IWireMessage;

/// <summary>Coordinator → anyone who asks (<c>GetProgress</c>): where the cluster campaign is.</summary>
[MessageContract("clusters.progress")]
public sealed record ClusterCampaignProgress(string Phase, long Evaluations, long TrainBudget, long Episodes, int Candidates, int RelaxDone, int RelaxJobs,
    int DftDone, int DftJobs, double? BestEnergyEv, bool Finished) : IWireMessage;

/// <summary>Writes a <see cref="Molecule"/> at the node boundary as species symbols and flat Cartesian positions (Å).</summary>
[WireConverter]
public sealed class MoleculeWireConverter : JsonConverter<Molecule>
{
    private sealed record Wire(string[] Species, double[] Positions);

    public override Molecule Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var w = JsonSerializer.Deserialize<Wire>(ref reader, options) ?? throw new JsonException("a molecule must be an object, got null");
        if (w.Species is null || w.Positions is null || w.Positions.Length != 3 * w.Species.Length)
            throw new JsonException("a molecule needs species and 3 positions per atom");
        var species = new Element[w.Species.Length];
        for (int i = 0; i < species.Length; i++)
            if (!Element.TryFromSymbol(w.Species[i], out species[i])) throw new JsonException($"unknown element '{w.Species[i]}' in a molecule");
        if (w.Positions.Any(x => !double.IsFinite(x))) throw new JsonException("a molecule position is not finite");
        return Molecule.FromFlat(species, w.Positions);
    }

    public override void Write(Utf8JsonWriter writer, Molecule value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, new Wire(value.Species.Select(e => e.Symbol).ToArray(), value.FlatPositions()), options);
}
