using CrystalActors.Learning.Dqn;
using CrystalActors.Learning.Offline;
using CrystalActors.Torch;
using CrystalActors.Torch.Serialization;

namespace CrystalActors.Campaign.Tests;

/// <summary>Issue #16: an offline CQL checkpoint is a valid online <c>initial_policy</c> (the Exp. 4 setting with an offline start).</summary>
public sealed class OfflineStartTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("offline-start").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (TrajectoryDataset Skeletons, IReadOnlyList<int> Vocabulary) KclTask()
    {
        var options = new CampaignOptions
        {
            Skeleton = new SkeletonOptions { Data = SharedData.File("data", "mp20", "mp20_val.jsonl.gz"), MaterialIds = new[] { "mp-23289" } },
            Vocabulary = new[] { "Na", "K", "Cl", "Br" },
        };
        var (skeletons, tasks) = CampaignContext.LoadTasks(options);
        return (skeletons, tasks[0].VocabularyActions);
    }

    private string TrainedCheckpoint(bool conditioned)
    {
        var data = TrajectoryDataset.Synthetic(6, seed: 3);
        using var trainer = new OfflineTrainer(data, new OfflineTrainOptions { Conditioned = conditioned, BatchSize = 16, Steps = 3, Seed = 7 });
        for (int i = 0; i < 3; i++) trainer.TrainStep();
        var folder = Path.Combine(_dir, conditioned ? "cql" : "cql-uncond", "checkpoints");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, OfflineTrainer.CheckpointName(trainer.Step));
        trainer.SaveCheckpoint(path);
        return path;
    }

    [Fact]
    public void ConditionedCheckpoint_LoadsAsTheOnlineStart_FromTheFileOrItsTrainingFolder()
    {
        var checkpoint = TrainedCheckpoint(conditioned: true);
        var (skeletons, vocabulary) = KclTask();
        using var file = SafeTensors.Load(checkpoint);
        foreach (var source in new[] { checkpoint, Path.GetDirectoryName(Path.GetDirectoryName(checkpoint))! })
        {
            using var learner = new OnlineDqn(skeletons, vocabulary, 1.12, new DqnOptions(), seed: 1);
            learner.LoadPolicy(source);
            foreach (var (name, tensor) in learner.Online.StateDict())
            {
                Assert.Equal(file.Tensors["model." + name].ToArray<float>(), tensor.ToArray<float>());
                // The target network starts from the same weights.
                Assert.Equal(tensor.ToArray<float>(), learner.Target.StateDict()[name].ToArray<float>());
            }
        }
    }

    [Fact]
    public void UnconditionedCheckpoint_IsRefusedWithAReason()
    {
        var checkpoint = TrainedCheckpoint(conditioned: false);
        var (skeletons, vocabulary) = KclTask();
        using var policy = new DqnPolicy(skeletons, vocabulary, 1.12);
        var e = Assert.Throws<InvalidDataException>(() => policy.Load(checkpoint));
        Assert.StartsWith(checkpoint, e.Message);
        Assert.Contains("unconditioned", e.Message);
    }

    [Fact]
    public void ACampaignConfig_AcceptsAnOfflineTrainingFolderAsInitialPolicy()
    {
        var checkpoint = TrainedCheckpoint(conditioned: true);
        var folder = Path.GetDirectoryName(Path.GetDirectoryName(checkpoint))!;
        var config = Path.Combine(_dir, "campaign.json");
        File.WriteAllText(config, $$"""{ "initial_policy": "{{folder}}", "skeleton": { "data": "{{SharedData.File("data", "mp20", "mp20_val.jsonl.gz")}}" } }""");
        Assert.Equal(folder, CampaignOptions.Load(config).InitialPolicy);
    }
}
