using CrystalActors.Crystals;
using CrystalActors.Crystals.Graphs;
using CrystalActors.Learning.Dqn;
using CrystalActors.Learning.Environments.Skeletons;
using CrystalActors.Learning.Grpo;
using CrystalActors.Learning.Offline;
using CrystalActors.Torch;

namespace CrystalActors.Learning.Tests.Grpo;

public class GrpoAdvantageTests
{
    [Fact]
    public void Advantages_HandMadeGroup_AreStandardisedWithTheSampleStd()
    {
        // r = 1, 2, 3, 6: mean 3, deviations -2, -1, 0, 3, squares sum to 14, sample std sqrt(14 / 3).
        var a = GrpoObjective.Advantages(new[] { 1.0, 2, 3, 6 }, epsilon: 1e-4);
        double std = Math.Sqrt(14.0 / 3);
        Assert.Equal(new[] { -2 / (std + 1e-4), -1 / (std + 1e-4), 0, 3 / (std + 1e-4) }, a, new Tolerance(1e-12));
        Assert.Equal(-0.925777, a[0], 1e-6); // -2 / 2.16035
        // Mean-only (Dr. GRPO): just the deviations.
        Assert.Equal(new[] { -2.0, -1, 0, 3 }, GrpoObjective.Advantages(new[] { 1.0, 2, 3, 6 }, scaleByStd: false), new Tolerance(1e-12));
    }

    [Fact]
    public void Advantages_EqualRewardsOrAGroupOfOne_AreZero()
    {
        Assert.All(GrpoObjective.Advantages(new[] { 0.1, 0.1, 0.1, 0.1, 0.1 }), x => Assert.Equal(0.0, x));
        Assert.All(GrpoObjective.Advantages(new[] { 0.7, 0.7 }, scaleByStd: false), x => Assert.Equal(0.0, x));
        Assert.Equal(new[] { 0.0 }, GrpoObjective.Advantages(new[] { 5.0 }));
    }

    [Fact]
    public void GroupAdvantages_CompareEachEpisodeOnlyWithinItsCrystal()
    {
        // Crystal 4: rewards 0 and 2 (mean 1, sample std sqrt(2)); crystal 9: 10, 10, 10 (all equal).
        var a = GrpoObjective.GroupAdvantages(new[] { 4, 9, 4, 9, 9 }, new[] { 0.0, 10, 2, 10, 10 }, epsilon: 1e-4);
        double s = Math.Sqrt(2) + 1e-4;
        Assert.Equal(new[] { -1 / s, 0, 1 / s, 0, 0 }, a, new Tolerance(1e-12));
    }

    internal sealed class Tolerance(double tol) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tol;
        public int GetHashCode(double x) => 0;
    }
}

public class GrpoLossTests
{
    private static readonly int[] Allowed = { 5, 10, 20 };

    /// <summary>
    /// Two steps over three allowed actions (every other logit is 3, larger than theirs, so the mask matters):
    /// step 0 takes the second action with ratio e^0.5 (outside 1 ± 0.2) and advantage +1, so its surrogate is the
    /// constant 1.2 and gives no gradient; step 1 takes the first action with ratio e^-0.1 (inside) and advantage -1.
    /// The reference sits at log π + 0.2 and log π - 0.3. Value and gradient from the formulas by hand.
    /// </summary>
    [Theory]
    [InlineData(1.0)]
    [InlineData(2.0)]
    public void Loss_ToyPolicy_MatchesHandComputedValueAndGradient(double temperature)
    {
        const double eps = 0.2, beta = 0.1, c = 0.01;
        double[][] z = { new[] { 1.0, 2, 0 }, new[] { 0.5, 0, -0.5 } };
        int[] taken = { 1, 0 };
        double[] logRatio = { 0.5, -0.1 }, toRef = { 0.2, -0.3 }, adv = { 1, -1 };

        // By hand: p = softmax(z / T) over the allowed actions.
        var p = z.Select(row => { var e = row.Select(v => Math.Exp(v / temperature)).ToArray(); return e.Select(v => v / e.Sum()).ToArray(); }).ToArray();
        var logp = Enumerable.Range(0, 2).Select(i => Math.Log(p[i][taken[i]])).ToArray();
        var h = p.Select(row => -row.Sum(q => q * Math.Log(q))).ToArray();
        var ratio = logRatio.Select(Math.Exp).ToArray();
        var k3 = toRef.Select(d => Math.Exp(d) - d - 1).ToArray();
        double surrogate0 = Math.Min(ratio[0] * adv[0], (1 + eps) * adv[0]); // = 1.2, clipped
        double surrogate1 = ratio[1] * adv[1];                               // inside the clip range
        double expectedLoss = -(surrogate0 + surrogate1) / 2 + beta * (k3[0] + k3[1]) / 2 - c * (h[0] + h[1]) / 2;
        var expectedGrad = new double[2, ActionVocabulary.Count];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
            {
                double dLogp = (j == taken[i] ? 1 : 0) - p[i][j]; // d log π(a) / d z_j, before the 1/T
                double g = 0;
                if (i == 1) g += -adv[1] * ratio[1] * dLogp / 2;      // -mean(ρ A): d ρ = ρ d log π
                g += beta * (1 - Math.Exp(toRef[i])) * dLogp / 2;     // d k3 / d log π = 1 - e^(ref - log π)
                g += c * p[i][j] * (Math.Log(p[i][j]) + h[i]) / 2;    // -c dH, dH/dz_j = -p_j (log p_j + H)
                expectedGrad[i, Allowed[j]] = g / temperature;
            }

        using var scope = DisposeScope.Open();
        var raw = new float[2 * ActionVocabulary.Count];
        Array.Fill(raw, 3f);
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) raw[i * ActionVocabulary.Count + Allowed[j]] = (float)z[i][j];
        var logits = Tensor.From(raw, 2, ActionVocabulary.Count).RequiresGrad_();
        var actions = Tensor.From(new long[] { Allowed[taken[0]], Allowed[taken[1]] }, 2);
        var old = Tensor.From(new[] { (float)(logp[0] - logRatio[0]), (float)(logp[1] - logRatio[1]) }, 2);
        var reference = Tensor.From(new[] { (float)(logp[0] + toRef[0]), (float)(logp[1] + toRef[1]) }, 2);
        var advantages = Tensor.From(new[] { 1f, -1f }, 2);
        var (loss, kl, entropy, clip) = GrpoObjective.Loss(logits, Mask(), actions, old, reference, advantages, temperature, eps, beta, c);

        Assert.Equal(expectedLoss, loss.Item(), 1e-5);
        Assert.Equal((k3[0] + k3[1]) / 2, kl.Item(), 1e-5);
        Assert.Equal((h[0] + h[1]) / 2, entropy.Item(), 1e-5);
        Assert.Equal(0.5, clip.Item(), 1e-6);
        loss.Backward();
        var grad = logits.Grad!.ToArray<float>();
        for (int i = 0; i < 2; i++)
            for (int a = 0; a < ActionVocabulary.Count; a++)
            {
                double g = grad[i * ActionVocabulary.Count + a];
                if (Allowed.Contains(a)) Assert.True(Math.Abs(expectedGrad[i, a] - g) < 1e-6, $"d loss / d logit[{i}, {a}] = {g}, expected {expectedGrad[i, a]}");
                else Assert.Equal(0.0, g); // masked actions get exactly no gradient (and no NaN)
            }
    }

    [Fact]
    public void Kl_ToAnIdenticalReference_IsZero_AndPositiveForADifferentOne()
    {
        using var scope = DisposeScope.Open();
        var logits = Tensor.From(Enumerable.Range(0, 3 * ActionVocabulary.Count).Select(i => (float)Math.Sin(i)).ToArray(), 3, ActionVocabulary.Count);
        var actions = Tensor.From(new long[] { 5, 10, 20 }, 3);
        var logp = GrpoObjective.LogPolicy(logits, Mask(), 1.0).Gather(1, actions.Unsqueeze(1)).Squeeze(1);
        var zero = Tensor.Zeros(new long[] { 3 });
        var (_, same, _, _) = GrpoObjective.Loss(logits, Mask(), actions, logp, logp, zero, 1.0, 0.2, 1.0, 0);
        Assert.Equal(0.0, same.Item());
        foreach (double shift in new[] { -0.5, 0.3 })
        {
            var (_, differs, _, _) = GrpoObjective.Loss(logits, Mask(), actions, logp, logp + shift, zero, 1.0, 0.2, 1.0, 0);
            Assert.Equal(Math.Exp(shift) - shift - 1, differs.Item(), 1e-6);
            Assert.True(differs.Item() > 0);
        }
    }

    private static Tensor Mask()
    {
        var invalid = Enumerable.Repeat(true, ActionVocabulary.Count).ToArray();
        foreach (var a in Allowed) invalid[a] = false;
        return Tensor.From<bool>(invalid, new long[] { invalid.Length });
    }
}

public class GrpoLearnerTests
{
    private static readonly string[] Vocabulary = { "Na", "Cl", "K", "O" };

    /// <summary>The first MP-20 validation crystal with <paramref name="sites"/> sites, as a one-skeleton design task.</summary>
    private static (TrajectoryDataset Skeletons, DesignTask Task) SmallTask(int sites)
    {
        var records = TestData.Mp20Records(1, r => r.NumAtoms == sites);
        var skeletons = TrajectoryDataset.Build(records);
        var r = records[0];
        return (skeletons, new DesignTask(Crystals.Graphs.Skeleton.FromStructure(r.Structure!, r.SpacegroupNumber ?? 1), Vocabulary, 1.12));
    }

    private static double[] SitesFilledWith(IReadOnlyList<SampledEpisode> episodes, int action) =>
        episodes.Select(e => (double)e.Played.Episode.NodeTypes.Count(t => t == action)).ToArray();

    [Fact]
    public void Sample_NeverPicksAMaskedAction_AndMaskedActionsHaveZeroProbability()
    {
        var (skeletons, task) = SmallTask(4);
        Torch.Torch.ManualSeed(3);
        using var policy = new GrpoPolicy(skeletons, task.VocabularyActions, 1.12);
        var episodes = GroupRollout.Play(policy, new[] { task }, new[] { 0 }, new[] { 0 }, groupSize: 64, temperature: 1.5, new Random(1));
        Assert.Equal(64, episodes.Count);
        var seen = episodes.SelectMany(e => e.Played.Steps.Select(s => (int)s.Action)).ToHashSet();
        Assert.Subset(task.VocabularyActions.ToHashSet(), seen);
        Assert.Equal(task.VocabularyActions.Count, seen.Count); // 256 draws from 4 actions: all of them come up

        var steps = episodes.SelectMany(e => e.Played.Steps).Take(12).ToArray();
        var probs = policy.Probabilities(steps.Select(_ => 0).ToArray(), steps.Select(s => (IReadOnlyList<int>)s.NodeTypes.Select(x => (int)x).ToArray()).ToArray(),
            steps.Select(s => (int)s.Focus).ToArray(), temperature: 1.5);
        foreach (var row in probs)
        {
            for (int a = 0; a < ActionVocabulary.Count; a++)
                if (!task.VocabularyActions.Contains(a)) Assert.Equal(0f, row[a]);
            Assert.Equal(1.0, row.Sum(x => (double)x), 1e-5);
        }
        // The recorded log-probs are those of the sampled actions under the sampling policy.
        var first = episodes[0];
        var p0 = policy.Probabilities(new[] { 0 }, new IReadOnlyList<int>[] { first.Played.Steps[0].NodeTypes.Select(x => (int)x).ToArray() },
            new[] { (int)first.Played.Steps[0].Focus }, 1.5)[0];
        Assert.Equal(Math.Log(p0[first.Played.Steps[0].Action]), first.LogProbs[0], 1e-5);
    }

    [Fact]
    public void Update_FirstStepHasZeroKlToTheReference_ThenItGrows()
    {
        var (skeletons, task) = SmallTask(4);
        var options = new GrpoOptions { GroupSize = 16, Minibatches = 1, LearningRate = 3e-3 };
        using var learner = new GrpoLearner(skeletons, task.VocabularyActions, 1.12, options, seed: 2);
        var rng = new Random(5);
        int na = task.VocabularyActions[0];
        var kl = new List<double>();
        for (int u = 0; u < 4; u++)
        {
            var played = learner.Play(new[] { task }, new[] { 0 }, new[] { 0 }, rng);
            kl.Add(learner.Update(played.Select(e => e.Trajectory).ToArray(), SitesFilledWith(played, na)).Kl);
        }
        Assert.Equal(0.0, kl[0], 1e-7); // the policy is still the reference's copy
        Assert.True(kl[3] > 1e-6, $"KL after three updates: {kl[3]}");
    }

    [Fact]
    public void Update_OnASmallMp20Skeleton_RaisesTheGroupMeanReward()
    {
        // Reward: +1 per site filled with Na. A fresh policy fills about a quarter of the sites with it.
        var (skeletons, task) = SmallTask(6);
        var options = new GrpoOptions { GroupSize = 32, LearningRate = 1e-3 };
        using var learner = new GrpoLearner(skeletons, task.VocabularyActions, 1.12, options, seed: 1);
        var rng = new Random(7);
        int na = task.VocabularyActions[0];
        var means = new List<double>();
        GrpoStats? last = null;
        for (int u = 0; u < 20; u++)
        {
            var played = learner.Play(new[] { task }, new[] { 0 }, new[] { u % 2 }, rng);
            var rewards = SitesFilledWith(played, na);
            last = learner.Update(played.Select(e => e.Trajectory).ToArray(), rewards, new Dictionary<string, double[]> { ["na"] = rewards });
            means.Add(last.RewardMean);
        }
        Assert.True(means.TakeLast(3).Average() > means.Take(3).Average() + 2, $"group mean reward per update: {string.Join(" ", means.Select(m => m.ToString("F2")))}");
        Assert.Equal(20, learner.Updates);
        Assert.Equal(40, learner.GradientSteps);
        Assert.Equal(32 * 6, last!.Steps);
        Assert.Equal(last.RewardMean, last.Components["na"].Mean, 1e-12);
        Assert.Equal(0.0, last.AdvantageMean, 1e-9);
        Assert.Contains(last.Scalars(), s => s.Key == "losses/clip_fraction");
    }

    [Fact]
    public void Update_LeaksNoTensors()
    {
        var (skeletons, task) = SmallTask(4);
        using var learner = new GrpoLearner(skeletons, task.VocabularyActions, 1.12, new GrpoOptions { GroupSize = 8, Epochs = 2 }, seed: 4);
        var rng = new Random(2);
        void Once()
        {
            var played = learner.Play(new[] { task }, new[] { 0 }, new[] { 0 }, rng);
            learner.Update(played.Select(e => e.Trajectory).ToArray(), played.Select((_, i) => (double)(i % 3)).ToArray());
        }
        Once();
        long live = Torch.Torch.LiveTensors;
        Once();
        Once();
        Assert.Equal(live, Torch.Torch.LiveTensors);
    }

    [Fact]
    public void SavePolicy_WritesDqnPolicyWeights_ThatBothPoliciesLoadWithTheVersion()
    {
        var (skeletons, task) = SmallTask(4);
        var path = Path.Combine(Path.GetTempPath(), $"grpo-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var learner = new GrpoLearner(skeletons, task.VocabularyActions, 1.12, new GrpoOptions { GroupSize = 8 }, seed: 6);
            var played = learner.Play(new[] { task }, new[] { 0 }, new[] { 0 }, new Random(4));
            learner.Update(played.Select(e => e.Trajectory).ToArray(), played.Select((_, i) => (double)i).ToArray());
            learner.SavePolicy(path, version: 7);

            var state = new IReadOnlyList<int>[] { Enumerable.Repeat(ActionVocabulary.UnfilledNodeType, 4).ToArray() };
            var focus = new[] { task.NewEpisode(0).Focus };
            var expected = learner.Policy.Probabilities(new[] { 0 }, state, focus, 1.0)[0];
            using var dqn = new DqnPolicy(skeletons, task.VocabularyActions, 1.12);
            dqn.Load(path);
            Assert.Equal(7, dqn.Version);
            // softmax over the vocabulary of the DQN's Q-values is the GRPO policy.
            var q = dqn.QValues(new[] { 0 }, state, focus)[0];
            var z = q.Select(v => Math.Exp(v - q.Max())).ToArray();
            for (int k = 0; k < q.Length; k++) Assert.Equal(z[k] / z.Sum(), expected[task.VocabularyActions[k]], 1e-5);

            using var policy = new GrpoPolicy(skeletons, task.VocabularyActions, 1.12);
            policy.Load(path);
            Assert.Equal(7, policy.Version);
            Assert.Equal(expected, policy.Probabilities(new[] { 0 }, state, focus, 1.0)[0]);
            // Loading as the learner's start makes it the reference too: the first update's KL is 0 again.
            using var other = new GrpoLearner(skeletons, task.VocabularyActions, 1.12, new GrpoOptions { GroupSize = 8, Minibatches = 1 }, seed: 9);
            other.LoadPolicy(path);
            var again = other.Play(new[] { task }, new[] { 0 }, new[] { 0 }, new Random(4));
            Assert.Equal(7, again[0].Played.PolicyVersion);
            Assert.Equal(0.0, other.Update(again.Select(e => e.Trajectory).ToArray(), again.Select((_, i) => (double)i).ToArray()).Kl, 1e-7);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Options_OutOfRange_AreRejectedByName()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new GrpoOptions { Temperature = 0 }.Validate());
        Assert.Equal("Temperature", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GrpoOptions { GroupSize = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new GrpoOptions { KlCoefficient = -1 }.Validate());
        new GrpoOptions().Validate();
    }
}
