using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Learning.Offline;

namespace CrystalActors.Learning.Tests.Offline;

public class GenerationTests
{
    [Fact]
    public void Greedy_BatchedRollouts_EqualOneSkeletonAtATime()
    {
        Torch.Torch.ManualSeed(21);
        var ds = TrajectoryDataset.Synthetic(7, seed: 3);
        using var net = new QNetwork(conditioned: true);
        var batched = Generation.Greedy(net, ds, 1.12, batchSize: 7);
        var single = Generation.Greedy(net, ds, 1.12, batchSize: 1);
        for (int c = 0; c < ds.CrystalCount; c++) Assert.Equal(single[c], batched[c]);
    }

    [Fact]
    public void Greedy_WithVocabularyMask_UsesOnlyAllowedElements()
    {
        Torch.Torch.ManualSeed(22);
        var ds = TrajectoryDataset.Synthetic(5, seed: 4);
        using var net = new QNetwork(conditioned: false);
        var mask = Generation.VocabularyMask(new[] { "Ga", " As" });
        var allowed = new[] { ActionVocabulary.ActionIndexOf(Element.FromSymbol("Ga")), ActionVocabulary.ActionIndexOf(Element.FromSymbol("As")) };
        var result = Generation.Greedy(net, ds, 1.12, mask);
        Assert.All(result.SelectMany(r => r), a => Assert.Contains(a, allowed));
        var random = Generation.Random(ds, seed: 5, mask);
        Assert.All(random.SelectMany(r => r), a => Assert.Contains(a, allowed));
        Assert.Equal(random[2], Generation.Random(ds, seed: 5, mask)[2]);
        Assert.Throws<ArgumentException>(() => Generation.VocabularyMask(new[] { "Xx" }));
    }

    [Fact]
    public void Write_ThenRead_GivesJsonlAndCifPerCrystal()
    {
        var ds = TrajectoryDataset.Build(new[] { TrajectoryDatasetTests.RockSalt() });
        var dir = Path.Combine(Path.GetTempPath(), $"gen-{Guid.NewGuid():N}");
        try
        {
            int k = ActionVocabulary.ActionIndexOf(Element.FromSymbol("K")), br = ActionVocabulary.ActionIndexOf(Element.FromSymbol("Br"));
            Generation.Write(dir, ds, new[] { new[] { k, br } });
            var back = Generation.Read(dir);
            Assert.Equal("test-NaCl", back.Single().MaterialId);
            Assert.Equal(new[] { "K", "Br" }, back.Single().Species);
            var cif = CifReader.ReadFile(Path.Combine(dir, "cif", "test-NaCl.cif"));
            Assert.Equal("KBr", cif.Composition.ReducedFormula);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }
}
