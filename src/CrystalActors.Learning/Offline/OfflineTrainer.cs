using CrystalActors.Crystals.Io;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CrystalActors.Torch;
using CrystalActors.Torch.Optim;
using CrystalActors.Torch.Serialization;
using Serilog;

namespace CrystalActors.Learning.Offline;

public enum OfflineAlgorithm { Cql, BehaviourCloning }

/// <summary>Hyperparameters of offline training (defaults: crystal-design's crystal_cql.py).</summary>
public sealed record OfflineTrainOptions
{
    /// <summary>CQL (default) or behavioural cloning.</summary>
    public OfflineAlgorithm Algorithm { get; init; } = OfflineAlgorithm.Cql;
    /// <summary>Whether the target band gap p̂ is part of the state (default true; false = "unconditional").</summary>
    public bool Conditioned { get; init; } = true;
    /// <summary>Weight w of the conservative term (default 1; the paper also uses 5).</summary>
    public double CqlWeight { get; init; } = 1.0;
    /// <summary>Discount γ (default 0.99).</summary>
    public double Gamma { get; init; } = 0.99;
    /// <summary>Polyak rate τ of the target network, applied every step (default 5e-3).</summary>
    public double Tau { get; init; } = 5e-3;
    /// <summary>Adam learning rate (default 3e-4).</summary>
    public double LearningRate { get; init; } = 3e-4;
    /// <summary>Transitions per minibatch (default 1024).</summary>
    public int BatchSize { get; init; } = 1024;
    /// <summary>Gradient-norm clip (default 5).</summary>
    public double MaxGradNorm { get; init; } = 5.0;
    /// <summary>Total gradient steps (default 250 000).</summary>
    public long Steps { get; init; } = 250_000;
    /// <summary>Checkpoint every K steps (default 5000), and at the end.</summary>
    public long CheckpointEvery { get; init; } = 5000;
    /// <summary>Scalar-log period in steps (default 50).</summary>
    public long LogEvery { get; init; } = 50;
    /// <summary>Seed of weight initialisation and minibatch sampling (default 0).</summary>
    public ulong Seed { get; init; }
    /// <summary>
    /// The minibatch is cut into this many equal shards (default 2). Each shard's loss is its share of the
    /// full-batch mean, so the accumulated gradient is the full-batch gradient; shards only change how the work is
    /// scheduled. Fixed by the options, not by the machine, so a run gives the same weights everywhere.
    /// </summary>
    public int Shards { get; init; } = 2;
    /// <summary>
    /// Run the shards' forward and backward passes on separate threads (default null = when libtorch uses one
    /// intra-op thread and the machine has two or more cores). Gradients of the shards meet only in the parameters'
    /// accumulators; with two shards that is a + b = b + a, so results are bit-identical either way (with more, the
    /// arrival order can change the last bit).
    /// </summary>
    public bool? ParallelShards { get; init; }
    /// <summary>Reward function (p̂ also enters the state when <see cref="Conditioned"/>).</summary>
    public RewardOptions Reward { get; init; } = new();
    /// <summary>Learning-rate warm-up and decay (default constant).</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Constant;
    /// <summary>Decoupled (AdamW) weight decay; 0 (default) = plain Adam.</summary>
    public double WeightDecay { get; init; }
    /// <summary>Behavioural cloning only: share ε of the target spread over the dataset element's class (default 0).</summary>
    public double ClassSmoothing { get; init; }
    /// <summary>Greedy Table-1 metrics on the held-out skeletons every K steps (0 = never; needs a held-out set).</summary>
    public long EvalEvery { get; init; }
    /// <summary>The held-out metric that picks <c>best.safetensors</c>.</summary>
    public HeldOutSelection SelectBy { get; init; } = HeldOutSelection.Accuracy;
    /// <summary>Stop after this many held-out evaluations without a new best (0 = never stop early).</summary>
    public int Patience { get; init; }
    /// <summary>
    /// Conditioned only: train one network for several targets p̂ at once — each sampled transition is labelled for a
    /// target drawn uniformly from this list (p̂ in its state, the reward for that p̂). Null = <see cref="RewardOptions.TargetBandGap"/> alone.
    /// </summary>
    public double[]? TargetGaps { get; init; }
    /// <summary>A policy file or training folder whose network starts this run (a fresh run only; a resumed run ignores it).
    /// An unconditioned network's weights start a conditioned one with the p̂ input's weights at zero.</summary>
    public string? InitFrom { get; init; }

    /// <summary>The targets the network is trained for.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<double> Targets => TargetGaps is { Length: > 0 } t ? t : [Reward.TargetBandGap];

    public void Validate()
    {
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "batch size must be positive");
        if (Steps < 0) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "steps must be >= 0");
        if (CheckpointEvery < 1) throw new ArgumentOutOfRangeException(nameof(CheckpointEvery), CheckpointEvery, "checkpoint period must be positive");
        if (LogEvery < 1) throw new ArgumentOutOfRangeException(nameof(LogEvery), LogEvery, "log period must be positive");
        if (Gamma is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(Gamma), Gamma, "gamma must be in [0, 1]");
        if (Tau is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(Tau), Tau, "tau must be in (0, 1]");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "learning rate must be positive");
        if (CqlWeight < 0) throw new ArgumentOutOfRangeException(nameof(CqlWeight), CqlWeight, "CQL weight must be >= 0");
        if (Shards < 1) throw new ArgumentOutOfRangeException(nameof(Shards), Shards, "shards must be >= 1");
        if (WeightDecay < 0) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "weight decay must be >= 0");
        if (ClassSmoothing is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(ClassSmoothing), ClassSmoothing, "class smoothing must be in [0, 1)");
        if (EvalEvery < 0) throw new ArgumentOutOfRangeException(nameof(EvalEvery), EvalEvery, "evaluation period must be >= 0");
        if (Patience < 0) throw new ArgumentOutOfRangeException(nameof(Patience), Patience, "patience must be >= 0");
        if (TargetGaps is { Length: > 0 } targets)
        {
            if (!Conditioned) throw new ArgumentException("several target gaps need a conditioned network (p̂ in the state)", nameof(TargetGaps));
            if (targets.Length > 16) throw new ArgumentOutOfRangeException(nameof(TargetGaps), targets.Length, "at most 16 target gaps");
            foreach (var t in targets)
                if (t is < 0 or > 20 || !double.IsFinite(t)) throw new ArgumentOutOfRangeException(nameof(TargetGaps), t, "target gaps must be in [0, 20] eV");
        }
        Schedule.Validate();
        Reward.Validate();
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
    public static OfflineTrainOptions FromJson(string json) =>
        JsonSerializer.Deserialize<OfflineTrainOptions>(json, JsonOptions) ?? throw new InvalidDataException("empty options JSON");

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = false,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
}

/// <summary>What the progress display shows after a step.</summary>
public readonly record struct TrainingProgress(long Step, long TotalSteps, double StepsPerSecond, LossTerms Terms);

/// <summary>
/// Offline training of the MEGNet Q-network on a <see cref="TrajectoryDataset"/>: CQL (conditional or not) or
/// behavioural cloning. One step = sample a minibatch of transitions uniformly (own seeded generator), forward,
/// loss, backward, clip the gradient norm, Adam, then Polyak-average the target network (CQL only).
/// Checkpoints hold model, target, optimizer moments, step and the sampler's state, so a resumed run continues
/// exactly as an uninterrupted one.
/// </summary>
public sealed class OfflineTrainer : IDisposable
{
    public const string CheckpointFormat = "crystal-actors-offline-2";
    /// <summary>Checkpoints of the Q-network before it became the project's one MEGNet: their weights load as a policy
    /// (names upgraded), but training cannot resume from them (the optimizer's parameter order differs).</summary>
    public const string LegacyCheckpointFormat = "crystal-actors-offline-1";
    private TrajectoryDataset _data;
    private TransitionBatchBuilder _batches;
    private float[] _terminalRewards;
    private readonly SplitMix64 _rng;
    private readonly Adam _adam;
    private readonly int[] _indices;
    private readonly byte[] _targetIndices;
    private float[][] _targetRewards;
    private readonly Tensor? _classTargets;
    // Held-out bookkeeping, kept in checkpoints so that a resumed run keeps its best and its patience count.
    private double _bestScore = double.NegativeInfinity;
    private long _bestStep = -1;
    private int _evalsSinceBest;

    public OfflineTrainOptions Options { get; }
    public QNetwork Online { get; }
    /// <summary>The target network (CQL), null for behavioural cloning.</summary>
    public QNetwork? Target { get; }
    public long Step { get; private set; }
    public Device Device { get; }
    /// <summary>Skeletons for the held-out metrics (<see cref="OfflineTrainOptions.EvalEvery"/>); null = no evaluation.</summary>
    public TrajectoryDataset? HeldOut { get; init; }
    /// <summary>The step of the best held-out score so far (−1 before the first evaluation).</summary>
    public long BestStep => _bestStep;

    /// <param name="terminalRewards">Each crystal's terminal reward; null = <see cref="OfflineTrainOptions.Reward"/> of its
    /// MP-20 labels (a campaign's offline role passes the campaign's own reward instead).</param>
    public OfflineTrainer(TrajectoryDataset data, OfflineTrainOptions options, Device? device = null, float[]? terminalRewards = null)
    {
        options.Validate();
        if (data.TransitionCount == 0) throw new ArgumentException("the trajectory dataset has no transitions", nameof(data));
        _data = data;
        Options = options;
        Device = device ?? Device.CPU;
        Torch.Torch.ManualSeed(options.Seed);
        Online = new QNetwork(options.Conditioned);
        Online.To(Device);
        if (options.Algorithm == OfflineAlgorithm.Cql)
        {
            Target = new QNetwork(options.Conditioned);
            Target.To(Device);
            Target.CopyFrom(Online);
        }
        _adam = options.WeightDecay > 0
            ? new AdamW(Online.Parameters(), options.LearningRate, weightDecay: options.WeightDecay)
            : new Adam(Online.Parameters(), options.LearningRate);
        if (options.Algorithm == OfflineAlgorithm.BehaviourCloning && options.ClassSmoothing > 0)
        {
            using var scope = DisposeScope.Open();
            _classTargets = Tensor.From(BehaviourCloning.ClassTargets(), Crystals.ActionVocabulary.Count, Crystals.ActionVocabulary.Count)
                .To(Device).DetachFromDisposeScope();
        }
        _rng = new SplitMix64(options.Seed * 0x9E3779B97F4A7C15UL + 1);
        _terminalRewards = terminalRewards ?? TransitionBatchBuilder.TerminalRewards(data, options.Reward);
        if (options.Targets.Count > 1 && terminalRewards is not null)
            throw new ArgumentException("relabelled rewards are for one target; several target gaps need the paper's reward", nameof(terminalRewards));
        _targetRewards = options.Targets.Count > 1
            ? options.Targets.Select(t => TransitionBatchBuilder.TerminalRewards(data, options.Reward with { TargetBandGap = t })).ToArray()
            : [_terminalRewards];
        _batches = new TransitionBatchBuilder(data, options.Conditioned, options.Targets, _targetRewards, Device);
        _indices = new int[options.BatchSize];
        _targetIndices = new byte[options.Targets.Count > 1 ? options.BatchSize : 0];
    }

    /// <summary>The crystals trained on (grows with <see cref="AddTrajectories"/>).</summary>
    public TrajectoryDataset Data => _data;

    /// <summary>
    /// Adds trajectories with their terminal rewards (e.g. a campaign's DFT-labelled designs under the campaign's own
    /// reward); later minibatches sample uniformly over all transitions. Not thread-safe: call between steps.
    /// </summary>
    public void AddTrajectories(TrajectoryDataset more, float[] terminalRewards)
    {
        if (terminalRewards.Length != more.CrystalCount)
            throw new ArgumentException($"{terminalRewards.Length} rewards for {more.CrystalCount} crystals", nameof(terminalRewards));
        if (more.CrystalCount == 0) return;
        if (Options.Targets.Count > 1) throw new InvalidOperationException("added trajectories carry rewards for one target; this trainer has several");
        _data = _data.Concat(more);
        _terminalRewards = [.. _terminalRewards, .. terminalRewards];
        _targetRewards = [_terminalRewards];
        _batches = new TransitionBatchBuilder(_data, Options.Conditioned, Options.Reward.TargetBandGap, _terminalRewards, Device);
    }

    /// <summary>One gradient step; returns its loss terms.</summary>
    public LossTerms TrainStep()
    {
        // ALGO LOGIC: sample, loss, update
        for (int i = 0; i < _indices.Length; i++) _indices[i] = _rng.NextInt(_data.TransitionCount);
        for (int i = 0; i < _targetIndices.Length; i++) _targetIndices[i] = (byte)_rng.NextInt(Options.Targets.Count);
        using var scope = DisposeScope.Open();
        int shards = Math.Min(Options.Shards, _indices.Length);
        var batches = new TransitionTensors[shards];
        var terms = new LossTerms[shards];
        for (int k = 0; k < shards; k++)
        {
            var (start, count) = ShardRange(k, shards);
            batches[k] = _batches.Build(_indices.AsSpan(start, count), _targetIndices.Length == 0 ? default : _targetIndices.AsSpan(start, count));
        }
        _adam.LearningRate = Options.Schedule.At(Step + 1, Options.Steps, Options.LearningRate);
        _adam.ZeroGrad();
        if (shards > 1 && UseParallelShards)
        {
            // Forward and backward of each shard on its own core; the parameters' gradients accumulate the shares.
            var others = Enumerable.Range(1, shards - 1)
                .Select(k => Task.Factory.StartNew(() => terms[k] = ShardForwardBackward(batches[k]), CancellationToken.None,
                    TaskCreationOptions.LongRunning, TaskScheduler.Default))
                .ToArray();
            terms[0] = ShardForwardBackward(batches[0]);
            Task.WaitAll(others);
        }
        else
        {
            for (int k = 0; k < shards; k++) terms[k] = ShardForwardBackward(batches[k]);
        }
        GradClip.ClipGradNorm(_adam.Parameters, Options.MaxGradNorm);
        _adam.Step();
        Target?.SoftUpdateFrom(Online, Options.Tau);
        Step++;
        return new LossTerms(terms.Sum(t => t.Total), terms.Sum(t => t.Conservative), terms.Sum(t => t.TemporalDifference), terms.Sum(t => t.MeanQ));
    }

    private (int Start, int Count) ShardRange(int k, int shards)
    {
        int n = _indices.Length;
        int start = (int)((long)n * k / shards), end = (int)((long)n * (k + 1) / shards);
        return (start, end - start);
    }

    /// <summary>
    /// Loss of one shard, scaled to its share of the batch, and its backward pass (any thread: scopes and grad mode
    /// are per thread). Returns the shard's share of the loss terms and of the mean Q.
    /// </summary>
    private LossTerms ShardForwardBackward(TransitionTensors batch)
    {
        using var scope = DisposeScope.Open();
        long count = batch.Actions.Shape[0];
        double share = (double)count / _indices.Length;
        var q = Online.Forward(batch.State);
        Tensor loss, conservative, td;
        if (Options.Algorithm == OfflineAlgorithm.Cql)
        {
            Tensor nextQ;
            using (NoGradScope.Enter()) nextQ = Target!.Forward(batch.Next);
            (loss, conservative, td) = Cql.Loss(q, nextQ, batch.Actions, batch.Rewards, batch.Dones, Options.Gamma, Options.CqlWeight);
        }
        else
        {
            loss = _classTargets is null ? BehaviourCloning.Loss(q, batch.Actions) : BehaviourCloning.Loss(q, batch.Actions, _classTargets, Options.ClassSmoothing);
            conservative = td = Tensor.Scalar(0);
        }
        (share * loss).Backward();
        double meanQ;
        using (NoGradScope.Enter()) meanQ = q.Gather(1, batch.Actions.Unsqueeze(1)).Mean().Item();
        return new LossTerms(share * loss.Item(), share * conservative.Item(), share * td.Item(), share * meanQ);
    }

    private bool UseParallelShards => Options.ParallelShards ?? (Torch.Torch.NumThreads == 1 && Environment.ProcessorCount >= 2);

    /// <summary>
    /// Trains up to <see cref="OfflineTrainOptions.Steps"/>, resuming from the latest checkpoint in
    /// <paramref name="outDir"/>/checkpoints if there is one; writes scalars to <c>scalars.csv</c> and to a
    /// TensorBoard event file under <c>tensorboard/</c>, and checkpoints
    /// every <see cref="OfflineTrainOptions.CheckpointEvery"/> steps and at the end.
    /// </summary>
    public void Run(string outDir, Action<TrainingProgress>? progress = null, CancellationToken ct = default)
    {
        Directory.CreateDirectory(outDir);
        var ckptDir = Path.Combine(outDir, "checkpoints");
        if (LatestCheckpoint(ckptDir) is string latest)
        {
            LoadCheckpoint(latest);
            Log.Information("Resumed from {Checkpoint} at step {Step}", latest, Step);
        }
        else if (Options.InitFrom is { } init)
        {
            InitializeFrom(init);
            Log.Information("Network initialised from {Policy}", init);
        }
        AtomicFile.WriteAllText(Path.Combine(outDir, "options.json"), Options.ToJson());
        Log.Information("Offline training {Options} on {Transitions} transitions ({Crystals} crystals)", Options.ToJson(), _data.TransitionCount, _data.CrystalCount);
        using var log = new ScalarLog(Path.Combine(outDir, "scalars.csv"), "step,wall_s,loss,conservative,td,mean_q,steps_per_s,lr");
        using var heldOutLog = HeldOut is not null && Options.EvalEvery > 0
            ? new ScalarLog(Path.Combine(outDir, "heldout.csv"), "step,wall_s,accuracy,similarity,validity,reconstruction,n")
            : null;
        using var tb = new TensorBoardWriter(Path.Combine(outDir, "tensorboard"));
        var sw = Stopwatch.StartNew();
        long windowStart = Step;
        double windowT = 0;
        double sum = 0, sumC = 0, sumT = 0, sumQ = 0;
        int n = 0;
        bool stoppedEarly = false;
        while (Step < Options.Steps && !ct.IsCancellationRequested && !stoppedEarly)
        {
            var terms = TrainStep();
            sum += terms.Total; sumC += terms.Conservative; sumT += terms.TemporalDifference; sumQ += terms.MeanQ; n++;
            if (Step % Options.LogEvery == 0 || Step == Options.Steps)
            {
                double now = sw.Elapsed.TotalSeconds;
                double rate = (Step - windowStart) / Math.Max(now - windowT, 1e-9);
                var mean = new LossTerms(sum / n, sumC / n, sumT / n, sumQ / n);
                log.Append(Step, now, mean.Total, mean.Conservative, mean.TemporalDifference, mean.MeanQ, rate, _adam.LearningRate);
                tb.AddScalar("losses/loss", mean.Total, Step);
                tb.AddScalar("losses/conservative", mean.Conservative, Step);
                tb.AddScalar("losses/td", mean.TemporalDifference, Step);
                tb.AddScalar("losses/mean_q", mean.MeanQ, Step);
                tb.AddScalar("charts/steps_per_s", rate, Step);
                tb.AddScalar("charts/learning_rate", _adam.LearningRate, Step);
                tb.Flush();
                progress?.Invoke(new TrainingProgress(Step, Options.Steps, rate, mean));
                windowStart = Step; windowT = now; sum = sumC = sumT = sumQ = 0; n = 0;
            }
            if (heldOutLog is not null && (Step % Options.EvalEvery == 0 || Step == Options.Steps))
                stoppedEarly = EvaluateHeldOut(outDir, heldOutLog, tb, sw.Elapsed.TotalSeconds);
            if (Step % Options.CheckpointEvery == 0 || Step == Options.Steps || stoppedEarly)
                SaveCheckpoint(Path.Combine(ckptDir, CheckpointName(Step)));
        }
    }

    /// <summary>
    /// Online (and target) weights from another policy. An unconditioned source starts a conditioned network: the
    /// first layer that reads the globals gets a zero column for p̂, so the start computes exactly the source's Q.
    /// </summary>
    public void InitializeFrom(string policy)
    {
        var (source, _, path) = LoadPolicy(policy);
        using (source)
        {
            using var scope = DisposeScope.Open();
            var mine = Online.StateDict();
            var weights = new Dictionary<string, Tensor>();
            foreach (var (name, value) in source.StateDict())
            {
                if (!mine.TryGetValue(name, out var target)) throw new InvalidDataException($"{path}: {name} has no counterpart in this network");
                if (value.Shape.SequenceEqual(target.Shape)) { weights[name] = value; continue; }
                bool widened = value.Shape.Length == 2 && target.Shape.Length == 2 && value.Shape[0] == target.Shape[0]
                               && target.Shape[1] == value.Shape[1] + 1;
                if (!widened)
                    throw new InvalidDataException($"{path}: {name} is [{string.Join(", ", value.Shape)}], this network's is [{string.Join(", ", target.Shape)}]");
                var w = value.ToArray<float>();
                long rows = value.Shape[0], cols = value.Shape[1];
                var padded = new float[rows * (cols + 1)];
                for (long r = 0; r < rows; r++) Array.Copy(w, r * cols, padded, r * (cols + 1), cols);
                weights[name] = Tensor.From(padded, rows, cols + 1);
            }
            Online.LoadStateDict(weights, strict: true);
            Target?.CopyFrom(Online);
        }
    }

    /// <summary>The held-out metrics now; keeps <c>best.safetensors</c>; true when patience has run out.</summary>
    private bool EvaluateHeldOut(string outDir, ScalarLog heldOutLog, TensorBoardWriter tb, double wallSeconds)
    {
        var m = HeldOutEvaluation.Evaluate(Online, HeldOut!, Options.Reward.TargetBandGap, Device);
        heldOutLog.Append(Step, wallSeconds, m.Accuracy, m.Similarity, m.Validity, m.Reconstruction, m.N);
        tb.AddScalar("heldout/accuracy", m.Accuracy, Step);
        tb.AddScalar("heldout/similarity", m.Similarity, Step);
        tb.AddScalar("heldout/validity", m.Validity, Step);
        tb.AddScalar("heldout/reconstruction", m.Reconstruction, Step);
        tb.Flush();
        double score = HeldOutEvaluation.Score(m, Options.SelectBy);
        if (score > _bestScore)
        {
            (_bestScore, _bestStep, _evalsSinceBest) = (score, Step, 0);
            SaveCheckpoint(Path.Combine(outDir, BestCheckpointName));
        }
        else _evalsSinceBest++;
        Log.Information("held-out at step {Step}: accuracy {Acc:P2} similarity {Sim:P2} validity {Val:P2} (best {Best:F4} at step {BestStep})",
            Step, m.Accuracy, m.Similarity, m.Validity, _bestScore, _bestStep);
        if (Options.Patience > 0 && _evalsSinceBest >= Options.Patience)
        {
            Log.Information("No better held-out {Metric} in {Patience} evaluations: stopping at step {Step} (best at step {BestStep})",
                Options.SelectBy, Options.Patience, Step, _bestStep);
            return true;
        }
        return false;
    }

    /// <summary>The checkpoint with the best held-out score, beside checkpoints/ in the training folder.</summary>
    public const string BestCheckpointName = "best.safetensors";

    public static string CheckpointName(long step) => $"step_{step:D9}.safetensors";

    /// <summary>The checkpoint with the highest step in <paramref name="dir"/>, or null.</summary>
    public static string? LatestCheckpoint(string dir) =>
        Directory.Exists(dir) ? Directory.GetFiles(dir, "step_*.safetensors").OrderBy(f => f, StringComparer.Ordinal).LastOrDefault() : null;

    public void SaveCheckpoint(string path)
    {
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (k, v) in Online.StateDict()) tensors["model." + k] = v;
        if (Target is not null) foreach (var (k, v) in Target.StateDict()) tensors["target." + k] = v;
        var optim = _adam.StateDict();
        foreach (var (k, v) in optim) tensors["optim." + k] = v;
        using var step = Tensor.From(new[] { Step }, 1);
        using var rng = Tensor.From(new[] { unchecked((long)_rng.State) }, 1);
        tensors["step"] = step;
        tensors["rng_state"] = rng;
        var meta = new Dictionary<string, string>
        {
            ["format"] = CheckpointFormat,
            ["options"] = Options.ToJson(),
            ["step"] = Step.ToString(CultureInfo.InvariantCulture),
            ["best_score"] = _bestScore.ToString("R", CultureInfo.InvariantCulture),
            ["best_step"] = _bestStep.ToString(CultureInfo.InvariantCulture),
            ["evals_since_best"] = _evalsSinceBest.ToString(CultureInfo.InvariantCulture),
        };
        SafeTensors.Save(path, tensors, meta);
        optim["step"].Dispose();
    }

    /// <summary>Restores weights, target, optimizer, step and sampler state from a checkpoint of the same options.</summary>
    public void LoadCheckpoint(string path)
    {
        using var file = SafeTensors.Load(path);
        CheckFormat(file, path);
        if (file.Metadata["format"] == LegacyCheckpointFormat)
            throw new InvalidDataException($"{path}: a checkpoint of format {LegacyCheckpointFormat} (before the Q-network became the project's " +
                                           "one MEGNet) cannot resume training; it still loads as a policy (offline generate, initial_policy)");
        var model = Prefixed(file, "model.");
        if (QNetwork.LacksFocusRow(model))
            throw new InvalidDataException($"{path}: a checkpoint from before the focus site had its own node type cannot resume training; " +
                                           "it still loads as a policy (offline generate, --init-from, initial_policy)");
        Online.LoadStateDict(model, strict: true);
        if (Target is not null) Target.LoadStateDict(Prefixed(file, "target."), strict: true);
        _adam.LoadStateDict(Prefixed(file, "optim."));
        Step = file["step"].ToArray<long>()[0];
        _rng.State = unchecked((ulong)file["rng_state"].ToArray<long>()[0]);
        if (file.Metadata.TryGetValue("best_score", out var best))
        {
            _bestScore = double.Parse(best, CultureInfo.InvariantCulture);
            _bestStep = long.Parse(file.Metadata["best_step"], CultureInfo.InvariantCulture);
            _evalsSinceBest = int.Parse(file.Metadata["evals_since_best"], CultureInfo.InvariantCulture);
        }
    }

    /// <summary>True when <paramref name="path"/> is a safetensors file written by <see cref="SaveCheckpoint"/>.</summary>
    public static bool IsCheckpoint(string path)
    {
        if (!File.Exists(path)) return false;
        using var file = SafeTensors.Load(path);
        return file.Metadata.TryGetValue("format", out var f) && f is CheckpointFormat or LegacyCheckpointFormat;
    }

    internal static void CheckFormat(SafeTensorFile file, string path)
    {
        if (!file.Metadata.TryGetValue("format", out var f) || f is not (CheckpointFormat or LegacyCheckpointFormat))
            throw new InvalidDataException($"{path}: not an offline-RL checkpoint (format '{f ?? "none"}', expected '{CheckpointFormat}')");
    }

    internal static Dictionary<string, Tensor> Prefixed(SafeTensorFile file, string prefix) =>
        file.Tensors.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(p => p.Key[prefix.Length..], p => p.Value);

    /// <summary>
    /// The policy a folder holds: a shipped <c>policy.safetensors</c>, else the held-out best of a training folder, else
    /// its latest checkpoint (in <c>checkpoints/</c> or the folder itself); null when there is none.
    /// </summary>
    public static string? PolicyFileIn(string dir)
    {
        foreach (var name in new[] { PolicyFileName, BestCheckpointName })
            if (File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
        return LatestCheckpoint(Path.Combine(dir, "checkpoints")) ?? LatestCheckpoint(dir);
    }

    /// <summary>The file name of a policy without training state (see <see cref="SavePolicy"/>).</summary>
    public const string PolicyFileName = "policy.safetensors";

    /// <summary>
    /// The online network alone, with the options and <paramref name="metadata"/>: what a shipped policy needs to
    /// generate (a fifth of a training checkpoint, which also holds the target network and Adam's moments).
    /// </summary>
    public static void SavePolicy(string checkpoint, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var file = SafeTensors.Load(checkpoint);
        CheckFormat(file, checkpoint);
        var meta = new Dictionary<string, string> { ["format"] = file.Metadata["format"], ["options"] = file.Metadata["options"], ["step"] = file.Metadata["step"] };
        foreach (var (k, v) in metadata ?? new Dictionary<string, string>()) meta[k] = v;
        var tensors = file.Tensors.Where(p => p.Key.StartsWith("model.", StringComparison.Ordinal)).ToDictionary(p => p.Key, p => p.Value);
        SafeTensors.Save(path, tensors, meta); // atomic by itself
    }

    /// <summary>
    /// The online network and options of a checkpoint file, or of the policy a folder holds (<see cref="PolicyFileIn"/>).
    /// </summary>
    public static (QNetwork Network, OfflineTrainOptions Options, string Path) LoadPolicy(string fileOrDir, Device? device = null)
    {
        string path = fileOrDir;
        if (Directory.Exists(fileOrDir))
            path = PolicyFileIn(fileOrDir)
                ?? throw new FileNotFoundException($"no {PolicyFileName}, {BestCheckpointName} or step_*.safetensors checkpoint in {fileOrDir} or its checkpoints/ folder");
        else if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint not found: {path}", path);
        using var file = SafeTensors.Load(path);
        CheckFormat(file, path);
        var options = OfflineTrainOptions.FromJson(file.Metadata["options"]);
        var net = new QNetwork(options.Conditioned);
        net.LoadUpgraded(Prefixed(file, "model."));
        if (device is Device dev) net.To(dev);
        net.Eval();
        return (net, options, path);
    }

    public void Dispose()
    {
        _classTargets?.Dispose();
        _adam.Dispose();
        Online.Dispose();
        Target?.Dispose();
    }
}

/// <summary>Scalar log as CSV (one row per logging step; appends when the file exists, e.g. after a resume).</summary>
public sealed class ScalarLog : IDisposable
{
    private readonly StreamWriter _w;

    public ScalarLog(string path, string header)
    {
        bool exists = File.Exists(path) && new FileInfo(path).Length > 0;
        if (exists && File.ReadLines(path).First() != header)
        {
            // A run resumed by a newer version with other columns: keep the old rows beside, start a consistent file.
            File.Move(path, path + ".before-" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture), overwrite: false);
            exists = false;
        }
        _w = new StreamWriter(path, append: true) { NewLine = "\n" };
        if (!exists) _w.WriteLine(header);
    }

    public void Append(long step, params double[] values)
    {
        _w.Write(step.ToString(CultureInfo.InvariantCulture));
        foreach (var v in values) { _w.Write(','); _w.Write(v.ToString("G6", CultureInfo.InvariantCulture)); }
        _w.WriteLine();
        _w.Flush();
    }

    public void Dispose() => _w.Dispose();
}
