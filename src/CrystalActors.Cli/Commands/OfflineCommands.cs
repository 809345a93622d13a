using System.CommandLine;
using System.Text.Json;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Learning.Offline;
using CrystalActors.Torch;
using Serilog;
using Spectre.Console;

namespace CrystalActors.Cli.Commands;

/// <summary>
/// `crystal-actors offline train|generate|evaluate`: offline RL on MP-20 trajectories (crystal-design's
/// crystal_cql.py): train CQL / BC, generate crystals greedily from skeletons, score them (Table 1 metrics).
/// </summary>
public static class OfflineCommands
{
    public static Command Create()
    {
        var command = new Command("offline", "Offline RL on MP-20 trajectories: train, generate, evaluate.");
        command.Subcommands.Add(CreateTrain());
        command.Subcommands.Add(CreateGenerate());
        command.Subcommands.Add(CreateEvaluate());
        command.Subcommands.Add(CreateSummarize());
        command.Subcommands.Add(CreateShip());
        return command;
    }

    private const string BandGapWeights = "../shared/reference/megnet/MEGNet-MP-2019.4.1-BandGap-mfi.safetensors";

    private static Option<string> DataOption(string description) => new("--data") { Description = description, Required = true };

    private static Option<string> PartOption(string defaultPart) => new("--part")
    {
        Description = "Part of the fixed split (material-id hash; ~20% held out): train, heldout or all.",
        DefaultValueFactory = _ => defaultPart,
    };

    private static Option<int> ThreadsOption() => new("--threads") { Description = "libtorch intra-op threads (0 = libtorch's default).", DefaultValueFactory = _ => 0 };

    private static Option<string> DeviceOption() => new("--device") { Description = "cpu, cuda:0 or auto.", DefaultValueFactory = _ => "cpu" };

    private static TrajectoryDataset SelectPart(TrajectoryDataset all, string part, bool nonMetals)
    {
        var ds = part switch
        {
            "train" => all.Part(DatasetPart.Train),
            "heldout" => all.Part(DatasetPart.HeldOut),
            "all" => all,
            _ => throw new ArgumentException($"--part '{part}' is not one of train, heldout, all"),
        };
        return nonMetals ? ds.NonMetals() : ds;
    }

    private static Command CreateTrain()
    {
        var data = DataOption("MP-20-form JSONL(.gz) giving the trajectories (e.g. ../shared/data/mp20/mp20_val.jsonl.gz).");
        var pHat = new Option<double>("--p-hat") { Description = "Target band gap p̂ in eV.", DefaultValueFactory = _ => 1.12 };
        var steps = new Option<long>("--steps") { Description = "Gradient steps.", DefaultValueFactory = _ => 250_000 };
        var batch = new Option<int>("--batch") { Description = "Minibatch size.", DefaultValueFactory = _ => 1024 };
        var bc = new Option<bool>("--bc") { Description = "Behavioural cloning instead of CQL." };
        var noCondition = new Option<bool>("--no-condition") { Description = "Unconditional: p̂ is not part of the state." };
        var cqlWeight = new Option<double>("--cql-weight") { Description = "Weight w of the conservative term.", DefaultValueFactory = _ => 1.0 };
        var alpha1 = new Option<double>("--alpha1") { Description = "Energy-term weight a1.", DefaultValueFactory = _ => 1.0 };
        var alpha2 = new Option<double>("--alpha2") { Description = "Band-gap-term weight a2.", DefaultValueFactory = _ => 10.0 };
        var beta = new Option<double>("--beta") { Description = "Band-gap Gaussian width β (eV²).", DefaultValueFactory = _ => 3.0 };
        var b1 = new Option<double>("--b1") { Description = "Formation-energy scale b1 (eV/atom).", DefaultValueFactory = _ => 5.0 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of initialisation and sampling.", DefaultValueFactory = _ => 0UL };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => 3e-4 };
        var ckptEvery = new Option<long>("--checkpoint-every") { Description = "Checkpoint period in steps.", DefaultValueFactory = _ => 5000 };
        var shards = new Option<int?>("--shards") { Description = "Minibatch shards per step (default 2 on CPU: forward and backward of each on its own core; 1 on a GPU). The gradient is the full-batch one either way." };
        var includeMetals = new Option<bool>("--include-metals") { Description = "Keep crystals with MP gap 0 (default: non-metals only)." };
        var part = PartOption("train");
        var threads = ThreadsOption();
        var device = DeviceOption();
        var output = new Option<string>("--out") { Description = "Output directory (checkpoints/, scalars.csv, options.json); an existing one is resumed.", Required = true };
        var rewards = new Option<string?>("--rewards") { Description = "Relabel terminal rewards from a CSV with material_id and --reward-column (e.g. `reward components --config`), in place of the paper's reward" };
        var rewardColumn = new Option<string>("--reward-column") { Description = "The --rewards column to use", DefaultValueFactory = _ => "total" };
        var schedule = new Option<string>("--lr-schedule") { Description = "constant, cosine (to --lr-min-fraction at the last step) or step (x --lr-decay-factor every --lr-decay-every steps).", DefaultValueFactory = _ => "constant" };
        var warmup = new Option<long>("--warmup") { Description = "Linear learning-rate warm-up steps.", DefaultValueFactory = _ => 0 };
        var minFraction = new Option<double>("--lr-min-fraction") { Description = "Cosine floor as a fraction of --lr.", DefaultValueFactory = _ => 0.05 };
        var decayEvery = new Option<long>("--lr-decay-every") { Description = "Step-decay period in steps.", DefaultValueFactory = _ => 10_000 };
        var decayFactor = new Option<double>("--lr-decay-factor") { Description = "Step-decay factor.", DefaultValueFactory = _ => 0.5 };
        var weightDecay = new Option<double>("--weight-decay") { Description = "Decoupled (AdamW) weight decay; 0 = Adam.", DefaultValueFactory = _ => 0 };
        var classSmoothing = new Option<double>("--class-smoothing") { Description = "BC: share of the target spread over the true element's class.", DefaultValueFactory = _ => 0 };
        var evalEvery = new Option<long>("--eval-every") { Description = "Held-out Table-1 metrics every K steps (heldout.csv, best.safetensors); 0 = never.", DefaultValueFactory = _ => 0 };
        var selectBy = new Option<string>("--select-by") { Description = "Held-out metric that picks best.safetensors: accuracy, validity or accuracy-validity (their mean).", DefaultValueFactory = _ => "accuracy" };
        var patience = new Option<int>("--patience") { Description = "Stop after this many held-out evaluations without a new best; 0 = never.", DefaultValueFactory = _ => 0 };
        var targetGaps = new Option<double[]>("--target-gaps") { Description = "Conditioned: one network for several p̂ (eV), each transition labelled for one drawn at random, e.g. 1.12 2 3 4.", AllowMultipleArgumentsPerToken = true };
        var initFrom = new Option<string?>("--init-from") { Description = "Start from this policy's network (file or folder; an unconditioned one starts a conditioned network with p̂'s weights at zero)." };
        var cmd = new Command("train", "Train a CQL (or BC) policy on offline MP-20 trajectories.")
        {
            Options = { data, pHat, steps, batch, bc, noCondition, cqlWeight, alpha1, alpha2, beta, b1, seed, lr, ckptEvery, shards, includeMetals, part, threads, device, output, rewards, rewardColumn,
                schedule, warmup, minFraction, decayEvery, decayFactor, weightDecay, classSmoothing, evalEvery, selectBy, patience, targetGaps, initFrom },
        };
        cmd.SetAction(parse =>
        {
            CliLogging.ToFolder(parse.GetValue(output)!, "train");
            if (parse.GetValue(threads) is > 0 and var t) Torch.Torch.NumThreads = t;
            var dev = Device.Parse(parse.GetValue(device)!);
            Torch.Torch.UseCachingCpuAllocator();
            var options = new OfflineTrainOptions
            {
                Algorithm = parse.GetValue(bc) ? OfflineAlgorithm.BehaviourCloning : OfflineAlgorithm.Cql,
                Conditioned = !parse.GetValue(noCondition),
                CqlWeight = parse.GetValue(cqlWeight),
                BatchSize = parse.GetValue(batch),
                Steps = parse.GetValue(steps),
                CheckpointEvery = parse.GetValue(ckptEvery),
                Seed = parse.GetValue(seed),
                LearningRate = parse.GetValue(lr),
                Shards = parse.GetValue(shards) ?? (dev.Type == DeviceType.CUDA ? 1 : 2),
                Schedule = new LearningRateSchedule
                {
                    Decay = LearningRateSchedule.ParseDecay(parse.GetValue(schedule)!), WarmupSteps = parse.GetValue(warmup),
                    MinFraction = parse.GetValue(minFraction), DecayEvery = parse.GetValue(decayEvery), DecayFactor = parse.GetValue(decayFactor),
                },
                WeightDecay = parse.GetValue(weightDecay),
                ClassSmoothing = parse.GetValue(classSmoothing),
                EvalEvery = parse.GetValue(evalEvery),
                SelectBy = parse.GetValue(selectBy) switch
                {
                    "accuracy" => HeldOutSelection.Accuracy,
                    "validity" => HeldOutSelection.Validity,
                    "accuracy-validity" => HeldOutSelection.AccuracyAndValidity,
                    var other => throw new ArgumentException($"--select-by '{other}' is not one of accuracy, validity, accuracy-validity"),
                },
                Patience = parse.GetValue(patience),
                TargetGaps = parse.GetValue(targetGaps) is { Length: > 0 } tg ? tg : null,
                InitFrom = parse.GetValue(initFrom) is { } init ? Path.GetFullPath(init) : null,
                Reward = new RewardOptions
                {
                    Alpha1 = parse.GetValue(alpha1), Alpha2 = parse.GetValue(alpha2), Beta = parse.GetValue(beta), B1 = parse.GetValue(b1),
                    TargetBandGap = parse.GetValue(pHat),
                },
            };
            var all = TrajectoryDataset.LoadOrBuild(parse.GetValue(data)!);
            var ds = SelectPart(all, parse.GetValue(part)!, nonMetals: !parse.GetValue(includeMetals));
            Log.Information("Training set: {Crystals} crystals, {Episodes} episodes, {Transitions} transitions", ds.CrystalCount, ds.EpisodeCount, ds.TransitionCount);
            float[]? terminal = null;
            if (parse.GetValue(rewards) is { } rewardFile)
            {
                // Relabelling (issue #17): each crystal's terminal reward from a `reward components` CSV instead of the paper's reward.
                var byId = RewardRelabel.Read(rewardFile, parse.GetValue(rewardColumn)!);
                var missing = ds.Ids.Where(id => !byId.ContainsKey(id)).ToList();
                if (missing.Count > 0)
                    throw new InvalidDataException($"{rewardFile}: no {parse.GetValue(rewardColumn)} for {missing.Count} training crystals (first: {missing[0]})");
                terminal = ds.Ids.Select(id => (float)byId[id]).ToArray();
                Log.Information("Terminal rewards relabelled from {File} ({Column}): mean {Mean:F3}", rewardFile, parse.GetValue(rewardColumn), terminal.Average());
            }
            // The held-out part of the same file, never trained on (a --part all run has none left to measure on); its
            // non-metal skeletons, as Table 1 measures, also when metals are trained on.
            TrajectoryDataset? heldOut = options.EvalEvery > 0 && parse.GetValue(part) == "train"
                ? SelectPart(all, "heldout", nonMetals: true)
                : null;
            if (options.EvalEvery > 0 && heldOut is null) Log.Warning("--eval-every needs --part train (the held-out part is measured); no held-out metrics");
            using var trainer = new OfflineTrainer(ds, options, dev, terminal) { HeldOut = heldOut };
            var outDir = parse.GetValue(output)!;
            if (terminal is not null)
            {
                // options.json records the paper's reward; the relabelling source is recorded beside it.
                Directory.CreateDirectory(outDir);
                AtomicFile.WriteAllText(Path.Combine(outDir, "rewards.json"), JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["rewards"] = Path.GetFullPath(parse.GetValue(rewards)!), ["column"] = parse.GetValue(rewardColumn)!,
                    ["crystals"] = terminal.Length, ["mean"] = terminal.Average(),
                }) + "\n");
            }
            var lastLog = DateTime.UtcNow;
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("training", maxValue: options.Steps);
                    trainer.Run(outDir, p =>
                    {
                        task.Value = p.Step;
                        task.Description = FormattableString.Invariant(
                            $"step {p.Step} | {p.StepsPerSecond:F2} steps/s | loss {p.Terms.Total:F4} (cql {p.Terms.Conservative:F4}, td {p.Terms.TemporalDifference:F4}) | mean Q {p.Terms.MeanQ:F3}");
                        if ((DateTime.UtcNow - lastLog).TotalSeconds >= 30 || p.Step == p.TotalSteps)
                        {
                            lastLog = DateTime.UtcNow;
                            Log.Information("step {Step}/{Total} {Rate:F2} steps/s loss {Loss:F4} cql {Cql:F4} td {Td:F4} meanQ {Q:F3}",
                                p.Step, p.TotalSteps, p.StepsPerSecond, p.Terms.Total, p.Terms.Conservative, p.Terms.TemporalDifference, p.Terms.MeanQ);
                        }
                    });
                });
            Log.Information("Done: {Step} steps, checkpoints in {Dir}", trainer.Step, Path.Combine(outDir, "checkpoints"));
            ReportCommands.TryWrite(outDir);
            return 0;
        });
        return cmd;
    }

    /// <summary>
    /// `offline ship`: a trained policy as models/offline/&lt;name&gt;/ — the network alone (policy.safetensors) and a
    /// manifest.json with its options, step, data hash, code version, held-out Table-1 metrics and the band-gap model's
    /// predicted gaps of its held-out fills per target, so that a fresh clone generates with it and knows what to expect.
    /// </summary>
    private static Command CreateShip()
    {
        var from = new Option<string>("--from") { Description = "Training folder (its best.safetensors, else its latest checkpoint) or a checkpoint file.", Required = true };
        var name = new Option<string>("--name") { Description = "Policy name: written to <out>/<name>/.", Required = true };
        var data = DataOption("MP-20-form JSONL(.gz) the policy was trained on; its held-out non-metals are measured.");
        var targets = new Option<double[]>("--p-hat") { Description = "Targets p̂ (eV) whose generated gaps are measured (default: 1.12 2 3 4).", AllowMultipleArgumentsPerToken = true };
        var weights = new Option<string>("--weights") { Description = "MEGNet band-gap weights for the predicted gaps.", DefaultValueFactory = _ => BandGapWeights };
        var outRoot = new Option<string>("--out") { Description = "Folder of shipped policies.", DefaultValueFactory = _ => Path.Combine("models", "offline") };
        var cmd = new Command("ship", "Write a trained policy as <out>/<name>/policy.safetensors + manifest.json (held-out metrics, predicted gaps per target).")
        {
            Options = { from, name, data, targets, weights, outRoot },
        };
        cmd.SetAction(parse =>
        {
            Torch.Torch.UseCachingCpuAllocator();
            var (net, opts, source) = OfflineTrainer.LoadPolicy(parse.GetValue(from)!);
            using var _ = net;
            var dataPath = parse.GetValue(data)!;
            var heldOut = TrajectoryDataset.LoadOrBuild(dataPath).Part(DatasetPart.HeldOut).NonMetals();
            var metrics = HeldOutEvaluation.Evaluate(net, heldOut, opts.Reward.TargetBandGap);
            using var gapModel = Models.Megnet.BandGapModel.Load(SharedPaths.Resolve(parse.GetValue(weights)!));
            var perTarget = new List<Dictionary<string, object>>();
            foreach (double pHat in parse.GetValue(targets) is { Length: > 0 } t ? t : [1.12, 2, 3, 4])
            {
                var actions = Generation.Greedy(net, heldOut, pHat);
                var structures = Enumerable.Range(0, heldOut.CrystalCount)
                    .Select(c => heldOut.StructureWith(c, actions[c].Select(ActionVocabulary.ElementAt).ToArray())).ToList();
                var predicted = PredictedGaps.Of(gapModel.Predict(structures).GapsEv, pHat, windowEv: 0.5);
                perTarget.Add(new Dictionary<string, object>
                {
                    ["p_hat_ev"] = pHat, ["mean_predicted_gap_ev"] = predicted.MeanEv, ["std_predicted_gap_ev"] = predicted.StdEv,
                    ["within_0_5_ev_pct"] = predicted.InTargetPct,
                });
                Log.Information("p̂ = {PHat} eV: predicted gap of the held-out fills {Mean:F2} ± {Std:F2} eV, {In:F1}% within 0.5 eV",
                    pHat, perTarget[^1]["mean_predicted_gap_ev"], perTarget[^1]["std_predicted_gap_ev"], perTarget[^1]["within_0_5_ev_pct"]);
            }
            var dir = Path.Combine(parse.GetValue(outRoot)!, parse.GetValue(name)!);
            Directory.CreateDirectory(dir);
            OfflineTrainer.SavePolicy(source, Path.Combine(dir, OfflineTrainer.PolicyFileName), new Dictionary<string, string> { ["name"] = parse.GetValue(name)! });
            using var sourceFile = Torch.Serialization.SafeTensors.Load(source);
            var manifest = new Dictionary<string, object?>
            {
                ["name"] = parse.GetValue(name),
                ["algorithm"] = opts.Algorithm.ToString(),
                ["conditioned"] = opts.Conditioned,
                ["trained_p_hat_ev"] = opts.Reward.TargetBandGap,
                ["steps"] = long.Parse(sourceFile.Metadata["step"], System.Globalization.CultureInfo.InvariantCulture),
                ["source"] = Path.GetFullPath(source),
                ["options"] = JsonDocument.Parse(opts.ToJson()).RootElement,
                ["data"] = new Dictionary<string, object>
                {
                    ["file"] = Path.GetFileName(dataPath), ["sha256"] = DataFile.Sha256(dataPath),
                    ["split"] = "DatasetSplit: trained on FNV-1a 64 of material_id mod 5 != 0, measured on mod 5 == 0 (non-metals)",
                },
                ["code_version"] = Cli.CodeVersion,
                ["heldout"] = metrics,
                ["heldout_true_mean_gap_ev"] = heldOut.BandGap.Average(g => (double)g),
                ["heldout_predicted_gaps"] = perTarget,
                ["shipped_utc"] = DateTime.UtcNow.ToString("O"),
            };
            AtomicFile.WriteAllText(Path.Combine(dir, "manifest.json"), JsonSerializer.Serialize(manifest, new JsonSerializerOptions { WriteIndented = true }) + "\n");
            Console.WriteLine(GenerationMetrics.TableHeader);
            Console.WriteLine(metrics.TableRow(parse.GetValue(name)!));
            Log.Information("Shipped {Source} as {Dir}", source, dir);
            return 0;
        });
        return cmd;
    }

    private static Command CreateGenerate()
    {
        var checkpoint = new Option<string?>("--checkpoint") { Description = "A shipped policy folder (models/offline/<name>), a training folder (its best.safetensors, else its latest checkpoint) or a checkpoint file; not needed for --policy random." };
        var data = DataOption("MP-20-form JSONL(.gz) whose crystals give the skeletons.");
        var pHat = new Option<double>("--p-hat") { Description = "Target band gap p̂ (eV) in the state of a conditioned policy.", DefaultValueFactory = _ => 1.12 };
        var policy = new Option<string>("--policy") { Description = "greedy (argmax Q of the checkpoint) or random (uniform).", DefaultValueFactory = _ => "greedy" };
        policy.AcceptOnlyFromAmong("greedy", "random");
        var part = PartOption("all");
        var nonMetals = new Option<bool>("--non-metals") { Description = "Only skeletons of crystals with MP gap > 0." };
        var mask = new Option<string?>("--elements") { Description = "Optional vocabulary mask: comma-separated element symbols the policy may use." };
        var batch = new Option<int>("--batch") { Description = "Skeletons per forward pass.", DefaultValueFactory = _ => 256 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the random policy.", DefaultValueFactory = _ => 0UL };
        var threads = ThreadsOption();
        var device = DeviceOption();
        var output = new Option<string>("--out") { Description = "Output directory: generated.jsonl and cif/<id>.cif.", Required = true };
        var cmd = new Command("generate", "Fill skeletons with elements, greedily from a trained policy or at random.")
        {
            Options = { checkpoint, data, pHat, policy, part, nonMetals, mask, batch, seed, threads, device, output },
        };
        cmd.SetAction(parse =>
        {
            CliLogging.ToFolder(parse.GetValue(output)!, "generate");
            if (parse.GetValue(threads) is > 0 and var t) Torch.Torch.NumThreads = t;
            var dev = Device.Parse(parse.GetValue(device)!);
            Torch.Torch.UseCachingCpuAllocator();
            var all = TrajectoryDataset.LoadOrBuild(parse.GetValue(data)!);
            var ds = SelectPart(all, parse.GetValue(part)!, parse.GetValue(nonMetals));
            bool[]? allowed = parse.GetValue(mask) is string m ? Generation.VocabularyMask(m.Split(',')) : null;
            var sw = System.Diagnostics.Stopwatch.StartNew();
            int[][] actions;
            if (parse.GetValue(policy) == "random")
            {
                actions = Generation.Random(ds, parse.GetValue(seed), allowed);
            }
            else
            {
                var ckpt = parse.GetValue(checkpoint);
                if (ckpt is null) throw new ArgumentException("--checkpoint is required for --policy greedy");
                var (net, opts, path) = OfflineTrainer.LoadPolicy(ckpt, dev);
                using (net)
                {
                    Log.Information("Policy {Path} ({Algorithm}, conditioned {Conditioned}, trained for p̂ = {Train} eV; generating for p̂ = {PHat} eV)",
                        path, opts.Algorithm, opts.Conditioned, opts.Reward.TargetBandGap, parse.GetValue(pHat));
                    actions = Generation.Greedy(net, ds, parse.GetValue(pHat), allowed, parse.GetValue(batch), dev);
                }
            }
            var outDir = parse.GetValue(output)!;
            Generation.Write(outDir, ds, actions);
            Log.Information("Generated {N} crystals in {Seconds:F1} s -> {Dir}", ds.CrystalCount, sw.Elapsed.TotalSeconds, outDir);
            return 0;
        });
        return cmd;
    }

    private static Command CreateEvaluate()
    {
        var generated = new Option<string>("--generated") { Description = "Directory written by `offline generate` (or its generated.jsonl).", Required = true };
        var data = DataOption("MP-20-form JSONL(.gz) with the true crystals of the generated crystals' ids.");
        var output = new Option<string?>("--out") { Description = "Write the metrics as JSON here (and, with --dft, the per-skeleton DFT values beside it as .dft.csv)." };
        var label = new Option<string>("--label") { Description = "Row label of the printed Table-1 row.", DefaultValueFactory = _ => "policy" };
        var dft = new Option<int>("--dft") { Description = "DFT this many SMACT-valid generated crystals (chosen by --seed) and their true crystals; 0 = pre-simulation metrics only.", DefaultValueFactory = _ => 0 };
        var pHat = new Option<double>("--p-hat") { Description = "Target band gap p̂ (eV) of the in-target share ν and of κ.", DefaultValueFactory = _ => 1.12 };
        var protocol = new Option<string>("--protocol") { Description = "DFT protocol: sssp or paper.", DefaultValueFactory = _ => "sssp" };
        var ecutwfc = new Option<double?>("--ecutwfc") { Description = "Override the protocol's wavefunction cutoff (Ry)." };
        var ecutrho = new Option<double?>("--ecutrho") { Description = "Override the protocol's density cutoff (Ry)." };
        var kspacing = new Option<double?>("--kspacing") { Description = "Override the protocol's k-point spacing (1/Å)." };
        var relax = new Option<bool>("--relax") { Description = "Relax every crystal with M3GNet + FIRE (with the cell) before DFT." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the choice of crystals.", DefaultValueFactory = _ => 0UL };
        var runners = new Option<int>("--runners") { Description = "pw.x runs at once on the local farm.", DefaultValueFactory = _ => 1 };
        var ranks = new Option<int>("--ranks") { Description = "MPI ranks per pw.x run (mpirun).", DefaultValueFactory = _ => 1 };
        var state = new Option<string?>("--state") { Description = "Farm journal folder (default: dft-farm/ beside --out); re-running resumes its jobs." };
        var seeds = new Option<string[]>("--seeds") { Description = "host:port of a running cluster: submit to its DFT farm instead of running one here.", AllowMultipleArgumentsPerToken = true };
        var maxSites = new Option<int?>("--max-sites") { Description = "DFT only generated crystals with at most this many sites (DFT time grows steeply with the cell)." };
        var predictGaps = new Option<bool>("--predict-gaps") { Description = "Also the band-gap model's predicted gaps of all generated crystals: mean_predicted_gap_ev, std_predicted_gap_ev, predicted_in_target_pct (p̂ ± 0.25 eV)." };
        var gapWeights = new Option<string>("--weights") { Description = "MEGNet band-gap weights for --predict-gaps.", DefaultValueFactory = _ => BandGapWeights };
        var cmd = new Command("evaluate", "Table-1 metrics (per-site accuracy, element-class similarity, SMACT validity, reconstruction) and, with --dft, the post-simulation metrics (EMD of gaps and energies, ν, κ, DFT success).")
        {
            Options = { generated, data, output, label, dft, pHat, protocol, ecutwfc, ecutrho, kspacing, relax, seed, runners, ranks, state, seeds, maxSites, predictGaps, gapWeights },
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var gen = Generation.Read(parse.GetValue(generated)!);
            var ids = gen.Select(g => g.MaterialId).ToHashSet();
            var truth = new Dictionary<string, Mp20Record>();
            foreach (var r in Mp20JsonlReader.Read(parse.GetValue(data)!))
                if (ids.Contains(r.MaterialId)) truth[r.MaterialId] = r;
            var metrics = GenerationMetrics.Compute(gen, truth.ToDictionary(p => p.Key, p => p.Value.Species));
            Console.WriteLine(GenerationMetrics.TableHeader);
            Console.WriteLine(metrics.TableRow(parse.GetValue(label)!));
            var json = JsonSerializer.SerializeToNode(metrics)!.AsObject();
            string? path = parse.GetValue(output);
            if (parse.GetValue(predictGaps))
            {
                var structures = gen.Select(g => Campaign.Evaluation.PostSimulationEvaluation.StructureOf(g, truth)).ToList();
                using var gapModel = Models.Megnet.BandGapModel.Load(SharedPaths.Resolve(parse.GetValue(gapWeights)!));
                var predicted = PredictedGaps.Of(gapModel.Predict(structures).GapsEv, parse.GetValue(pHat));
                foreach (var (key, value) in JsonSerializer.SerializeToNode(predicted)!.AsObject().ToList())
                    json[key] = value?.DeepClone();
                Console.WriteLine(FormattableString.Invariant(
                    $"Predicted gap {predicted.MeanEv:F3} ± {predicted.StdEv:F3} eV, {predicted.InTargetPct:F1}% in p̂ ± {PredictedGaps.WindowEv} eV"));
            }
            if (parse.GetValue(dft) is > 0 and var n)
            {
                var p = Dft.Input.DftProtocol.ByName(parse.GetValue(protocol)!);
                if (parse.GetValue(ecutwfc) is { } w) p = p with { EcutWfcRy = w };
                if (parse.GetValue(ecutrho) is { } rho) p = p with { EcutRhoRy = rho };
                if (parse.GetValue(kspacing) is { } k) p = p with { KSpacingInvAngstrom = k };
                if (parse.GetValue(maxSites) is < 1 and var bad) throw new ArgumentException($"--max-sites must be at least 1 (got {bad})");
                var (valid, chosen) = Campaign.Evaluation.PostSimulationEvaluation.Choose(gen, truth, n, parse.GetValue(seed), parse.GetValue(maxSites));
                var folder = Path.GetDirectoryName(Path.GetFullPath(path ?? Path.Combine(parse.GetValue(generated)!, "evaluation.json")))!;
                int mpiRanks = parse.GetValue(ranks);
                var options = new Campaign.Evaluation.DftBatchOptions
                {
                    Protocol = p, Relax = parse.GetValue(relax), StateDirectory = parse.GetValue(state) ?? Path.Combine(folder, "dft-farm"),
                    Seeds = parse.GetValue(seeds) ?? [], Runners = parse.GetValue(runners),
                    Dft = new Campaign.DftOptions { MpiRanks = mpiRanks, Launcher = mpiRanks > 1 ? "mpirun" : "none", Archive = false },
                    CachePath = Path.Combine(TrajectoryDataset.DefaultCacheDir(), "dft-results.jsonl"),
                };
                CliLogging.ToFolder(options.StateDirectory, "evaluate");
                Log.Information("DFT of {Chosen} of {Valid} SMACT-valid generated crystals and their true crystals ({Protocol}, protocol {Hash}{Relax})",
                    chosen.Count, valid, p.Name, p.Hash, options.Relax ? ", relaxed first" : "");
                var (post, pairs) = await Campaign.Evaluation.PostSimulationEvaluation.RunAsync(chosen, parse.GetValue(pHat), options,
                    (done, all) => Log.Information("DFT: {Done}/{All} jobs done", done, all), ct);
                foreach (var (key, value) in JsonSerializer.SerializeToNode(post)!.AsObject().ToList())
                    json[key] = value?.DeepClone();
                json["dft_valid_candidates"] = valid;
                if (parse.GetValue(maxSites) is int m) json["dft_max_sites"] = m;
                Console.WriteLine(FormattableString.Invariant(
                    $"DFT of {post.DftN}: success {post.DftSuccessPct:F1}%, in target (p̂ ± 0.25 eV) {post.InTargetPct:F1}%, κ {post.KappaPct:F1}%, EMD gap {post.EmdGapEv:F3} eV, EMD energy {post.EmdEnergyEvPerAtom:F3} eV/atom"));
                if (path is not null) WriteDftCsv(Path.ChangeExtension(path, ".dft.csv"), pairs);
            }
            if (path is not null)
            {
                var dir = Path.GetDirectoryName(Path.GetFullPath(path));
                if (dir is not null) Directory.CreateDirectory(dir);
                AtomicFile.WriteAllText(path, json.ToJsonString() + "\n");
                Log.Information("Metrics -> {Path}", path);
            }
            return 0;
        });
        return cmd;
    }

    private static Command CreateSummarize()
    {
        var root = new Option<string>("--root") { Description = "A sweep folder holding <model>/seed<S>/metrics.json (scripts/table1.sh writes one per target).", Required = true };
        var cmd = new Command("summarize", "Mean ± std over seeds of every model's metrics: <root>/table.md and <root>/table.csv.") { Options = { root } };
        cmd.SetAction(parse =>
        {
            var dir = parse.GetValue(root)!;
            if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"sweep folder '{dir}' does not exist");
            var rows = SweepTable.Summarize(SweepTable.Read(dir));
            if (rows.Count == 0) throw new InvalidDataException($"{dir}: no <model>/seed<S>/metrics.json files");
            var markdown = SweepTable.Markdown(rows);
            AtomicFile.WriteAllText(Path.Combine(dir, "table.md"), markdown);
            AtomicFile.WriteAllText(Path.Combine(dir, "table.csv"), SweepTable.Csv(rows));
            Console.Write(markdown);
            return 0;
        });
        return cmd;
    }

    private static void WriteDftCsv(string path, IReadOnlyList<DftPair> pairs) => AtomicFile.Write(path, stream =>
    {
        static string F(double? x) => x?.ToString("R", System.Globalization.CultureInfo.InvariantCulture) ?? "";
        using var csv = CsvHelper.CsvWriter.Create(stream, CsvHelper.CsvWriterOptions.Default, leaveOpen: true);
        csv.WriteHeader(["material_id", "generated_gap_ev", "generated_energy_per_atom_ev", "true_gap_ev", "true_energy_per_atom_ev"]);
        foreach (var p in pairs)
            csv.WriteRecord([p.MaterialId, F(p.GeneratedGapEv), F(p.GeneratedEnergyPerAtomEv), F(p.TrueGapEv), F(p.TrueEnergyPerAtomEv)]);
    });
}

/// <summary>Reads material_id → reward from a CSV with a header row (quoted fields as RFC 4180).</summary>
public static class RewardRelabel
{
    public static Dictionary<string, double> Read(string path, string column)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"reward file '{path}' does not exist", path);
        using var csv = CsvHelper.CsvReader.FromFile(path, CsvHelper.CsvReaderOptions.Default);
        var header = csv.Headers.ToArray();
        if (!header.Contains("material_id") || !header.Contains(column))
            throw new InvalidDataException($"{path}: needs columns material_id and {column} (has {string.Join(", ", header)})");
        var map = new Dictionary<string, double>(StringComparer.Ordinal);
        int row = 1;
        foreach (var _ in csv)
        {
            row++;
            var id = csv.GetString("material_id");
            var text = csv.GetString(column);
            if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
                throw new InvalidDataException($"{path}: record {row}: {column} '{text}' is not a finite number");
            map[id] = v;
        }
        return map;
    }
}

