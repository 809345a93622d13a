using System.Globalization;
using CrystalActors.Models.Megnet;
using CrystalActors.Torch;
using CrystalActors.Torch.Optim;
using Serilog;

namespace CrystalActors.Models.Reward;

/// <summary>Settings of one online fine-tuning round (defaults: the pipeline paper's k = 10 steps at lr 0.001, no replay).</summary>
public sealed record FineTuneOptions
{
    /// <summary>Gradient steps per round (10).</summary>
    public int Steps { get; init; } = 10;
    /// <summary>Adam learning rate (0.001; the paper also used 0.005).</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Earlier DFT samples replayed per new sample in each batch (0 = the paper: new samples only).</summary>
    public double ReplayRatio { get; init; } = 0.0;
    /// <summary>New samples per step; rounds with fewer new samples use all of them every step (32).</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Seeds the data order, bootstrap draws and replay draws (0).</summary>
    public ulong Seed { get; init; } = 0;
    /// <summary>Draw the new samples with replacement (bagging), to decorrelate ensemble members (false).</summary>
    public bool Bootstrap { get; init; } = false;
    /// <summary>Fidelity the DFT targets were computed at (PBE: Quantum ESPRESSO with PBE pseudopotentials).</summary>
    public Fidelity Fidelity { get; init; } = Fidelity.Pbe;
    /// <summary>Add the new samples to the replay pool after the round (true).</summary>
    public bool AddToReplay { get; init; } = true;

    public void Validate()
    {
        if (Steps < 1) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "fine-tuning needs at least one step");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "learning rate must be positive");
        if (!(ReplayRatio >= 0) || !double.IsFinite(ReplayRatio)) throw new ArgumentOutOfRangeException(nameof(ReplayRatio), ReplayRatio, "replay ratio must be ≥ 0");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "batch size must be ≥ 1");
    }
}

/// <summary>What a round produced: the new model version (caller-owned), where it was written, the per-step losses
/// (MSE of the normalised gap on each step's batch, before that step's update), and how the parent and the new version
/// fit the new samples: their predicted gaps (eV, clipped at 0) and the MSE of the normalised gap over all new samples
/// (<paramref name="LossBefore"/>: the parent's, <paramref name="LossAfter"/>: after the last step).</summary>
public sealed record FineTuneResult(BandGapModel Model, string? Path, IReadOnlyList<double> Losses, int NewSamples, int ReplayedSamples,
    IReadOnlyList<double> PredictedBeforeEv, IReadOnlyList<double> PredictedAfterEv, double LossBefore, double LossAfter);

/// <summary>
/// Online fine-tuning of the band-gap reward model on new (structure, DFT gap) samples: k Adam steps on batches of the
/// new samples mixed with a replay of earlier DFT samples, on a COPY of the current model, giving a new version
/// (parent + 1) that is written to a new immutable file. The parent keeps serving predictions meanwhile (see
/// <see cref="RewardPredictor.Publish"/> for the swap). The loss is the MSE of the normalised target
/// ((gap − mean)/std), the space matgl trained in. One round at a time: an instance is not thread-safe (the campaign
/// owns one tuner and runs its rounds in sequence, off the prediction path).
/// </summary>
public sealed class RewardModelFineTuner
{
    private readonly List<MegnetGraph> _replayGraphs = new();
    private readonly List<double> _replayTargets = new();

    public FineTuneOptions Options { get; }

    public RewardModelFineTuner(FineTuneOptions? options = null)
    {
        Options = options ?? new FineTuneOptions();
        Options.Validate();
    }

    /// <summary>Earlier DFT samples available for replay.</summary>
    public int ReplayCount => _replayGraphs.Count;

    /// <summary>Adds earlier DFT samples to the replay pool (graphs are built with <paramref name="model"/>'s builder).</summary>
    public void AddToReplay(BandGapModel model, IReadOnlyList<RewardSample> samples)
    {
        var graphs = model.BuildGraphs(samples.Select(s => s.Structure).ToList(), Options.Fidelity);
        _replayGraphs.AddRange(graphs);
        _replayTargets.AddRange(samples.Select(s => s.GapEv));
    }

    /// <summary>The file name of version <paramref name="version"/> in a weight directory: bandgap.v0001.safetensors, ...</summary>
    public static string VersionedPath(string directory, int version) =>
        Path.Combine(directory, $"bandgap.v{version.ToString("D4", CultureInfo.InvariantCulture)}.safetensors");

    /// <summary>
    /// Runs one round on a copy of <paramref name="parent"/> and, when <paramref name="outputPath"/> is given, writes the
    /// new version there (never overwriting); an existing directory gets <see cref="VersionedPath"/>. The returned
    /// model is owned by the caller.
    /// </summary>
    public FineTuneResult FineTune(BandGapModel parent, IReadOnlyList<RewardSample> newSamples, string? outputPath = null)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(newSamples);
        foreach (var s in newSamples)
            if (!double.IsFinite(s.GapEv) || s.GapEv < 0)
                throw new ArgumentException($"sample {s.Id ?? s.Structure.Id ?? "?"}: DFT gap {s.GapEv} eV is not a finite non-negative number");
        var graphs = parent.BuildGraphs(newSamples.Select(s => s.Structure).ToList(), Options.Fidelity);
        return FineTune(parent, graphs, newSamples.Select(s => s.GapEv).ToArray(), outputPath);
    }

    /// <summary>The same round on graphs built beforehand (e.g. shared by the members of an ensemble); gaps in eV.</summary>
    public FineTuneResult FineTune(BandGapModel parent, IReadOnlyList<MegnetGraph> graphs, double[] targets, string? outputPath = null)
    {
        ArgumentNullException.ThrowIfNull(parent);
        if (graphs.Count == 0) throw new ArgumentException("fine-tuning needs at least one new sample", nameof(graphs));
        if (targets.Length != graphs.Count) throw new ArgumentException($"{graphs.Count} graphs but {targets.Length} targets", nameof(targets));
        for (int i = 0; i < targets.Length; i++)
            if (!double.IsFinite(targets[i]) || targets[i] < 0)
                throw new ArgumentException($"target {i}: DFT gap {targets[i]} eV is not a finite non-negative number", nameof(targets));
        if (outputPath is not null && Directory.Exists(outputPath))
            outputPath = VersionedPath(outputPath, parent.Version + 1);
        if (outputPath is not null && File.Exists(outputPath))
            throw new IOException($"weight file '{outputPath}' already exists; versions are immutable, choose a new name");

        var o = Options;
        var rng = new Random(unchecked((int)(o.Seed ^ (o.Seed >> 32))));
        var order = new BatchOrder(graphs.Count, Math.Min(o.BatchSize, graphs.Count), o.Bootstrap, rng);

        var metadata = new Dictionary<string, string>(parent.Metadata)
        {
            ["finetune_parent_version"] = parent.Version.ToString(CultureInfo.InvariantCulture),
            ["finetune_parent_file"] = parent.SourcePath is null ? "(in memory)" : Path.GetFileName(parent.SourcePath),
            ["finetune_steps"] = o.Steps.ToString(CultureInfo.InvariantCulture),
            ["finetune_lr"] = o.LearningRate.ToString("R", CultureInfo.InvariantCulture),
            ["finetune_replay_ratio"] = o.ReplayRatio.ToString("R", CultureInfo.InvariantCulture),
            ["finetune_batch_size"] = o.BatchSize.ToString(CultureInfo.InvariantCulture),
            ["finetune_seed"] = o.Seed.ToString(CultureInfo.InvariantCulture),
            ["finetune_bootstrap"] = o.Bootstrap ? "true" : "false",
            ["finetune_new_samples"] = graphs.Count.ToString(CultureInfo.InvariantCulture),
            ["finetune_replay_pool"] = _replayGraphs.Count.ToString(CultureInfo.InvariantCulture),
        };
        var before = parent.Predict(graphs);
        var model = parent.Clone(parent.Version + 1, metadata);
        var losses = new List<double>(o.Steps);
        int replayed = 0;
        BandGapPrediction after;
        try
        {
            model.Network.Train();
            using var adam = new Adam(model.Network.Parameters(), o.LearningRate);
            for (int step = 0; step < o.Steps; step++)
            {
                var idx = order.Next();
                var batchGraphs = new List<MegnetGraph>(idx.Length * 2);
                var batchTargets = new List<float>(idx.Length * 2);
                foreach (int i in idx)
                {
                    batchGraphs.Add(graphs[i]);
                    batchTargets.Add((float)((targets[i] - model.NormalizerMean) / model.NormalizerStd));
                }
                int nReplay = _replayGraphs.Count == 0 ? 0 : (int)Math.Round(o.ReplayRatio * idx.Length);
                for (int r = 0; r < nReplay; r++)
                {
                    int j = rng.Next(_replayGraphs.Count);
                    batchGraphs.Add(_replayGraphs[j]);
                    batchTargets.Add((float)((_replayTargets[j] - model.NormalizerMean) / model.NormalizerStd));
                }
                replayed += nReplay;
                losses.Add(Step(model, adam, batchGraphs, batchTargets.ToArray()));
                if (o.Steps >= 100 && (step + 1) % (o.Steps / 10) == 0)
                    Log.Information("Fine-tuning step {Step}/{Steps}: mean loss of the last {Window} steps {Loss:F4}",
                        step + 1, o.Steps, o.Steps / 10, losses.TakeLast(o.Steps / 10).Average());
            }
            model.Network.Eval();
            after = model.Predict(graphs);
            if (outputPath is not null) model.SaveNew(outputPath);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        if (o.AddToReplay)
        {
            _replayGraphs.AddRange(graphs);
            _replayTargets.AddRange(targets);
        }
        double lossBefore = NormalisedMse(before.RawEv, targets, model.NormalizerStd), lossAfter = NormalisedMse(after.RawEv, targets, model.NormalizerStd);
        Log.Information("Fine-tuned band-gap model v{Parent} -> v{Version}: {Steps} steps on {New} new + {Replayed} replayed samples, loss on the new samples {Before:F4} -> {After:F4}{Where}",
            parent.Version, model.Version, o.Steps, graphs.Count, replayed, lossBefore, lossAfter,
            outputPath is null ? "" : $", written to {outputPath}");
        return new FineTuneResult(model, outputPath, losses, graphs.Count, replayed, before.GapsEv, after.GapsEv, lossBefore, lossAfter);
    }

    /// <summary>The training loss over whole samples: mean of ((prediction − target)/std)², the normaliser's mean cancelling.</summary>
    private static double NormalisedMse(double[] rawEv, double[] targets, double std) =>
        rawEv.Zip(targets, (p, t) => (p - t) / std).Average(d => d * d);

    /// <summary>One Adam step on MSE(normalised prediction, normalised target); returns the loss before the update.</summary>
    private static double Step(BandGapModel model, Adam adam, IReadOnlyList<MegnetGraph> graphs, float[] targets)
    {
        using var scope = DisposeScope.Open();
        using var batch = MegnetGraphBatch.Create(graphs, model.Device);
        var y = model.ForwardNormalized(batch);
        var target = Tensor.From<float>(targets, new long[] { targets.Length }, model.Device);
        var loss = y.MseLoss(target);
        adam.ZeroGrad();
        loss.Backward();
        adam.Step();
        return loss.Item();
    }

    /// <summary>Batches of new-sample indices: epochs over a seeded permutation, or draws with replacement (bootstrap).</summary>
    private sealed class BatchOrder(int count, int batchSize, bool bootstrap, Random rng)
    {
        private int[] _perm = Array.Empty<int>();
        private int _pos;

        public int[] Next()
        {
            var batch = new int[batchSize];
            for (int k = 0; k < batchSize; k++)
            {
                if (bootstrap) { batch[k] = rng.Next(count); continue; }
                if (_pos == _perm.Length)
                {
                    _perm = Enumerable.Range(0, count).ToArray();
                    rng.Shuffle(_perm);
                    _pos = 0;
                }
                batch[k] = _perm[_pos++];
            }
            return batch;
        }
    }
}
