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
}
