using System.CommandLine;
using CrystalActors.Learning.Offline;
using CrystalActors.Torch;

namespace CrystalActors.Bench;

/// <summary>
/// `crystal-actors bench offline`: CQL gradient steps per second (batch 256 and 1024) and greedy rollout crystals
/// per second (256 skeletons per batch) on synthetic data with MP-20-like statistics (8-20 sites, mean 14 per
/// crystal; ~15 sites and ~110 directed edges per sampled state, see TrajectoryDataset.Synthetic). Reference (NOTES.md, PyTorch 1.13 on this machine, 2 threads): 2.6 and 0.64 steps/s,
/// 370 crystals/s.
/// </summary>
public static class OfflineBench
{
    public static Command CreateCommand()
    {
        var seconds = new Option<double>("--seconds") { Description = "Measuring time per figure (s)", DefaultValueFactory = _ => 10.0 };
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads (0 = leave as is)", DefaultValueFactory = _ => 0 };
        var shards = new Option<int>("--shards") { Description = "Minibatch shards of a CQL step (1 = one pass; default 2, as training)", DefaultValueFactory = _ => new OfflineTrainOptions().Shards };
        var cmd = new Command("offline", "Offline-RL speed: CQL steps/s and greedy rollout crystals/s");
        cmd.Options.Add(seconds);
        cmd.Options.Add(threads);
        cmd.Options.Add(shards);
        cmd.SetAction(parse =>
        {
            int t = parse.GetValue(threads);
            if (t > 0) Torch.Torch.NumThreads = t;
            Run(parse.GetValue(seconds), parse.GetValue(shards));
            return 0;
        });
        return cmd;
    }

    public static void Run(double seconds, int shards = 2)
    {
        Torch.Torch.UseCachingCpuAllocator();
        var data = TrajectoryDataset.Synthetic(2000, seed: 7);
        Console.WriteLine(FormattableString.Invariant($"synthetic states: {MeanPerState(data, sites: true):F1} sites, {MeanPerState(data, sites: false):F1} directed edges per sampled state; threads {Torch.Torch.NumThreads}; {shards} minibatch shard(s); caching CPU allocator"));
        var table = new BenchTable($"offline RL (synthetic MP-20-like, {Torch.Torch.NumThreads} threads)", "metric", "parameters", "value", "unit");
        foreach (int batch in new[] { 256, 1024 })
        {
            var options = new OfflineTrainOptions { BatchSize = batch, Seed = 1, Shards = shards };
            using var trainer = new OfflineTrainer(data, options);
            double rate = BenchTable.Rate(() => trainer.TrainStep(), seconds, warmup: 2);
            table.Add("cql_steps_per_s", $"batch={batch}", rate, "steps/s");
        }
        using (var net = new QNetwork(conditioned: true))
        {
            var skeletons = data.Subset(c => c < 512);
            double perCall = BenchTable.Rate(() => Generation.Greedy(net, skeletons, 1.12, batchSize: 256), seconds, warmup: 1);
            table.Add("rollout_crystals_per_s", "batch=256", perCall * skeletons.CrystalCount, "crystals/s");
            // The PyTorch reference's rollout setup (NOTES.md): batches of 256 ten-site skeletons.
            var ten = TrajectoryDataset.Synthetic(512, seed: 8, minSites: 10, maxSites: 10);
            double perCallTen = BenchTable.Rate(() => Generation.Greedy(net, ten, 1.12, batchSize: 256), seconds, warmup: 1);
            table.Add("rollout_crystals_per_s", "batch=256 sites=10", perCallTen * ten.CrystalCount, "crystals/s");
        }
        table.Print();
    }

    private static double MeanPerState(TrajectoryDataset d, bool sites)
    {
        double sum = 0;
        for (int i = 0; i < d.TransitionCount; i++)
        {
            int c = d.EpisodeCrystal[d.TransitionEpisode[i]];
            sum += sites ? d.NumSites(c) : d.NumEdges(c);
        }
        return sum / d.TransitionCount;
    }
}
