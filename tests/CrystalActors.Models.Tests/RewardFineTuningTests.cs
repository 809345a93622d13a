using CrystalActors.Models.Megnet;
using CrystalActors.Models.Reward;
using CrystalActors.Torch.Serialization;

namespace CrystalActors.Models.Tests.Megnet;

public sealed class RewardFineTuningTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("reward-finetune").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Eight reference crystals with their MP gaps shifted by +0.5 eV, so the pretrained model is clearly off.</summary>
    private static List<RewardSample> SmallSet() => MegnetTestData.Crystals.Skip(20).Take(8)
        .Select(c => new RewardSample(c.Structure, c.MpBandGapEv + 0.5, c.MaterialId)).ToList();

    [Fact]
    public void FineTune_SmallSet_LossDecreasesAndANewVersionFileIsWritten()
    {
        using var parent = BandGapModel.Load(MegnetTestData.WeightsPath);
        var samples = SmallSet();
        var tuner = new RewardModelFineTuner(new FineTuneOptions { Steps = 15, LearningRate = 1e-3, Seed = 1 });
        var path = Path.Combine(_dir, "bandgap.v0001.safetensors");
        var result = tuner.FineTune(parent, samples, path);
        using var tuned = result.Model;

        Assert.Equal(15, result.Losses.Count);
        Assert.True(result.Losses[^1] < 0.5 * result.Losses[0], $"loss {result.Losses[0]} -> {result.Losses[^1]} did not halve");
        Assert.Equal(1, tuned.Version);
        Assert.True(File.Exists(path));
        using (var file = SafeTensors.Load(path))
        {
            Assert.Equal("1", file.Metadata[BandGapModel.VersionKey]);
            Assert.Equal("0", file.Metadata["finetune_parent_version"]);
            Assert.Equal(107, file.Tensors.Count);
        }

        // The written file reproduces the in-memory model, and its MAE on the targets is lower than the parent's.
        using var reloaded = BandGapModel.Load(path);
        var structures = samples.Select(s => s.Structure).ToList();
        var fromFile = reloaded.Predict(structures).RawEv;
        var inMemory = tuned.Predict(structures).RawEv;
        for (int i = 0; i < fromFile.Length; i++) Assert.Equal(inMemory[i], fromFile[i], 5);
        double Mae(double[] p) => p.Select((g, i) => Math.Abs(g - samples[i].GapEv)).Average();
        Assert.True(Mae(tuned.Predict(structures).GapsEv) < Mae(parent.Predict(structures).GapsEv));
        Assert.Equal(8, tuner.ReplayCount);

        // The fit before and after, on all new samples: the parent's and the new version's predictions, and the training
        // loss over them. The first step's batch is all 8 samples, so its loss (before its update) is the parent's.
        Assert.Equal(parent.Predict(structures).GapsEv, result.PredictedBeforeEv);
        Assert.Equal(tuned.Predict(structures).GapsEv, result.PredictedAfterEv);
        Assert.Equal(result.Losses[0], result.LossBefore, 5);
        double after = inMemory.Select((g, i) => Math.Pow((g - samples[i].GapEv) / tuned.NormalizerStd, 2)).Average();
        Assert.Equal(after, result.LossAfter, 12);
        Assert.True(result.LossAfter < result.LossBefore);
    }

    [Fact]
    public void FineTune_IntoADirectory_WritesSuccessiveVersionFiles()
    {
        using var v0 = BandGapModel.Load(MegnetTestData.WeightsPath);
        var tuner = new RewardModelFineTuner(new FineTuneOptions { Steps = 1 });
        var first = tuner.FineTune(v0, SmallSet().Take(2).ToList(), _dir);
        using var v1 = first.Model;
        var second = tuner.FineTune(v1, SmallSet().Skip(2).Take(2).ToList(), _dir);
        using var v2 = second.Model;
        Assert.Equal(Path.Combine(_dir, "bandgap.v0001.safetensors"), first.Path);
        Assert.Equal(Path.Combine(_dir, "bandgap.v0002.safetensors"), second.Path);
        using var reloaded = BandGapModel.Load(second.Path!);
        Assert.Equal(2, reloaded.Version);
        Assert.Equal("1", reloaded.Metadata["finetune_parent_version"]);
        Assert.Equal("bandgap.v0001.safetensors", reloaded.Metadata["finetune_parent_file"]);
        Assert.Equal(0, second.ReplayedSamples); // replay ratio 0 (the paper): nothing replayed ...
        Assert.Equal(4, tuner.ReplayCount);      // ... but the pool keeps every DFT sample seen
    }

    [Fact]
    public void FineTune_ExistingOutputFile_IsNeverOverwritten()
    {
        using var parent = BandGapModel.Load(MegnetTestData.WeightsPath);
        var path = Path.Combine(_dir, "taken.safetensors");
        File.WriteAllText(path, "previous version");
        var tuner = new RewardModelFineTuner(new FineTuneOptions { Steps = 1 });
        Assert.Throws<IOException>(() => tuner.FineTune(parent, SmallSet(), path));
        Assert.Equal("previous version", File.ReadAllText(path));
    }

    [Fact]
    public void Predictor_DuringAndAfterFineTuning_ServesOldVersionUntilPublished()
    {
        var samples = SmallSet();
        var structures = samples.Select(s => s.Structure).ToList();
        using var pretrained = BandGapModel.Load(MegnetTestData.WeightsPath);
        var before = pretrained.Predict(structures).RawEv;

        using var predictor = new RewardPredictor(pretrained.Clone());
        var tuner = new RewardModelFineTuner(new FineTuneOptions { Steps = 10, Seed = 3 });
        // Fine-tune on a background thread while the predictor keeps answering.
        var job = Task.Run(() => tuner.FineTune(pretrained, samples, Path.Combine(_dir, "v1.safetensors")));
        var during = new List<double[]>();
        while (!job.IsCompleted) during.Add(predictor.Predict(structures).RawEv);
        var result = job.Result;
        during.Add(predictor.Predict(structures).RawEv);
        Assert.All(during, d => Assert.Equal(before, d));
        Assert.Equal(0, predictor.Version);

        var expectedNew = result.Model.Predict(structures).RawEv;
        predictor.Publish(result.Model);
        Assert.Equal(1, predictor.Version);
        var after = predictor.Predict(structures).RawEv;
        Assert.Equal(expectedNew, after);
        Assert.NotEqual(before, after);
    }

    [Fact]
    public void Predictor_AfterDispose_RefusesPredictions()
    {
        var predictor = new RewardPredictor(BandGapModel.Load(MegnetTestData.WeightsPath));
        predictor.Dispose();
        Assert.Throws<ObjectDisposedException>(() => predictor.Predict(new[] { MegnetTestData.Crystals[0].Structure }));
    }

    [Fact]
    public void FineTune_WithReplay_MixesEarlierSamplesIntoEveryBatch()
    {
        using var parent = BandGapModel.Load(MegnetTestData.WeightsPath);
        var earlier = MegnetTestData.Crystals.Skip(40).Take(6).Select(c => new RewardSample(c.Structure, c.MpBandGapEv)).ToList();
        var tuner = new RewardModelFineTuner(new FineTuneOptions { Steps = 3, ReplayRatio = 0.5, BatchSize = 4, Seed = 2 });
        tuner.AddToReplay(parent, earlier);
        var result = tuner.FineTune(parent, SmallSet());
        using var _ = result.Model;
        Assert.Equal(3 * 2, result.ReplayedSamples); // round(0.5 * 4) replayed per step
        Assert.Null(result.Path);
        Assert.Equal(6 + 8, tuner.ReplayCount);
    }

    [Fact]
    public void FineTune_NegativeTarget_IsRejectedNamingTheSample()
    {
        using var parent = BandGapModel.Load(MegnetTestData.WeightsPath);
        var bad = new[] { new RewardSample(MegnetTestData.Crystals[0].Structure, -1.0, "bad-one") };
        var e = Assert.Throws<ArgumentException>(() => new RewardModelFineTuner().FineTune(parent, bad));
        Assert.Contains("bad-one", e.Message);
    }
}
