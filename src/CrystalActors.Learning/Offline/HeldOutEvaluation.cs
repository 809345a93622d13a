using CrystalActors.Crystals;
using CrystalActors.Torch;

namespace CrystalActors.Learning.Offline;

/// <summary>
/// Table-1 metrics of a network's greedy fills of skeletons it did not train on: the measure that decides the best
/// checkpoint and when training stops improving (a small pool overfits long before the loss says so).
/// </summary>
public static class HeldOutEvaluation
{
    public static GenerationMetrics Evaluate(QNetwork network, TrajectoryDataset heldOut, double targetBandGap, Device? device = null)
    {
        bool wasTraining = network.Training;
        network.Eval();
        try
        {
            var actions = Generation.Greedy(network, heldOut, targetBandGap, device: device);
            var pairs = new List<(IReadOnlyList<Element>, IReadOnlyList<Element>)>(heldOut.CrystalCount);
            for (int c = 0; c < heldOut.CrystalCount; c++)
                pairs.Add((actions[c].Select(ActionVocabulary.ElementAt).ToArray(), heldOut.TrueSpecies(c)));
            return GenerationMetrics.Compute(pairs);
        }
        finally
        {
            if (wasTraining) network.Train();
        }
    }

    /// <summary>The value of <paramref name="metrics"/> that <paramref name="selectBy"/> names (higher is better).</summary>
    public static double Score(GenerationMetrics metrics, HeldOutSelection selectBy) => selectBy switch
    {
        HeldOutSelection.Accuracy => metrics.Accuracy,
        HeldOutSelection.Validity => metrics.Validity,
        // Accuracy alone can prefer a policy that copies frequent elements into invalid compositions; the mean of the
        // two keeps both in view.
        HeldOutSelection.AccuracyAndValidity => 0.5 * (metrics.Accuracy + metrics.Validity),
        _ => throw new ArgumentOutOfRangeException(nameof(selectBy), selectBy, null),
    };
}

public enum HeldOutSelection { Accuracy, Validity, AccuracyAndValidity }
