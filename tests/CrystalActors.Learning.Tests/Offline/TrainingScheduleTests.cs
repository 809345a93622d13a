using CrystalActors.Crystals;
using CrystalActors.Learning.Offline;
using CrystalActors.Torch;

namespace CrystalActors.Learning.Tests.Offline;

public class TrainingScheduleTests
{
    [Fact]
    public void Schedule_WarmsUpLinearly_ThenFollowsItsDecay()
    {
        var cosine = new LearningRateSchedule { Decay = LearningRateDecay.Cosine, WarmupSteps = 100, MinFraction = 0.1 };
        Assert.Equal(1e-5, cosine.At(1, 1100, 1e-3), 12);
        Assert.Equal(5e-4, cosine.At(50, 1100, 1e-3), 12);
        Assert.Equal(1e-3, cosine.At(100, 1100, 1e-3), 12);
        Assert.Equal(1e-3 * (0.1 + 0.9 * 0.5), cosine.At(600, 1100, 1e-3), 12); // half way down
        Assert.Equal(1e-4, cosine.At(1100, 1100, 1e-3), 12);                    // the floor at the last step
        var step = new LearningRateSchedule { Decay = LearningRateDecay.Step, DecayEvery = 1000, DecayFactor = 0.5 };
        Assert.Equal((1e-3, 1e-3, 5e-4, 2.5e-4), (step.At(1, 5000, 1e-3), step.At(999, 5000, 1e-3), step.At(1000, 5000, 1e-3), step.At(2500, 5000, 1e-3)));
        Assert.Equal(3e-4, LearningRateSchedule.Constant.At(12345, 20, 3e-4));
    }

    [Fact]
    public void ClassTargets_AreUniformOverTheElementsClass()
    {
        var m = BehaviourCloning.ClassTargets();
        int n = ActionVocabulary.Count;
        int na = ActionVocabulary.ActionIndexOf(Element.FromSymbol("Na")), k = ActionVocabulary.ActionIndexOf(Element.FromSymbol("K"));
        int o = ActionVocabulary.ActionIndexOf(Element.FromSymbol("O"));
        int classSize = Enumerable.Range(0, n).Count(b => ActionVocabulary.ClassOfAction(b) == ActionVocabulary.ClassOfAction(na));
        Assert.Equal(1f / classSize, m[na * n + k]); // both alkali metals
        Assert.Equal(0f, m[na * n + o]);
        for (int a = 0; a < n; a++) Assert.Equal(1.0, m.AsSpan(a * n, n).ToArray().Sum(x => (double)x), 5);
    }

    [Fact]
    public void ClassSmoothedLoss_MatchesTheHandComputedCrossEntropy()
    {
        using var scope = DisposeScope.Open();
        int n = ActionVocabulary.Count;
        var logits = new float[n];
        for (int i = 0; i < n; i++) logits[i] = (float)Math.Sin(i);
        int na = ActionVocabulary.ActionIndexOf(Element.FromSymbol("Na"));
        var targets = BehaviourCloning.ClassTargets();
        double lse = Math.Log(logits.Sum(x => Math.Exp(x)));
        double expected = 0;
        for (int b = 0; b < n; b++)
        {
            double t = 0.8 * (b == na ? 1 : 0) + 0.2 * targets[na * n + b];
            expected -= t * (logits[b] - lse);
        }
        var loss = BehaviourCloning.Loss(Tensor.From(logits, 1, n), Tensor.From(new long[] { na }, 1), Tensor.From(targets, n, n), 0.2);
        Assert.Equal(expected, loss.Item(), 4);
        // ε = 0 is the plain cross-entropy.
        Assert.Equal(lse - logits[na], BehaviourCloning.Loss(Tensor.From(logits, 1, n), Tensor.From(new long[] { na }, 1), Tensor.From(targets, n, n), 0).Item(), 4);
    }

    [Fact]
    public void HeldOutEvaluation_KeepsTheBest_StopsAfterPatience_AndTheFolderServesTheBest()
    {
        var records = TestData.Mp20Records(16, r => r.NumAtoms <= 6 && r.BandGap > 0);
        var ds = TrajectoryDataset.Build(records);
        var options = new OfflineTrainOptions
        {
            Algorithm = OfflineAlgorithm.BehaviourCloning, BatchSize = 32, Steps = 400, LearningRate = 3e-3, Seed = 2, EvalEvery = 25, Patience = 3,
            CheckpointEvery = 1000, Schedule = new LearningRateSchedule { Decay = LearningRateDecay.Cosine, WarmupSteps = 10 },
        };
        var dir = Path.Combine(Path.GetTempPath(), $"heldout-{Guid.NewGuid():N}");
        try
        {
            using (var t = new OfflineTrainer(ds, options) { HeldOut = ds })
            {
                t.Run(dir);
                // Measured on its own training crystals (chance is 1/88) the accuracy rises, then stalls; three stalled evaluations end the run.
                var rows = File.ReadAllLines(Path.Combine(dir, "heldout.csv")).Skip(1).Select(l => l.Split(',')).ToList();
                var acc = rows.Select(r => double.Parse(r[2], System.Globalization.CultureInfo.InvariantCulture)).ToList();
                long last = long.Parse(rows[^1][0]);
                Assert.Equal(t.Step, last);
                Assert.True(t.Step < options.Steps, "patience should stop the run before its last step: " + string.Join(" ", acc));
                int bestIndex = acc.IndexOf(acc.Max());
                Assert.Equal(long.Parse(rows[bestIndex][0]), t.BestStep);
                Assert.Equal(3, rows.Count - 1 - bestIndex); // exactly Patience evaluations after the best
                // Far above chance; on 16 cells the greedy fills of this short run hover around the share of the commonest
                // element (19 %) before they climb, so the bar is not set at the climb.
                Assert.True(acc.Max() > 0.15, $"held-out accuracy {acc.Max():P1}: {string.Join(" ", acc)}");
            }
            // The folder's policy is best.safetensors: its greedy fills reproduce the best accuracy.
            Assert.Equal(Path.Combine(dir, OfflineTrainer.BestCheckpointName), OfflineTrainer.PolicyFileIn(dir));
            var (net, _, _) = OfflineTrainer.LoadPolicy(dir);
            using (net)
            {
                double best = File.ReadAllLines(Path.Combine(dir, "heldout.csv")).Skip(1)
                    .Max(l => double.Parse(l.Split(',')[2], System.Globalization.CultureInfo.InvariantCulture));
                Assert.Equal(best, HeldOutEvaluation.Evaluate(net, ds, 1.12).Accuracy, 5);
            }
            // A policy file keeps the network and drops the training state.
            var policy = Path.Combine(dir, "shipped.safetensors");
            OfflineTrainer.SavePolicy(Path.Combine(dir, OfflineTrainer.BestCheckpointName), policy, new Dictionary<string, string> { ["note"] = "test" });
            Assert.True(new FileInfo(policy).Length < new FileInfo(Path.Combine(dir, OfflineTrainer.BestCheckpointName)).Length / 2);
            var (again, _, _) = OfflineTrainer.LoadPolicy(policy);
            var (fromDir, _, _) = OfflineTrainer.LoadPolicy(dir);
            using (again) using (fromDir) Assert.Equal(HeldOutEvaluation.Evaluate(fromDir, ds, 1.12).Accuracy, HeldOutEvaluation.Evaluate(again, ds, 1.12).Accuracy);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

public class MultiTargetTrainingTests
{
    [Fact]
    public void Builder_LabelsEachTransitionForItsOwnTarget()
    {
        using var scope = DisposeScope.Open();
        var ds = TrajectoryDataset.Synthetic(6, seed: 3);
        var rewards = new[] { Enumerable.Repeat(1f, 6).ToArray(), Enumerable.Repeat(7f, 6).ToArray() };
        var builder = new TransitionBatchBuilder(ds, conditioned: true, [1.5, 4.0], rewards);
        // The last transition of the first episode is terminal: its reward is the chosen target's.
        int last = Enumerable.Range(0, ds.TransitionCount).First(t => ds.TransitionEpisode[t] == 0 && ds.TransitionStep[t] == ds.NumSites(ds.EpisodeCrystal[0]) - 1);
        var batch = builder.Build([last, last], [0, 1]);
        Assert.Equal(new[] { 1f, 7f }, batch.Rewards.ToArray<float>());
        var globals = batch.State.Globals.ToArray<float>();
        int width = StateEncoding.GlobalWidth(true);
        Assert.Equal((1.5f, 4.0f), (globals[width - 1], globals[2 * width - 1]));
    }

    [Fact]
    public void InitializeFrom_AnUnconditionedPolicy_StartsAConditionedNetworkWithTheSameQValues()
    {
        var ds = TrajectoryDataset.Synthetic(8, seed: 5);
        var dir = Path.Combine(Path.GetTempPath(), $"init-{Guid.NewGuid():N}");
        try
        {
            var bc = new OfflineTrainOptions { Algorithm = OfflineAlgorithm.BehaviourCloning, Conditioned = false, BatchSize = 16, Steps = 5, Seed = 1 };
            using (var t = new OfflineTrainer(ds, bc)) t.Run(dir);
            var cql = new OfflineTrainOptions { Conditioned = true, TargetGaps = [1.12, 3], BatchSize = 16, Steps = 5, Seed = 2 };
            using var conditioned = new OfflineTrainer(ds, cql);
            conditioned.InitializeFrom(dir);
            var (source, _, _) = OfflineTrainer.LoadPolicy(dir);
            using (source)
            {
                using var scope = DisposeScope.Open();
                using var noGrad = NoGradScope.Enter();
                var idx = Enumerable.Range(0, 12).ToArray();
                var qSource = source.Forward(new TransitionBatchBuilder(ds, false, 1.12, new float[ds.CrystalCount]).Build(idx).State).ToArray<float>();
                foreach (double pHat in new[] { 1.12, 3.0 })
                {
                    var q = conditioned.Online.Forward(new TransitionBatchBuilder(ds, true, pHat, new float[ds.CrystalCount]).Build(idx).State).ToArray<float>();
                    for (int i = 0; i < q.Length; i++) Assert.Equal(qSource[i], q[i], 4);
                }
            }
            // And it trains from there for both targets.
            double first = conditioned.TrainStep().Total;
            Assert.True(double.IsFinite(first));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
