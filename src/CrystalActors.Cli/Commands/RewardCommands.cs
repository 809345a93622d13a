using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Crystals.Thermo;
using CrystalActors.Models.M3gnet;
using CrystalActors.Models.Megnet;
using CrystalActors.Models.Reward;
using Serilog;

namespace CrystalActors.Cli.Commands;

/// <summary>`crystal-actors reward predict|finetune|ensemble|evaluate`: the MEGNet band-gap reward model;
/// `reward hull-fit`: the chemical potentials behind the energy-above-hull reward.</summary>
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
        reward.Subcommands.Add(HullFit());
        reward.Subcommands.Add(EvaluateCommands.Components());
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
        var batchOptions = new BatchOptions();
        var cmd = new Command("predict", "Predict band gaps (eV, negative values clipped to 0) for the crystals of a data file.");
        foreach (var o in new Option[] { weights, data, fidelity, ensemble, split, limit, batch, output }) cmd.Options.Add(o);
        batchOptions.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var errors = batchOptions.Start(p, "reward predict");
            string path = p.GetValue(data)!;
            var records = ReadRecords(path, p.GetValue(split)!, p.GetValue(limit), errors);
            var f = FidelityNames.Parse(p.GetValue(fidelity)!);
            int size = Math.Max(1, p.GetValue(batch));
            using var ens = p.GetValue(ensemble) is { } dir ? RewardEnsemble.Load(dir) : null;
            using var model = ens is null ? BandGapModel.Load(p.GetValue(weights) ?? throw new ArgumentException("give --weights FILE or --ensemble DIR")) : null;
            if (ens is not null) Log.Information("Ensemble of {K} members from {Dir}", ens.Members.Count, p.GetValue(ensemble));
            (double Gap, double? Std)[] Predict(Mp20Record[] chunk)
            {
                var structures = chunk.Select(r => r.Structure!).ToList();
                if (model is not null) return model.Predict(structures, f, size).GapsEv.Select(g => (g, (double?)null)).ToArray();
                var e = ens!.Predict(structures, f, size);
                return e.Mean.Select((g, i) => (g, (double?)e.Std[i])).ToArray();
            }
            var rows = errors.RunChunked(records, size, r => RecordErrors.Where(path, r), "gap", Predict);
            // CSV through a CSV writer (an id with a comma or a newline is quoted, never a forged row), written whole.
            AtomicFile.Write(p.GetValue(output)!, stream =>
            {
                using var csv = CsvHelper.CsvWriter.Create(stream, CsvHelper.CsvWriterOptions.Default, leaveOpen: true);
                csv.WriteHeader(ens is null ? ["index", "material_id", "gap"] : ["index", "material_id", "gap", "std"]);
                foreach (var (r, (gap, std)) in rows)
                {
                    string[] row = [r.Index.ToString(Inv), r.MaterialId, gap.ToString("R", Inv)];
                    csv.WriteRecord(std is { } sd ? [.. row, sd.ToString("R", Inv)] : row);
                }
            });
            errors.Finish(path, rows.Count, ("fidelity", f.Label()), ("out", p.GetValue(output)));
            return 0;
        });
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
        var strict = new BatchOptions(perRecordWork: false);
        strict.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var errors = strict.Start(p, "reward finetune");
            var samples = ReadSamples(p.GetValue(data)!, p.GetValue(split)!, p.GetValue(limit), errors);
            using var parent = BandGapModel.Load(p.GetValue(weights)!);
            var tuner = new RewardModelFineTuner(new FineTuneOptions
            {
                Steps = p.GetValue(steps), LearningRate = p.GetValue(lr), BatchSize = p.GetValue(batch),
                ReplayRatio = p.GetValue(replay), Seed = p.GetValue(seed),
            });
            if (p.GetValue(replayData) is { } rp) tuner.AddToReplay(parent, ReadSamples(rp, "all", 0, errors));
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var result = tuner.FineTune(parent, samples, p.GetValue(output));
            using var _ = result.Model;
            Console.WriteLine($"version {result.Model.Version} written to {result.Path}: {result.Losses.Count} steps in {sw.Elapsed.TotalSeconds:F1} s, " +
                              $"loss (normalised MSE) first {result.Losses[0]:F4}, last {result.Losses[^1]:F4}, mean of last 10 {result.Losses.TakeLast(10).Average():F4}");
            return 0;
        });
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
        var strict = new BatchOptions(perRecordWork: false);
        strict.AddTo(cmd);
        cmd.SetAction(p =>
        {
            CliLogging.ToFolder(p.GetValue(output)!, "ensemble");
            var errors = strict.Start(p, "reward ensemble");
            var samples = ReadSamples(p.GetValue(data)!, p.GetValue(split)!, p.GetValue(limit), errors);
            using var pretrained = BandGapModel.Load(p.GetValue(weights)!);
            var options = new FineTuneOptions
            {
                Steps = p.GetValue(steps), LearningRate = p.GetValue(lr), BatchSize = p.GetValue(batch),
                ReplayRatio = p.GetValue(replay), Seed = p.GetValue(seed),
            };
            using var ens = RewardEnsemble.Train(pretrained, samples, p.GetValue(members), options, p.GetValue(output));
            Console.WriteLine($"{ens.Members.Count} members written to {p.GetValue(output)}");
            return 0;
        });
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
        var strict = new BatchOptions(perRecordWork: false);
        strict.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var errors = strict.Start(p, "reward evaluate");
            var samples = ReadSamples(p.GetValue(data)!, p.GetValue(split)!, p.GetValue(limit), errors);
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
        });
        return cmd;
    }

    private const string MpWeights = "../shared/reference/m3gnet/M3GNet-MP-2021.2.8-PES.safetensors";

    private static Command HullFit()
    {
        var data = new Option<string>("--data")
        { Description = "MP-20 JSONL(.gz) with coordinates and formation_energy_per_atom (mp20_val.jsonl.gz); the fit uses its train part, the held-out part scores it", Required = true };
        var output = new Option<string>("--out") { Description = "Output JSON: element → μ (eV/atom) plus fit metadata", Required = true };
        var weights = new Option<string>("--weights") { Description = "M3GNet weights the μ are for (MP-2021: trained on MP's GGA/GGA+U energies)", DefaultValueFactory = _ => MpWeights };
        var energies = new Option<string?>("--energies")
        { Description = "Reuse energies instead of running M3GNet: JSONL with material_id and energy_per_atom_eV (`potential eval` output or --save-energies)" };
        var saveEnergies = new Option<string?>("--save-energies") { Description = "Also write the M3GNet energies (index, material_id, energy_per_atom_eV) as JSONL for a later --energies" };
        var ridge = new Option<double>("--ridge") { Description = "Ridge strength towards the mean μ (light: only elements in a few crystals feel it)", DefaultValueFactory = _ => 1e-4 };
        var noGgaU = new Option<bool>("--no-gga-u") { Description = "One μ per element (no second μ for Co Cr Fe Mn Mo Ni V W in oxides and fluorides)" };
        var batch = new Option<int>("--batch") { Description = "Crystals per M3GNet call", DefaultValueFactory = _ => 32 };
        var reference = new Option<string[]>("--reference")
        { Description = "Also score e_hull of the held-out crystals against the hull of these files (MP-20 train and val) and time 64-crystal query batches", AllowMultipleArgumentsPerToken = true };
        var cmd = new Command("hull-fit", "Fit per-element chemical potentials μ so that E_M3GNet/atom − Σ x μ ≈ formation_energy_per_atom (single points on the data's geometries, no relaxation).");
        foreach (var o in new Option[] { data, output, weights, energies, saveEnergies, ridge, noGgaU, batch, reference }) cmd.Options.Add(o);
        var strict = new BatchOptions(perRecordWork: false);
        strict.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var errors = strict.Start(p, "reward hull-fit");
            string dataPath = p.GetValue(data)!, weightsPath = SharedPaths.Resolve(p.GetValue(weights)!);
            var records = ReadRecords(dataPath, "all", 0, errors).Where(r => r.FormationEnergyPerAtom is { } ef && double.IsFinite(ef)).ToList();
            var structures = records.Select(r => r.Structure!).ToList();
            string model = Path.GetFileNameWithoutExtension(weightsPath);
            double[] perAtom;
            if (p.GetValue(energies) is { } energyFile)
            {
                var byId = ReadEnergies(energyFile);
                perAtom = records.Select(r => byId.GetValueOrDefault(r.MaterialId, double.NaN)).ToArray();
                model += $" (energies read from {Path.GetFileName(energyFile)})";
            }
            else
            {
                using var potential = M3gnetPotential.Load(weightsPath);
                var sw = System.Diagnostics.Stopwatch.StartNew();
                (perAtom, var failures) = HullEnergyReward.EnergiesPerAtom(potential, structures, Math.Max(1, p.GetValue(batch)));
                Log.Information("M3GNet ({Model}) single points on {Count} crystals in {Seconds:F0} s, {Failed} failed",
                    model, structures.Count, sw.Elapsed.TotalSeconds, failures.Count(e => e is not null));
                if (p.GetValue(saveEnergies) is { } save) WriteEnergies(save, records, perAtom);
            }
            var samples = new List<(FormationEnergySample Sample, bool HeldOut)>();
            for (int i = 0; i < records.Count; i++)
                if (double.IsFinite(perAtom[i]))
                    samples.Add((new FormationEnergySample(records[i].Composition, perAtom[i], records[i].FormationEnergyPerAtom!.Value, records[i].MaterialId),
                                 DatasetSplit.IsHeldOut(records[i].MaterialId)));
            int noEnergy = records.Count - samples.Count;
            if (noEnergy > 0) Log.Warning("{Count} crystals have no energy and are left out", noEnergy);
            var train = samples.Where(s => !s.HeldOut).Select(s => s.Sample).ToList();
            var heldOut = samples.Where(s => s.HeldOut).Select(s => s.Sample).ToList();
            var options = new ChemicalPotentialFitOptions { Ridge = p.GetValue(ridge), GgaUContext = !p.GetValue(noGgaU) };
            var fit = ChemicalPotentialFit.Fit(train, options, new ChemicalPotentialMetadata
            {
                EnergyModel = $"{model}, float32 single point on the data's geometries (no relaxation)",
                Target = "MP-20 formation_energy_per_atom (eV/atom)",
                Data = Path.GetFileName(dataPath),
                DataSha256 = DataFile.Sha256(dataPath),
                Split = "DatasetSplit: fit on train (FNV-1a 64 of material_id mod 5 != 0), scored on held-out (mod 5 == 0)",
                CodeVersion = $"{ChemicalPotentialFit.MethodVersion}; CrystalActors {Cli.CodeVersion}",
            });
            var heldOutErrors = ChemicalPotentialFit.Evaluate(fit, heldOut);
            var mu = new ChemicalPotentials(fit.Mu, fit.MuGgaU, fit.Metadata with { NHeldOut = heldOut.Count, HeldOut = heldOutErrors });
            mu.Save(p.GetValue(output)!);
            Console.WriteLine($"fit ({(options.GgaUContext ? "GGA+U context" : "one μ per element")}, ridge {options.Ridge.ToString("G3", Inv)}): " +
                              $"{mu.Mu.Count} elements + {mu.MuGgaU.Count} GGA+U μ from {train.Count} train crystals of {Path.GetFileName(dataPath)}");
            Console.WriteLine($"train:    {mu.Metadata.Train}");
            Console.WriteLine($"held-out: {heldOutErrors}  <- M3GNet single points (unrelaxed by M3GNet), what the reward sees");
            Console.WriteLine($"written to {p.GetValue(output)}");
            if (p.GetValue(reference) is { Length: > 0 } refs) ReportHull(refs, mu, heldOut);
            return 0;
        });
        return cmd;
    }

    /// <summary>e_hull of the held-out crystals (M3GNet + μ, and their own DFT formation energy) against the reference
    /// hull, and the speed of 64-crystal query batches once their chemical systems are cached.</summary>
    private static void ReportHull(string[] referenceFiles, ChemicalPotentials mu, List<FormationEnergySample> heldOut)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var reference = HullReference.FromFiles(referenceFiles, mu);
        Console.WriteLine($"hull reference: {reference.PhaseDiagram.Entries.Count} entries, {reference.PhaseDiagram.Elements.Count} elements, read in {sw.Elapsed.TotalSeconds:F1} s");
        sw.Restart();
        var eM3gnet = new List<double>();
        var diff = new List<double>();
        int failed = 0;
        foreach (var s in heldOut)
        {
            try
            {
                double e = reference.EnergyAboveHull(s.Composition, s.EnergyPerAtom);
                double eDft = reference.PhaseDiagram.EnergyAboveHull(s.Composition, s.FormationEnergyPerAtom);
                eM3gnet.Add(e);
                diff.Add(e - eDft);
            }
            catch (ArgumentException) { failed++; }
        }
        eM3gnet.Sort();
        Console.WriteLine($"held-out e_hull (M3GNet + μ) over {eM3gnet.Count} crystals ({failed} failed), first pass {sw.Elapsed.TotalSeconds:F1} s " +
                          $"for {reference.PhaseDiagram.CachedSystemCount} chemical systems: median {eM3gnet[eM3gnet.Count / 2]:F4}, " +
                          $"≤ 0: {eM3gnet.Count(e => e <= 0) / (double)eM3gnet.Count:P1}, ≤ 0.1: {eM3gnet.Count(e => e <= 0.1) / (double)eM3gnet.Count:P1} eV/atom; " +
                          $"mean reward {eM3gnet.Average(HullReference.EnergyReward):F4}; MAE vs e_hull from the DFT formation energy {diff.Average(Math.Abs):F4} eV/atom");
        // Query speed: batches of 64 random held-out crystals, all systems already cached.
        var rng = new Random(17);
        var batches = Enumerable.Range(0, 64).Select(_ => Enumerable.Range(0, 64).Select(_ => heldOut[rng.Next(heldOut.Count)]).ToArray()).ToArray();
        double sink = 0;
        foreach (var b in batches) foreach (var s in b) sink += SafeHull(reference, s);
        int queries = 0;
        sw.Restart();
        while (sw.Elapsed.TotalSeconds < 2)
            foreach (var b in batches) { foreach (var s in b) sink += SafeHull(reference, s); queries += b.Length; }
        Console.WriteLine($"e_above_hull queries: {queries / sw.Elapsed.TotalSeconds:F0} per second ({sw.Elapsed.TotalMilliseconds / queries * 1000:F1} µs each, " +
                          $"batches of 64 random held-out crystals, systems cached; checksum {sink:F3})");
    }

    private static double SafeHull(HullReference reference, FormationEnergySample s)
    {
        try { return reference.EnergyAboveHull(s.Composition, s.EnergyPerAtom); }
        catch (ArgumentException) { return 0; }
    }

    /// <summary>material_id → energy_per_atom_eV from a JSONL file (null or missing: left out).</summary>
    private static Dictionary<string, double> ReadEnergies(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"energy file '{path}' not found", path);
        var map = new Dictionary<string, double>(StringComparer.Ordinal);
        using var reader = DataFile.OpenText(path);
        string? line;
        int lineNo = 0;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.TryGetProperty("material_id", out var id) && id.GetString() is { } mid &&
                    root.TryGetProperty("energy_per_atom_eV", out var e) && e.ValueKind == JsonValueKind.Number)
                    map[mid] = e.GetDouble();
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{path}:{lineNo}: {ex.Message}", ex);
            }
        }
        Log.Information("{Path}: energies of {Count} crystals", path, map.Count);
        return map;
    }

    private static void WriteEnergies(string path, List<Mp20Record> records, double[] perAtom) => AtomicFile.Write(path, stream =>
    {
        for (int i = 0; i < records.Count; i++)
        {
            using (var w = new Utf8JsonWriter(stream))
            {
                w.WriteStartObject();
                w.WriteNumber("index", records[i].Index);
                w.WriteString("material_id", records[i].MaterialId);
                w.WritePropertyName("energy_per_atom_eV");
                if (double.IsFinite(perAtom[i])) w.WriteNumberValue(perAtom[i]);
                else w.WriteNullValue();
                w.WriteEndObject();
            }
            stream.WriteByte((byte)'\n');
        }
    });

    private static double Mae(double[] predicted, IReadOnlyList<RewardSample> samples) =>
        predicted.Select((g, i) => Math.Abs(g - samples[i].GapEv)).Average();

    /// <summary>Records with coordinates, filtered by split and limit; a bad record or one without coordinates goes to
    /// <paramref name="errors"/>.</summary>
    private static List<Mp20Record> ReadRecords(string path, string split, int limit, RecordErrors errors)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"data file '{path}' does not exist", path);
        var records = DatasetSplit.Select(CrystalDataReader.ReadRecords(path, errors.Report), split).Where(r => errors.IsFitForPhysics(path, r));
        var list = (limit > 0 ? records.Take(limit) : records).ToList();
        if (list.Count == 0) throw new InvalidDataException($"{path}: no crystals with coordinates in split '{split}'");
        return list;
    }

    /// <summary>(structure, gap) samples: a JSONL `dft_gap` field wins over `band_gap`; records with neither are skipped.</summary>
    private static List<RewardSample> ReadSamples(string path, string split, int limit, RecordErrors errors)
    {
        var dftGaps = ReadDftGaps(path, errors);
        var samples = new List<RewardSample>();
        int noTarget = 0;
        foreach (var r in ReadRecords(path, split, limit, errors))
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

    /// <summary>material_id → dft_gap for JSONL files that carry one (the MP-20 reader does not know this field). A line
    /// that is not JSON is left to the record reader, which reports it; a dft_gap that is not a finite number is reported here.</summary>
    private static Dictionary<string, double> ReadDftGaps(string path, RecordErrors errors)
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
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException) { continue; }
            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("dft_gap", out var g) || g.ValueKind == JsonValueKind.Null) continue;
                if (g.ValueKind != JsonValueKind.Number || !g.TryGetDouble(out double gap) || !double.IsFinite(gap))
                    errors.Report($"{path}:{lineNo}: dft_gap: {g.GetRawText()} is not a finite number");
                else if (root.TryGetProperty("material_id", out var id) && id.ValueKind == JsonValueKind.String)
                    gaps[id.GetString()!] = gap;
            }
        }
        return gaps;
    }
}
