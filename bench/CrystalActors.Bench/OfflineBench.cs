using System.CommandLine;
using CrystalActors.Learning.Offline;
using CrystalActors.Torch;

namespace CrystalActors.Bench;

/// <summary>
/// `crystal-actors bench offline`: CQL gradient steps per second (batch 256 and 1024) and greedy rollout crystals
/// per second (256 skeletons per batch) on synthetic data with MP-20 statistics (8-20 sites, mean 14; ~110 directed
/// edges per 14-site state). Reference (NOTES.md, PyTorch 1.13 on this machine, 2 threads): 2.6 and 0.64 steps/s,
/// 370 crystals/s.
/// </summary>
public static class OfflineBench
{
    public static Command CreateCommand()
    {
        var seconds = new Option<double>("--seconds") { Description = "Measuring time per figure (s)", DefaultValueFactory = _ => 10.0 };
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads (0 = leave as is)", DefaultValueFactory = _ => 0 };
        var cmd = new Command("offline", "Offline-RL speed: CQL steps/s and greedy rollout crystals/s");
        cmd.Options.Add(seconds);
        cmd.Options.Add(threads);
        cmd.SetAction(parse =>
        {
            int t = parse.GetValue(threads);
            if (t > 0) Torch.Torch.NumThreads = t;
            Run(parse.GetValue(seconds));
            return 0;
        });
        return cmd;
    }

    public static void Run(double seconds)
    {
        AllocatorTuning.Apply();
        var data = TrajectoryDataset.Synthetic(2000, seed: 7);
        var table = new BenchTable($"offline RL (synthetic MP-20-like, {Torch.Torch.NumThreads} threads)", "metric", "parameters", "value", "unit");
        foreach (int batch in new[] { 256, 1024 })
        {
            var options = new OfflineTrainOptions { BatchSize = batch, Seed = 1 };
            using var trainer = new OfflineTrainer(data, options);
            double rate = BenchTable.Rate(() => trainer.TrainStep(), seconds, warmup: 2);
            table.Add("cql_steps_per_s", $"batch={batch}", rate, "steps/s");
        }
        using (var net = new QNetwork(conditioned: true))
        {
            var skeletons = data.Subset(c => c < 512);
            double perCall = BenchTable.Rate(() => Generation.Greedy(net, skeletons, 1.12, batchSize: 256), seconds, warmup: 1);
            table.Add("rollout_crystals_per_s", "batch=256", perCall * skeletons.CrystalCount, "crystals/s");
        }
        table.Print();
    }
}
