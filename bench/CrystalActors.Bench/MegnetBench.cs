using System.CommandLine;
using System.Diagnostics;
using CrystalActors.Crystals.Io;
using CrystalActors.Models.Megnet;
using CrystalActors.Models.Reward;

namespace CrystalActors.Bench;

/// <summary>
/// `crystal-actors bench megnet`: band-gap MEGNet throughput on real MP-20 val crystals. Prediction rates are reported
/// end to end (structure → radius graph → batch → forward) and forward-only (prebuilt graphs); fine-tuning as Adam
/// steps per second of a whole fine-tuning round (graph building and model copy included).
/// </summary>
public static class MegnetBench
{
    public static Command CreateCommand()
    {
        var weights = new Option<string?>("--weights") { Description = "Band-gap weights (default: shared/reference/megnet/MEGNet-MP-2019.4.1-BandGap-mfi.safetensors)" };
        var data = new Option<string?>("--data") { Description = "MP-20 JSONL (default: shared/data/mp20/mp20_val.jsonl.gz)" };
        var seconds = new Option<double>("--seconds") { Description = "Timing window per figure", DefaultValueFactory = _ => 3.0 };
        var threads = new Option<int?>("--threads") { Description = "libtorch intra-op threads (default: libtorch's choice)" };
        var cmd = new Command("megnet", "Band-gap MEGNet: predictions/s at batch 1, 64, 1024 and fine-tuning steps/s.");
        foreach (var o in new Option[] { weights, data, seconds, threads }) cmd.Options.Add(o);
        cmd.SetAction(p => Run(p.GetValue(weights), p.GetValue(data), p.GetValue(seconds), p.GetValue(threads)));
        return cmd;
    }

    public static int Run(string? weightsPath, string? dataPath, double seconds, int? threads)
    {
        if (threads is { } t) Torch.Torch.NumThreads = t;
        weightsPath ??= Path.Combine(FindShared(), "reference", "megnet", "MEGNet-MP-2019.4.1-BandGap-mfi.safetensors");
        dataPath ??= Path.Combine(FindShared(), "data", "mp20", "mp20_val.jsonl.gz");
        var records = CrystalDataReader.ReadRecords(dataPath).Where(r => r.Structure is not null && r.BandGap is not null).Take(1024).ToList();
        var structures = records.Select(r => r.Structure!).ToList();
        using var model = BandGapModel.Load(weightsPath);
        var graphs = model.BuildGraphs(structures);
        Console.WriteLine($"{records.Count} crystals of {dataPath}: mean {graphs.Average(g => g.NumNodes):F1} sites, " +
                          $"{graphs.Average(g => g.NumEdges):F0} directed edges (cutoff {model.GraphBuilder.Cutoff} Å); {Torch.Torch.NumThreads} threads");

        var table = new BenchTable("MEGNet band gap (float32, CPU)", "metric", "parameters", "value", "unit");
        foreach (int batch in new[] { 1, 64, 1024 })
        {
            int cursor = 0;
            List<T> Next<T>(IReadOnlyList<T> all)
            {
                var slice = new List<T>(batch);
                for (int i = 0; i < batch; i++) slice.Add(all[(cursor + i) % all.Count]);
                cursor = (cursor + batch) % all.Count;
                return slice;
            }
            double window = batch == 1024 ? Math.Max(seconds, 6) : seconds;
            var (e2e, e2eCpu) = RateAndCpu(() => model.Predict(Next(structures), Fidelity.Pbe, batchSize: batch), window);
            table.Add("megnet_predictions_per_s", $"batch={batch}", e2e * batch, "crystals/s");
            table.Add("megnet_prediction_cpu_ms_per_crystal", $"batch={batch}", e2eCpu * 1e3 / batch, "CPU ms");
            var (fwd, fwdCpu) = RateAndCpu(() => model.Predict(Next(graphs), batchSize: batch), window);
            table.Add("megnet_forward_crystals_per_s", $"batch={batch}", fwd * batch, "crystals/s");
            table.Add("megnet_forward_cpu_ms_per_crystal", $"batch={batch}", fwdCpu * 1e3 / batch, "CPU ms");
        }

        var samples = records.Take(32).Select(r => new RewardSample(r.Structure!, r.BandGap!.Value, r.MaterialId)).ToList();
        foreach (int steps in new[] { 10, 50 })
        {
            var tuner = new RewardModelFineTuner(new FineTuneOptions { Steps = steps, BatchSize = 32, AddToReplay = false });
            using (tuner.FineTune(model, samples).Model) { } // warm-up
            var sw = Stopwatch.StartNew();
            using (tuner.FineTune(model, samples).Model) { }
            double s = sw.Elapsed.TotalSeconds;
            table.Add("megnet_finetune_steps_per_s", $"batch=32 steps={steps}", steps / s, "steps/s");
            if (steps == 10) table.Add("megnet_finetune_round_s", "batch=32 steps=10", s, "s");
        }
        table.Print();
        return 0;
    }

    /// <summary>Calls per second and process CPU seconds per call. On a shared machine the CPU time is the steadier
    /// figure: wall-clock rates fall with other jobs' load, CPU time per call much less.</summary>
    private static (double Rate, double CpuSeconds) RateAndCpu(Action action, double seconds)
    {
        action(); // warm-up
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        long n = 0;
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            action();
            n++;
        }
        double wall = sw.Elapsed.TotalSeconds;
        process.Refresh();
        return (n / wall, (process.TotalProcessorTime - cpu0).TotalSeconds / n);
    }

    private static string FindShared()
    {
        var env = Environment.GetEnvironmentVariable("CRYSTAL_ACTORS_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared");
                if (Directory.Exists(Path.Combine(candidate, "reference"))) return candidate;
            }
        throw new DirectoryNotFoundException("shared/ not found above the working or program directory; set CRYSTAL_ACTORS_SHARED or pass --weights and --data");
    }
}
