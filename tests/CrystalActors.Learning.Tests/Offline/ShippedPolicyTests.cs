using System.Text.Json;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Learning.Offline;
using CrystalActors.Models.Megnet;

namespace CrystalActors.Learning.Tests.Offline;

/// <summary>
/// The policies shipped under models/offline (issue #20): each loads on a fresh clone, reproduces the held-out
/// metrics its manifest states, and meets the bar it was shipped for.
/// </summary>
public class ShippedPolicyTests
{
    private static readonly string Root = FindRoot();

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "CrystalActors.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("no CrystalActors.sln above " + AppContext.BaseDirectory);
    }

    private static readonly Lazy<TrajectoryDataset> HeldOut = new(() =>
        TrajectoryDataset.LoadOrBuild(TestData.Mp20Val).Part(DatasetPart.HeldOut).NonMetals());

    public static TheoryData<string> Policies()
    {
        var data = new TheoryData<string>();
        var dir = Path.Combine(Root, "models", "offline");
        if (Directory.Exists(dir))
            foreach (var p in Directory.GetDirectories(dir).OrderBy(p => p, StringComparer.Ordinal)) data.Add(Path.GetFileName(p));
        return data;
    }

    [Fact]
    public void BehaviourCloningIsShipped() => Assert.True(File.Exists(Path.Combine(Root, "models", "offline", "bc", OfflineTrainer.PolicyFileName)));

    [Theory]
    [MemberData(nameof(Policies))]
    public void ShippedPolicy_ReproducesItsManifest_AndMeetsItsBar(string name)
    {
        var dir = Path.Combine(Root, "models", "offline", name);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "manifest.json")));
        var m = manifest.RootElement;
        var (net, options, path) = OfflineTrainer.LoadPolicy(dir);
        using (net)
        {
            Assert.Equal(Path.Combine(dir, OfflineTrainer.PolicyFileName), path);
            var metrics = HeldOutEvaluation.Evaluate(net, HeldOut.Value, options.Reward.TargetBandGap);
            var stated = m.GetProperty("heldout");
            Assert.Equal(stated.GetProperty("n").GetInt32(), metrics.N);
            // Greedy argmax can flip on a near-tie on another CPU: a few sites of 656 crystals at most.
            Assert.Equal(stated.GetProperty("accuracy").GetDouble(), metrics.Accuracy, 0.005);
            Assert.Equal(stated.GetProperty("validity").GetDouble(), metrics.Validity, 0.005);
            // Issue #20's bars (README "Shipped policies"): BC at least 45 % accuracy and 80 % validity, CQL above 75 %
            // validity; the CQL policies are also held to 40 % accuracy, well below what they were shipped at.
            if (options.Algorithm == OfflineAlgorithm.BehaviourCloning)
            {
                Assert.True(metrics.Accuracy >= 0.45, $"{name}: held-out accuracy {metrics.Accuracy:P2}");
                Assert.True(metrics.Validity >= 0.80, $"{name}: held-out validity {metrics.Validity:P2}");
            }
            else
            {
                Assert.True(metrics.Accuracy >= 0.40, $"{name}: held-out accuracy {metrics.Accuracy:P2}");
                Assert.True(metrics.Validity > 0.75, $"{name}: held-out validity {metrics.Validity:P2}");
            }
            if (options.Conditioned)
            {
                // A conditioned policy moves its fills' predicted gaps with the target it is given.
                using var gapModel = BandGapModel.Load(Path.Combine(TestData.SharedDir, "reference", "megnet", "MEGNet-MP-2019.4.1-BandGap-mfi.safetensors"));
                double MeanGap(double pHat)
                {
                    var actions = Generation.Greedy(net, HeldOut.Value, pHat);
                    var structures = Enumerable.Range(0, HeldOut.Value.CrystalCount)
                        .Select(c => HeldOut.Value.StructureWith(c, actions[c].Select(ActionVocabulary.ElementAt).ToArray())).ToList();
                    return gapModel.Predict(structures).GapsEv.Average();
                }
                // The shift is small (1.577, 1.591, 1.600, 1.616 eV for cql-cond-w5) but goes the right way. One flipped
                // near-tie on another CPU moves a mean by ~1 eV / 656, so neighbouring targets may not fall by more than
                // 0.005 eV, and the whole range must rise by 0.02 eV.
                var means = new[] { 1.12, 2, 3, 4 }.Select(MeanGap).ToArray();
                string said = $"{name}: mean predicted gaps at p̂ = 1.12, 2, 3, 4 eV: {string.Join(", ", means.Select(g => g.ToString("F4")))}";
                for (int i = 1; i < means.Length; i++) Assert.True(means[i] > means[i - 1] - 0.005, said);
                Assert.True(means[^1] - means[0] >= 0.02, said);
            }
        }
    }
}
