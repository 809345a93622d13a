using CrystalActors.Learning.Offline;
using CrystalActors.Torch;

namespace CrystalActors.Learning.Tests.Offline;

public class RewardAndLossTests
{
    [Fact]
    public void Reward_DefaultsAtTargetGap_IsEnergyTermPlusA2()
    {
        var r = new RewardOptions();
        // g_E = exp(1/5) for E_form = -1 eV/atom; the gap term is a2 = 10 at gap = p̂.
        Assert.Equal(Math.Exp(0.2) + 10, r.Reward(-1.0, 1.12), 12);
        // One eV away from p̂: 10 exp(-1/3).
        Assert.Equal(Math.Exp(0.2) + 10 * Math.Exp(-1.0 / 3), r.Reward(-1.0, 2.12), 12);
    }

    [Fact]
    public void Reward_WithTotalEnergy_UsesLog10OfMinusEtot()
    {
        var r = new RewardOptions { Alpha1 = 2, Alpha2 = 5, Beta = 1, TargetBandGap = 0 };
        Assert.Equal(2 * 2 + 5 * Math.Exp(-1), r.Reward(-3.0, 1.0, totalEnergy: -100), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Reward(0, 0, totalEnergy: 5));
    }

    [Fact]
    public void CqlLoss_SmallCase_MatchesHandComputation()
    {
        using var scope = DisposeScope.Open();
        var q = Tensor.From(new float[] { 1, 2, 3, 0, 0, 0 }, 2, 3);
        var next = Tensor.From(new float[] { 5, 5, 5, 1, 4, 2 }, 2, 3);
        var actions = Tensor.From(new long[] { 2, 0 }, 2);
        var rewards = Tensor.From(new float[] { 1, 0 }, 2);
        var dones = Tensor.From(new float[] { 1, 0 }, 2);
        var (loss, conservative, td) = Cql.Loss(q, next, actions, rewards, dones, gamma: 0.5, weight: 2);
        // logsumexp(1,2,3) - 3 and logsumexp(0,0,0) - 0, averaged.
        double cons = ((Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)) - 3) + Math.Log(3)) / 2;
        // targets: 1 (terminal) and 0 + 0.5 * max(1, 4, 2) = 2; Q(s,a) = 3 and 0; 0.5 * mean((3-1)^2, (0-2)^2) = 2.
        Assert.Equal(cons, conservative.Item(), 5);
        Assert.Equal(2.0, td.Item(), 5);
        Assert.Equal(2 * cons + 2.0, loss.Item(), 5);
    }

    [Fact]
    public void CqlLoss_Gradient_FlowsOnlyThroughOnlineQ()
    {
        using var scope = DisposeScope.Open();
        var q = Tensor.From(new float[] { 1, 2, 3 }, 1, 3).RequiresGrad_();
        var next = Tensor.From(new float[] { 0, 7, 0 }, 1, 3).RequiresGrad_();
        var (loss, _, _) = Cql.Loss(q, next, Tensor.From(new long[] { 0 }, 1), Tensor.From(new float[] { 0 }, 1), Tensor.From(new float[] { 0 }, 1), 1.0, 1.0);
        loss.Backward();
        var g = q.Grad!.ToArray<float>();
        // d/dq: softmax(q) - onehot(a) from the CQL term, plus (Q(s,a) - y) = (1 - 7) on the taken action from the TD term.
        double z = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        Assert.Equal(Math.Exp(1) / z - 1 + (1 - 7), g[0], 5);
        Assert.Equal(Math.Exp(2) / z, g[1], 5);
        Assert.Equal(Math.Exp(3) / z, g[2], 5);
        Assert.Null(next.Grad);
    }

    [Fact]
    public void BehaviourCloningLoss_IsCrossEntropyOfDatasetAction()
    {
        using var scope = DisposeScope.Open();
        var logits = Tensor.From(new float[] { 1, 2, 3 }, 1, 3);
        var loss = BehaviourCloning.Loss(logits, Tensor.From(new long[] { 2 }, 1));
        Assert.Equal(Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)) - 3, loss.Item(), 5);
    }

    [Fact]
    public void SoftUpdate_MovesTargetTauOfTheWayToOnline()
    {
        Torch.Torch.ManualSeed(3);
        using var online = new QNetwork(conditioned: true);
        using var target = new QNetwork(conditioned: true);
        var before = target.Parameters().Select(p => p.ToArray<float>()).ToArray();
        var src = online.Parameters().Select(p => p.ToArray<float>()).ToArray();
        target.SoftUpdateFrom(online, 0.25);
        var after = target.Parameters().Select(p => p.ToArray<float>()).ToArray();
        for (int i = 0; i < after.Length; i++)
            for (int k = 0; k < after[i].Length; k++)
                Assert.True(Math.Abs(0.75 * before[i][k] + 0.25 * src[i][k] - after[i][k]) < 1e-6, $"parameter {i}[{k}]");
        target.CopyFrom(online);
        Assert.Equal(src[0], target.Parameters()[0].ToArray<float>());
    }
}
