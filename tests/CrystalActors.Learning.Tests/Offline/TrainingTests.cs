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
    public void ConcurrentTarget_GivesTheSameWeightsAsSequential()
    {
        var ds = TrajectoryDataset.Synthetic(12, seed: 10);
        var options = new OfflineTrainOptions { BatchSize = 16, Steps = 3, Seed = 2 };
        Dictionary<string, float[]> a, b;
        using (var t = new OfflineTrainer(ds, options with { ConcurrentTarget = true })) { for (int i = 0; i < 3; i++) t.TrainStep(); a = Snapshot(t); }
        using (var t = new OfflineTrainer(ds, options with { ConcurrentTarget = false })) { for (int i = 0; i < 3; i++) t.TrainStep(); b = Snapshot(t); }
        foreach (var (k, v) in a) Assert.True(v.SequenceEqual(b[k]), $"{k} differs");
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
