using CrystalActors.Models.Megnet;
using CrystalActors.Models.Reward;

namespace CrystalActors.Models.Tests.Megnet;

public sealed class RewardEnsembleTests
{
    [Fact]
    public void Combine_HandComputedMembers_GivesMeanAndPopulationStd()
    {
        var p = RewardEnsemble.Combine(new[]
        {
            new[] { 1.0, 2.0, 0.0 },
            new[] { 3.0, 2.0, 0.0 },
            new[] { 2.0, 2.0, 3.0 },
            new[] { 2.0, 2.0, 1.0 },
        });
        Assert.Equal(new[] { 2.0, 2.0, 1.0 }, p.Mean);
        Assert.Equal(Math.Sqrt(0.5), p.Std[0], 12);    // deviations -1, 1, 0, 0
        Assert.Equal(0.0, p.Std[1], 12);
        Assert.Equal(Math.Sqrt(1.5), p.Std[2], 12);    // deviations -1, -1, 2, 0
    }

    [Fact]
    public void Train_FourMembers_PretrainedFirstAndStatisticsEqualThoseOfTheMembersOwnPredictions()
    {
        var dir = Directory.CreateTempSubdirectory("reward-ensemble").FullName;
        try
        {
            var samples = MegnetTestData.Crystals.Skip(60).Take(6).Select(c => new RewardSample(c.Structure, c.MpBandGapEv)).ToList();
            var test = MegnetTestData.Crystals.Skip(100).Take(5).Select(c => c.Structure).ToList();
            using var pretrained = BandGapModel.Load(MegnetTestData.WeightsPath);
            using (var trained = RewardEnsemble.Train(pretrained, samples, 4, new FineTuneOptions { Steps = 3, Seed = 10 }, dir))
                Assert.Equal(4, trained.Members.Count);
            Assert.Equal(4, Directory.GetFiles(dir, "*.safetensors").Length);

            using var ensemble = RewardEnsemble.Load(dir);
            var p = ensemble.Predict(test);
            var members = ensemble.Members.Select(m => m.Predict(test).GapsEv).ToArray();
            Assert.Equal(pretrained.Predict(test).GapsEv, members[0]);
            Assert.NotEqual(members[1], members[2]); // different seeds / bootstrap draws
            for (int i = 0; i < test.Count; i++)
            {
                double mean = members.Average(m => m[i]);
                double std = Math.Sqrt(members.Average(m => (m[i] - mean) * (m[i] - mean)));
                Assert.Equal(mean, p.Mean[i], 10);
                Assert.Equal(std, p.Std[i], 10);
            }
            Assert.Contains(p.Std, s => s > 0);
        }
        finally { Directory.Delete(dir, true); }
    }
}
