using CrystalActors.Torch;

namespace CrystalActors.Learning.Offline;

/// <summary>The terms of one loss evaluation (scalars, for logging).</summary>
public readonly record struct LossTerms(double Total, double Conservative, double TemporalDifference, double MeanQ);

/// <summary>
/// Discrete conservative Q-learning (Kumar et al. 2020, the CQL(H) form crystal-design uses):
/// <c>L = w · mean(logsumexp_a' Q(s, a') − Q(s, a)) + ½ · MSE(Q(s, a), r + γ (1 − d) max_a' Q_target(s', a'))</c>.
/// The first term pushes down every action's value relative to the dataset's, so the greedy policy stays close to
/// the behaviour data; the second is the ordinary TD regression towards the target network.
/// </summary>
public static class Cql
{
    /// <param name="q">Q(s, ·) of the online network [B, A] (with gradient).</param>
    /// <param name="nextQTarget">Q_target(s', ·) [B, A] (no gradient needed).</param>
    /// <param name="actions">Dataset actions [B] int64.</param>
    /// <param name="rewards">Rewards [B].</param>
    /// <param name="dones">1 for the last step of an episode, else 0 [B].</param>
    /// <returns>The loss (scalar tensor, caller's scope) and its terms.</returns>
    public static (Tensor Loss, Tensor Conservative, Tensor Td) Loss(Tensor q, Tensor nextQTarget, Tensor actions, Tensor rewards, Tensor dones,
        double gamma, double weight)
    {
        var qTaken = q.Gather(1, actions.Unsqueeze(1)).Squeeze(1);
        var conservative = (q.LogSumExp(1) - qTaken).Mean();
        Tensor target;
        using (NoGradScope.Enter())
        {
            var notDone = 1.0 - dones;
            target = rewards + gamma * notDone * nextQTarget.Max(1);
        }
        var td = 0.5 * qTaken.MseLoss(target.Detach());
        var loss = weight * conservative + td;
        return (loss, conservative, td);
    }
}

/// <summary>Behavioural cloning: the network's 88 outputs are logits of the dataset action, trained by cross-entropy.</summary>
public static class BehaviourCloning
{
    public static Tensor Loss(Tensor logits, Tensor actions) => logits.CrossEntropy(actions);

    /// <summary>
    /// Cross-entropy against a target that keeps 1 − ε on the dataset action and spreads ε evenly over the elements
    /// of its class (the 9 classes of crystal-design). On a few thousand crystals the one-hot target rewards memorising
    /// which alkali sat on which site; the class-smoothed one says that a neighbour in the same class is a near miss.
    /// </summary>
    /// <param name="classTargets">[88, 88] rows: the uniform distribution over the row action's class (see <see cref="ClassTargets"/>).</param>
    public static Tensor Loss(Tensor logits, Tensor actions, Tensor classTargets, double epsilon)
    {
        if (epsilon == 0) return Loss(logits, actions);
        var target = (1 - epsilon) * actions.OneHot(logits.Shape[1]).To(logits.DType) + epsilon * classTargets.IndexSelect(0, actions);
        return -(target * logits.LogSoftmax(1)).Sum(1).Mean();
    }

    /// <summary>Row a: 1/|class(a)| on every action of a's class, 0 elsewhere.</summary>
    public static float[] ClassTargets()
    {
        int n = Crystals.ActionVocabulary.Count;
        var classes = Enumerable.Range(0, n).Select(Crystals.ActionVocabulary.ClassOfAction).ToArray();
        var m = new float[n * n];
        for (int a = 0; a < n; a++)
        {
            int size = classes.Count(c => c == classes[a]);
            for (int b = 0; b < n; b++) if (classes[b] == classes[a]) m[a * n + b] = 1f / size;
        }
        return m;
    }
}
