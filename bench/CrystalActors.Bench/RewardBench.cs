using System.CommandLine;
using System.Diagnostics;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Graphs;
using CrystalActors.Crystals.Io;
using CrystalActors.Learning.Environments.Skeletons;
using CrystalActors.Learning.Rewards;
using CrystalActors.Models.Megnet;

namespace CrystalActors.Bench;

/// <summary>
/// `crystal-actors bench rewards`: the multi-objective reward on batches of 64 designs — random fills of the Rb3ScF6
/// skeleton with the paper's 21 elements, i.e. what a GRPO group looks like — per component (gap, creativity with the
/// structure matcher against MP-20 val, energy above the hull with M3GNet, diversity with MEGNet embeddings) and all
/// together, in batches per second and crystals per second. A learner at G = 64 needs one batch per update.
/// </summary>
public static class RewardBench
{
    public static Command CreateCommand()
    {
        var batch = new Option<int>("--batch") { Description = "Crystals per batch", DefaultValueFactory = _ => 64 };
        var seconds = new Option<double>("--seconds") { Description = "Measuring time per figure (s)", DefaultValueFactory = _ => 5.0 };
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads (0 = leave as is)", DefaultValueFactory = _ => 0 };
        var cmd = new Command("rewards", "Reward components per second on batches of 64 designs (gap, creativity, energy above hull, diversity, all)");
        foreach (var o in new Option[] { batch, seconds, threads }) cmd.Options.Add(o);
        cmd.SetAction(p =>
        {
            if (p.GetValue(threads) is > 0 and var t) Torch.Torch.NumThreads = t;
            Run(p.GetValue(batch), p.GetValue(seconds));
            return 0;
        });
        return cmd;
    }

    public static void Run(int batchSize, double seconds)
    {
        Torch.Torch.UseCachingCpuAllocator();
        var shared = SharedPaths.RequireShared(Path.Combine("data", "mp20"));
        var val = Path.Combine(shared, "data", "mp20", "mp20_val.jsonl.gz");
        var record = Mp20JsonlReader.Read(val).First(r => r.MaterialId == "mp-1114693");
        var task = new DesignTask(Skeleton.FromStructure(record.Structure!, record.SpacegroupNumber ?? 1), DesignTask.PaperVocabulary, 1.12);
        var rng = new Random(1);
        List<Structure> Designs() => Enumerable.Range(0, batchSize).Select(_ =>
        {
            var e = task.NewEpisode(0);
            while (!e.Done) e.Apply(task.VocabularyActions[rng.Next(task.VocabularyActions.Count)]);
            return e.ToStructure();
        }).ToList();
        var setup = new RewardSetup
        {
            Reference = val,
            HullData = [Path.Combine(shared, "data", "mp20", "mp20_train_nocoords.jsonl.gz"), val],
            EnergyWeights = Path.Combine(shared, "reference", "m3gnet", "M3GNet-MP-2021.2.8-PES.safetensors"),
        };
        var weights = Path.Combine(shared, "reference", "megnet", "MEGNet-MP-2019.4.1-BandGap-mfi.safetensors");
        using var gapModel = BandGapModel.Load(weights);
        var table = new BenchTable($"Reward components (batches of {batchSize} Rb3ScF6 fills, {Torch.Torch.NumThreads} threads)", "metric", "parameters", "value", "unit");
        foreach (var kinds in new[] { ["target_gap"], ["creativity"], ["energy"], ["structure_diversity", "composition_diversity"],
                                      new[] { "target_gap", "creativity", "energy", "structure_diversity", "composition_diversity" } })
        {
            var sw = Stopwatch.StartNew();
            using var scorer = new RewardScorer(CompositeReward.FromOptions(kinds.Select(k => new RewardComponentOptions { Kind = k }).ToList(), 1.12, 1.0),
                setup, weights);
            string name = kinds.Length > 2 ? "all" : string.Join("+", kinds);
            table.Add($"reward_setup_s_{name}", "load models and references", sw.Elapsed.TotalSeconds, "s");
            var batch = Designs();
            double rate = BenchTable.Rate(() => scorer.Score(batch, gapModel), seconds, warmup: 1);
            table.Add($"reward_batches_per_s_{name}", $"batch={batchSize}", rate, "batches/s");
            table.Add($"reward_crystals_per_s_{name}", $"batch={batchSize}", rate * batchSize, "crystals/s");
        }
        table.Print();
    }
}
