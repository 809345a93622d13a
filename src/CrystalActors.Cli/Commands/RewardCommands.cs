using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CrystalActors.Crystals.Io;
using CrystalActors.Models.Megnet;
using CrystalActors.Models.Reward;
using Serilog;

namespace CrystalActors.Cli.Commands;

/// <summary>`crystal-actors reward predict|finetune|ensemble|evaluate`: the MEGNet band-gap reward model.</summary>
public static class RewardCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The top-level commands of this area.</summary>
    public static IEnumerable<Command> Create()
    {
        var reward = new Command("reward", "Band-gap reward model (pretrained multi-fidelity MEGNet, online fine-tuning, ensembles).");
        reward.Subcommands.Add(Predict());
        reward.Subcommands.Add(FineTune());
        reward.Subcommands.Add(Ensemble());
        reward.Subcommands.Add(Evaluate());
        yield return reward;
    }

    private static Option<string> DataOption() => new("--data")
    { Description = "Crystals: MP-20 JSONL(.gz), CSV with a cif column, or CIF", Required = true };

    private static Option<string> SplitOption() => new("--split")
    { Description = "Which crystals of --data to use: all, train or heldout (held out = FNV-1a 64 of material_id mod 5 == 0, as everywhere)", DefaultValueFactory = _ => "all" };

    private static Option<string> FidelityOption() => new("--fidelity")
    { Description = "pbe, gllb-sc, hse or scan", DefaultValueFactory = _ => "pbe" };

    private static Option<int> LimitOption() => new("--limit")
    { Description = "Use at most this many crystals (0 = all)", DefaultValueFactory = _ => 0 };

    private static Command Predict()
    {
        var weights = new Option<string?>("--weights") { Description = "Band-gap weight file (.safetensors); not needed with --ensemble" };
        var data = DataOption();
        var fidelity = FidelityOption();
        var ensemble = new Option<string?>("--ensemble") { Description = "Directory of member weight files; adds a std column" };
        var split = SplitOption();
        var limit = LimitOption();
        var batch = new Option<int>("--batch") { Description = "Crystals per forward pass", DefaultValueFactory = _ => 512 };
        var output = new Option<string>("--out") { Description = "Output CSV: index,material_id,gap[,std]", Required = true };
        var cmd = new Command("predict", "Predict band gaps (eV, negative values clipped to 0) for the crystals of a data file.");
        foreach (var o in new Option[] { weights, data, fidelity, ensemble, split, limit, batch, output }) cmd.Options.Add(o);
        cmd.SetAction(p => Guarded(() =>
        {
            var records = ReadRecords(p.GetValue(data)!, p.GetValue(split)!, p.GetValue(limit));
            var structures = records.Select(r => r.Structure!).ToList();
            var f = FidelityNames.Parse(p.GetValue(fidelity)!);
            double[] gaps;
            double[]? std = null;
            if (p.GetValue(ensemble) is { } dir)
            {
                using var ens = RewardEnsemble.Load(dir);
                var e = ens.Predict(structures, f, p.GetValue(batch));
                (gaps, std) = (e.Mean, e.Std);
                Log.Information("Ensemble of {K} members from {Dir}", ens.Members.Count, dir);
            }
            else
            {
                var w = p.GetValue(weights) ?? throw new ArgumentException("give --weights FILE or --ensemble DIR");
                using var model = BandGapModel.Load(w);
                gaps = model.Predict(structures, f, p.GetValue(batch)).GapsEv;
            }
            // CSV through a CSV writer (an id with a comma or a newline is quoted, never a forged row), written whole.
            AtomicFile.Write(p.GetValue(output)!, stream =>
            {
                using var csv = CsvHelper.CsvWriter.Create(stream, CsvHelper.CsvWriterOptions.Default, leaveOpen: true);
                csv.WriteHeader(std is null ? ["index", "material_id", "gap"] : ["index", "material_id", "gap", "std"]);
                for (int i = 0; i < records.Count; i++)
                {
                    string[] row = [records[i].Index.ToString(Inv), records[i].MaterialId, gaps[i].ToString("R", Inv)];
                    csv.WriteRecord(std is null ? row : [.. row, std[i].ToString("R", Inv)]);
                }
            });
            Log.Information("Wrote {Count} {Fidelity} band gaps to {Out}", records.Count, f.Label(), p.GetValue(output));
            return 0;
        }));
        return cmd;
    }

    private static (Option<int> Steps, Option<double> Lr, Option<int> Batch, Option<double> Replay, Option<ulong> Seed) TuningOptions()
    {
        var steps = new Option<int>("--steps") { Description = "Gradient steps", DefaultValueFactory = _ => 10 };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => 1e-3 };
        var batch = new Option<int>("--batch-size") { Description = "New samples per step", DefaultValueFactory = _ => 32 };
        var replay = new Option<double>("--replay-ratio") { Description = "Replayed earlier samples per new sample (0 = the paper)", DefaultValueFactory = _ => 0.0 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the data order", DefaultValueFactory = _ => 0UL };
        return (steps, lr, batch, replay, seed);
    }

    private static Command FineTune()
    {
        var weights = new Option<string>("--weights") { Description = "Parent weight file", Required = true };
        var data = DataOption();
        var split = SplitOption();
        var limit = LimitOption();
        var (steps, lr, batch, replay, seed) = TuningOptions();
        var replayData = new Option<string?>("--replay") { Description = "Earlier DFT samples to replay (same formats as --data)" };
        var output = new Option<string>("--out") { Description = "New weight file (must not exist)", Required = true };
        var cmd = new Command("finetune", "Fine-tune on (structure, DFT gap) samples (target: dft_gap field, else band_gap) and write a new version.");
        foreach (var o in new Option[] { weights, data, split, limit, steps, lr, batch, replay, seed, replayData, output }) cmd.Options.Add(o);
        cmd.SetAction(p => Guarded(() =>
        {
            var samples = ReadSamples(p.GetValue(data)!, p.GetValue(split)!, p.GetValue(limit));
            using var parent = BandGapModel.Load(p.GetValue(weights)!);
            var tuner = new RewardModelFineTuner(new FineTuneOptions
            {
                Steps = p.GetValue(steps), LearningRate = p.GetValue(lr), BatchSize = p.GetValue(batch),
                ReplayRatio = p.GetValue(replay), Seed = p.GetValue(seed),
            });
            if (p.GetValue(replayData) is { } rp) tuner.AddToReplay(parent, ReadSamples(rp, "all", 0));
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var result = tuner.FineTune(parent, samples, p.GetValue(output));
            using var _ = result.Model;
            Console.WriteLine($"version {result.Model.Version} written to {result.Path}: {result.Losses.Count} steps in {sw.Elapsed.TotalSeconds:F1} s, " +
                              $"loss (normalised MSE) first {result.Losses[0]:F4}, last {result.Losses[^1]:F4}, mean of last 10 {result.Losses.TakeLast(10).Average():F4}");
            return 0;
        }));
        return cmd;
    }

    private static Command Ensemble()
    {
        var weights = new Option<string>("--weights") { Description = "Pretrained weight file (member 0)", Required = true };
        var data = DataOption();
        var split = SplitOption();
        var limit = LimitOption();
        var members = new Option<int>("--members") { Description = "Ensemble size K", DefaultValueFactory = _ => RewardEnsemble.DefaultSize };
        var (steps, lr, batch, replay, seed) = TuningOptions();
        var output = new Option<string>("--out") { Description = "Directory for member_00.safetensors ... (files must not exist)", Required = true };
        var cmd = new Command("ensemble", "Build an ensemble: the pretrained model plus K-1 members fine-tuned on bootstrap draws with different seeds.");
        foreach (var o in new Option[] { weights, data, split, limit, members, steps, lr, batch, replay, seed, output }) cmd.Options.Add(o);
        cmd.SetAction(p => Guarded(() =>
        {
            var samples = ReadSamples(p.GetValue(data)!, p.GetValue(split)!, p.GetValue(limit));
            using var pretrained = BandGapModel.Load(p.GetValue(weights)!);
            var options = new FineTuneOptions
            {
                Steps = p.GetValue(steps), LearningRate = p.GetValue(lr), BatchSize = p.GetValue(batch),
                ReplayRatio = p.GetValue(replay), Seed = p.GetValue(seed),
            };
            using var ens = RewardEnsemble.Train(pretrained, samples, p.GetValue(members), options, p.GetValue(output));
            Console.WriteLine($"{ens.Members.Count} members written to {p.GetValue(output)}");
            return 0;
        }));
        return cmd;
    }

    private static Command Evaluate()
    {
        var weights = new Option<string[]>("--weights") { Description = "One or more weight files to score", AllowMultipleArgumentsPerToken = true };
        var ensemble = new Option<string?>("--ensemble") { Description = "Ensemble directory: also reports calibration" };
        var data = DataOption();
        var split = SplitOption();
        var limit = LimitOption();
        var fidelity = FidelityOption();
        var cmd = new Command("evaluate", "MAE (eV) of predicted gaps against the data's band_gap / dft_gap; for an ensemble also the fraction of errors within 1 and 2 std.");
        foreach (var o in new Option[] { weights, ensemble, data, split, limit, fidelity }) cmd.Options.Add(o);
        cmd.SetAction(p => Guarded(() =>
        {
            var samples = ReadSamples(p.GetValue(data)!, p.GetValue(split)!, p.GetValue(limit));
            var structures = samples.Select(s => s.Structure).ToList();
            var f = FidelityNames.Parse(p.GetValue(fidelity)!);
            Console.WriteLine($"{samples.Count} crystals ({p.GetValue(split)}) of {p.GetValue(data)}, fidelity {f.Label()}");
            foreach (var w in p.GetValue(weights) ?? Array.Empty<string>())
            {
                using var model = BandGapModel.Load(w);
                var pred = model.Predict(structures, f);
                Console.WriteLine($"{Path.GetFileName(w)} (v{model.Version}): MAE clipped {Mae(pred.GapsEv, samples):F4} eV, raw {Mae(pred.RawEv, samples):F4} eV, {pred.NegativeCount} negative");
            }
            if (p.GetValue(ensemble) is { } dir)
            {
                using var ens = RewardEnsemble.Load(dir);
                var e = ens.Predict(structures, f);
                int within1 = 0, within2 = 0;
                for (int i = 0; i < samples.Count; i++)
                {
                    double err = Math.Abs(e.Mean[i] - samples[i].GapEv);
                    if (err <= e.Std[i]) within1++;
                    if (err <= 2 * e.Std[i]) within2++;
                }
                Console.WriteLine($"ensemble of {ens.Members.Count}: MAE of mean {Mae(e.Mean, samples):F4} eV, mean std {e.Std.Average():F4} eV, " +
                                  $"|error| <= 1 std: {(double)within1 / samples.Count:F3}, <= 2 std: {(double)within2 / samples.Count:F3}");
                for (int k = 0; k < ens.Members.Count; k++)
                    Console.WriteLine($"  member {k}: MAE {Mae(e.Members[k], samples):F4} eV");
            }
            return 0;
        }));
        return cmd;
    }

    /// <summary>Bad input (missing file, existing output, malformed data) ends the command with its message and exit code 1,
    /// not a stack trace.</summary>
    private static int Guarded(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or NotSupportedException or FormatException)
        {
            Log.Error("reward: {Message}", e.Message);
            return 1;
        }
    }

    private static double Mae(double[] predicted, IReadOnlyList<RewardSample> samples) =>
        predicted.Select((g, i) => Math.Abs(g - samples[i].GapEv)).Average();

    /// <summary>Records with coordinates, filtered by split and limit.</summary>
    private static List<Mp20Record> ReadRecords(string path, string split, int limit)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"data file '{path}' does not exist", path);
        int noCoords = 0;
        var records = DatasetSplit.Select(CrystalDataReader.ReadRecords(path), split)
            .Where(r => { if (r.Structure is null) noCoords++; return r.Structure is not null; });
        var list = (limit > 0 ? records.Take(limit) : records).ToList();
        if (noCoords > 0) Log.Warning("{Path}: skipped {Count} records without coordinates", path, noCoords);
        if (list.Count == 0) throw new InvalidDataException($"{path}: no crystals with coordinates in split '{split}'");
        return list;
    }

    /// <summary>(structure, gap) samples: a JSONL `dft_gap` field wins over `band_gap`; records with neither are skipped.</summary>
    private static List<RewardSample> ReadSamples(string path, string split, int limit)
    {
        var dftGaps = ReadDftGaps(path);
        var samples = new List<RewardSample>();
        int noTarget = 0;
        foreach (var r in ReadRecords(path, split, limit))
        {
            double? gap = dftGaps.TryGetValue(r.MaterialId, out var d) ? d : r.BandGap;
            if (gap is { } g && double.IsFinite(g)) samples.Add(new RewardSample(r.Structure!, g, r.MaterialId));
            else noTarget++;
        }
        if (noTarget > 0) Log.Warning("{Path}: skipped {Count} crystals without a band_gap or dft_gap", path, noTarget);
        if (samples.Count == 0) throw new InvalidDataException($"{path}: no crystal has a band_gap or dft_gap target");
        Log.Information("{Path}: {Count} samples ({Split}), {Dft} with a dft_gap target", path, samples.Count, split, dftGaps.Count);
        return samples;
    }

    /// <summary>material_id → dft_gap for JSONL files that carry one (the MP-20 reader does not know this field).</summary>
    private static Dictionary<string, double> ReadDftGaps(string path)
    {
        var gaps = new Dictionary<string, double>(StringComparer.Ordinal);
        string name = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        if (!name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) && !name.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return gaps;
        using var reader = DataFile.OpenText(path);
        string? line;
        int lineNo = 0;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (!line.Contains("\"dft_gap\"", StringComparison.Ordinal)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.TryGetProperty("dft_gap", out var g) && g.ValueKind == JsonValueKind.Number &&
                    root.TryGetProperty("material_id", out var id) && id.GetString() is { } mid)
                    gaps[mid] = g.GetDouble();
            }
            catch (JsonException e)
            {
                Log.Warning("{Path}:{Line}: cannot read dft_gap: {Error}", path, lineNo, e.Message);
            }
        }
        return gaps;
    }
}
