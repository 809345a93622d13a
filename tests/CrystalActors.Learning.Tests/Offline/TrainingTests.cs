using CrystalActors.Learning.Offline;
using CrystalActors.Torch;

namespace CrystalActors.Learning.Tests.Offline;

public class TrainingTests
{
    [Fact]
    public void Resume_HalfwayFromCheckpoint_GivesIdenticalWeightsToAStraightRun()
    {
        var ds = TrajectoryDataset.Synthetic(20, seed: 9);
        var options = new OfflineTrainOptions { BatchSize = 16, Steps = 6, CheckpointEvery = 3, Seed = 4, CqlWeight = 5 };
        var dirA = Path.Combine(Path.GetTempPath(), $"cql-a-{Guid.NewGuid():N}");
        var dirB = Path.Combine(Path.GetTempPath(), $"cql-b-{Guid.NewGuid():N}");
        try
        {
            Dictionary<string, float[]> straight;
            using (var t = new OfflineTrainer(ds, options))
            {
                t.Run(dirA);
                straight = Snapshot(t);
            }
            using (var half = new OfflineTrainer(ds, options with { Steps = 3 })) half.Run(dirB);
            Assert.True(File.Exists(Path.Combine(dirB, "checkpoints", OfflineTrainer.CheckpointName(3))));
            Dictionary<string, float[]> resumed;
            using (var t = new OfflineTrainer(ds, options with { Seed = 4 }))
            {
                t.Run(dirB); // finds step 3, continues to 6
                Assert.Equal(6, t.Step);
                resumed = Snapshot(t);
            }
            Assert.Equal(straight.Keys, resumed.Keys);
            foreach (var (k, v) in straight) Assert.True(v.SequenceEqual(resumed[k]), $"{k} differs after resume");
            // The run really trained: weights moved away from the step-3 checkpoint.
            var (net3, _, _) = OfflineTrainer.LoadPolicy(Path.Combine(dirB, "checkpoints", OfflineTrainer.CheckpointName(3)));
            using (net3) Assert.False(net3.StateDict()["output_proj.layers.4.weight"].ToArray<float>().SequenceEqual(straight["model.output_proj.layers.4.weight"]));
            // Header, the half run's last step, the resumed run's last step (LogEvery 50 > 6 steps: only run ends log).
            Assert.Equal(new[] { "3", "6" }, File.ReadAllLines(Path.Combine(dirB, "scalars.csv")).Skip(1).Select(l => l.Split(',')[0]));
        }
        finally
        {
            if (Directory.Exists(dirA)) Directory.Delete(dirA, true);
            if (Directory.Exists(dirB)) Directory.Delete(dirB, true);
        }
    }

    [Fact]
    public void AddTrajectories_TrainsAsIfTheDataHadBeenThereFromTheStart()
    {
        var a = TrajectoryDataset.Synthetic(8, seed: 11);
        var b = TrajectoryDataset.Synthetic(4, seed: 12);
        float[] ra = Enumerable.Range(0, a.CrystalCount).Select(i => 0.1f * i).ToArray();
        float[] rb = Enumerable.Range(0, b.CrystalCount).Select(i => -0.5f + i).ToArray();
        var options = new OfflineTrainOptions { BatchSize = 16, Steps = 3, Seed = 3, ParallelShards = false };
        Dictionary<string, float[]> grown, whole;
        using (var t = new OfflineTrainer(a, options, terminalRewards: ra))
        {
            t.AddTrajectories(b, rb);
            Assert.Equal(a.TransitionCount + b.TransitionCount, t.Data.TransitionCount);
            for (int i = 0; i < 3; i++) t.TrainStep();
            grown = Snapshot(t);
            Assert.Throws<ArgumentException>(() => t.AddTrajectories(b, ra));
        }
        using (var t = new OfflineTrainer(a.Concat(b), options, terminalRewards: [.. ra, .. rb]))
        {
            for (int i = 0; i < 3; i++) t.TrainStep();
            whole = Snapshot(t);
        }
        foreach (var (k, v) in whole) Assert.True(v.SequenceEqual(grown[k]), $"{k} differs");
    }

    [Fact]
    public void ParallelShards_GiveTheSameWeightsAsSequentialShards()
    {
        var ds = TrajectoryDataset.Synthetic(12, seed: 10);
        var options = new OfflineTrainOptions { BatchSize = 16, Steps = 3, Seed = 2, Shards = 2 };
        Dictionary<string, float[]> a, b;
        using (var t = new OfflineTrainer(ds, options with { ParallelShards = true })) { for (int i = 0; i < 3; i++) t.TrainStep(); a = Snapshot(t); }
        using (var t = new OfflineTrainer(ds, options with { ParallelShards = false })) { for (int i = 0; i < 3; i++) t.TrainStep(); b = Snapshot(t); }
        foreach (var (k, v) in a) Assert.True(v.SequenceEqual(b[k]), $"{k} differs");
    }

    [Fact]
    public void Shards_GiveTheFullBatchGradient()
    {
        // One step from the same weights and minibatch: with 1, 2 and 3 shards the (clipped) gradient left in the
        // parameters must agree up to float rounding, since each shard's loss is its share of the full-batch mean.
        var ds = TrajectoryDataset.Synthetic(12, seed: 11);
        var options = new OfflineTrainOptions { BatchSize = 15, Steps = 1, Seed = 3, CqlWeight = 5 };
        (LossTerms Terms, float[][] Grads) Step(int shards)
        {
            using var t = new OfflineTrainer(ds, options with { Shards = shards });
            var terms = t.TrainStep();
            return (terms, t.Online.Parameters().Select(p => p.Grad!.ToArray<float>()).ToArray());
        }
        var whole = Step(1);
        foreach (int shards in new[] { 2, 3 })
        {
            var split = Step(shards);
            // Float sums in another order: equal to a few parts in 10⁷ of the value.
            Assert.Equal(whole.Terms.Total, split.Terms.Total, 1e-6 * Math.Abs(whole.Terms.Total));
            Assert.Equal(whole.Terms.Conservative, split.Terms.Conservative, 1e-6 * Math.Abs(whole.Terms.Conservative));
            Assert.Equal(whole.Terms.MeanQ, split.Terms.MeanQ, 1e-6 * Math.Abs(whole.Terms.MeanQ));
            double maxAbs = whole.Grads.SelectMany(g => g).Max(x => Math.Abs(x));
            Assert.True(maxAbs > 1e-3, "the gradient is zero: nothing to compare");
            for (int p = 0; p < whole.Grads.Length; p++)
                for (int i = 0; i < whole.Grads[p].Length; i++)
                    Assert.True(Math.Abs(whole.Grads[p][i] - split.Grads[p][i]) <= 1e-6 + 1e-4 * maxAbs,
                        $"parameter {p}[{i}]: {whole.Grads[p][i]} vs {split.Grads[p][i]} with {shards} shards");
        }
    }

    private static Dictionary<string, float[]> Snapshot(OfflineTrainer t)
    {
        var d = new Dictionary<string, float[]>();
        foreach (var (k, v) in t.Online.StateDict()) d["model." + k] = v.ToArray<float>();
        foreach (var (k, v) in t.Target!.StateDict()) d["target." + k] = v.ToArray<float>();
        return d;
    }

    [Fact]
    public void TrainStep_LeaksNoTensors()
    {
        var ds = TrajectoryDataset.Synthetic(10, seed: 2);
        using var t = new OfflineTrainer(ds, new OfflineTrainOptions { BatchSize = 8, Steps = 10 });
        t.TrainStep();
        long live = Torch.Torch.LiveTensors;
        t.TrainStep();
        t.TrainStep();
        Assert.Equal(live, Torch.Torch.LiveTensors);
    }

    [Fact]
    public void BehaviourCloning_ShortRunOnRealCrystals_ReachesAccuracyFarAboveChance()
    {
        var records = TestData.Mp20Records(24, r => r.NumAtoms <= 8 && r.BandGap > 0);
        var ds = TrajectoryDataset.Build(records);
        var options = new OfflineTrainOptions { Algorithm = OfflineAlgorithm.BehaviourCloning, BatchSize = 64, Steps = 200, LearningRate = 3e-3, Seed = 1 };
        using var t = new OfflineTrainer(ds, options);
        double first = t.TrainStep().Total;
        double last = 0;
        for (int i = 1; i < options.Steps; i++) last = t.TrainStep().Total;
        Assert.True(last < 0.5 * first, $"BC loss {first:F3} -> {last:F3}");
        // Teacher-forced accuracy: argmax of the network on every dataset state against the dataset action.
        using var scope = DisposeScope.Open();
        using var noGrad = NoGradScope.Enter();
        var all = new TransitionBatchBuilder(ds, true, 1.12, new float[ds.CrystalCount]).Build(Enumerable.Range(0, ds.TransitionCount).ToArray());
        var predicted = t.Online.Forward(all.State).ArgMax(1).ToArray<long>();
        var actions = all.Actions.ToArray<long>();
        double accuracy = predicted.Zip(actions).Count(p => p.First == p.Second) / (double)actions.Length;
        // Chance is 1/88 = 1.1 %.
        Assert.True(accuracy > 0.3, $"BC accuracy {accuracy:P1} after {options.Steps} steps");
    }
}
