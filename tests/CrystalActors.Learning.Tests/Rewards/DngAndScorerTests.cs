using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Learning.Rewards;
using CrystalActors.Models.Megnet;

namespace CrystalActors.Learning.Tests.Rewards;

public class DngAndScorerTests
{
    private static Structure Crystal(params string[] species) => Structure.FromSpecies(Lattice.Cubic(5.0),
        species.Select(Element.FromSymbol).ToArray(), species.Select((_, i) => new Vec3(i / (double)species.Length, 0, 0)).ToArray());

    [Fact]
    public void DngTable_CountsByHand()
    {
        var nacl = Crystal("Na", "Cl");
        var ksne = Crystal("K", "S", "Ne");
        var batch = new RewardBatch([nacl, nacl, ksne, nacl])
        {
            Unique = [true, false, true, true], Novel = [true, true, false, true],
            EnergyAboveHullEv = [0.0, 0.05, 0.5, null],
        };
        var t = DngTable.From(batch, null, null);
        Assert.Equal(4, t.N);
        Assert.Equal(75, t.UniquePct);
        Assert.Equal(75, t.NovelPct);
        Assert.Equal((0.0 + 0.05 + 0.5) / 3, t.EAboveHullMeanEv!.Value, 12); // the failed one is left out of the mean
        Assert.Equal(50, t.MetastablePct);   // 0 and 0.05
        Assert.Equal(25, t.StablePct);       // 0
        Assert.Equal(25, t.MsunPct);         // #0: unique, novel, metastable (#1 is not unique)
        Assert.Equal(25, t.SunPct);
        Assert.Equal(75, t.SmactValidPct);   // the noble-gas compound is not
        Assert.Equal(1, t.EnergyFailed);
        Assert.Null(t.StructureDiversity);
    }

    [Fact]
    public void Scorer_OnMp20Crystals_KnownOnesAreNotNovel_TheirHullEnergiesAreSmall_AndCopiesAreNotUnique()
    {
        var records = TestData.Mp20Records(12, r => r.Structure is { NumSites: <= 8 });
        var structures = records.Select(r => r.Structure!).ToList();
        structures.Add(structures[0]); // a duplicate within the batch
        var shared = TestData.SharedDir;
        var setup = new RewardSetup
        {
            Reference = TestData.Mp20Val, ReferenceSample = 300,
            HullData = [Path.Combine(shared, "data", "mp20", "mp20_train_nocoords.jsonl.gz"), TestData.Mp20Val],
            EnergyWeights = Path.Combine(shared, "reference", "m3gnet", "M3GNet-MP-2021.2.8-PES.safetensors"),
        };
        var weights = Path.Combine(shared, "reference", "megnet", "MEGNet-MP-2019.4.1-BandGap-mfi.safetensors");
        using var scorer = new RewardScorer(DngTable.Inputs(), setup, weights);
        var s = scorer.Score(structures, gapModel: null);
        var b = s.Inputs;
        Assert.All(b.Novel!, Assert.False);               // every one is in MP-20 val, the reference
        Assert.False(b.Unique![^1]);                      // the copy
        Assert.Equal(structures.Count - 1, b.Unique.Count(u => u));
        // Unique but not novel: the AMD distance to the nearest other same-formula crystal, clipped to [0, 1]; the copy
        // (neither unique nor novel) gets 0.
        Assert.All(s.Components["creativity"].Take(structures.Count - 1), c => Assert.InRange(c, 0.0, 1.0));
        Assert.Equal(0.0, s.Components["creativity"][^1]);
        // MP-20 crystals lie within 0.08 eV/atom of MP's hull; M3GNet + μ puts them within the fit's error of it.
        Assert.All(b.EnergyAboveHullEv!, e => Assert.InRange(e!.Value, -0.3, 0.3));
        var table = DngTable.From(b, scorer.StructureReference, scorer.CompositionReference);
        Assert.Equal(0, table.NovelPct);
        Assert.True(table.StructureDiversity > 0 && table.CompositionDiversity > 0);
    }

    [Fact]
    public void EnergyTerm_OnRelaxedDesigns_IsNeverAboveTheSinglePoint()
    {
        var structures = TestData.Mp20Records(4, r => r.Structure is { NumSites: <= 6 }).Select(r => r.Structure!).ToList();
        var shared = TestData.SharedDir;
        var setup = new RewardSetup
        {
            Reference = TestData.Mp20Val,
            HullData = [Path.Combine(shared, "data", "mp20", "mp20_train_nocoords.jsonl.gz"), TestData.Mp20Val],
            EnergyWeights = Path.Combine(shared, "reference", "m3gnet", "M3GNet-MP-2021.2.8-PES.safetensors"),
        };
        var weights = Path.Combine(shared, "reference", "megnet", "MEGNet-MP-2019.4.1-BandGap-mfi.safetensors");
        var energyOnly = CompositeReward.FromOptions([new RewardComponentOptions { Kind = "energy" }], 1.12, 1);
        using var single = new RewardScorer(energyOnly, setup, weights);
        using var relaxed = new RewardScorer(energyOnly, setup with { EnergyRelax = true, EnergyRelaxSteps = 50 }, weights);
        var e0 = single.Score(structures, null).Inputs.EnergyAboveHullEv!;
        var e1 = relaxed.Score(structures, null).Inputs.EnergyAboveHullEv!;
        for (int i = 0; i < structures.Count; i++)
            Assert.True(e1[i]!.Value <= e0[i]!.Value + 1e-4, $"{structures[i].Composition.ReducedFormula}: relaxed {e1[i]} > single point {e0[i]}");
    }
}
