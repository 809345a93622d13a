using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Crystals.Thermo;
using CrystalActors.Models.M3gnet;
using CrystalActors.Models.Reward;
using CrystalActors.Torch;
using Xunit.Abstractions;

namespace CrystalActors.Models.Tests;

/// <summary>The shipped μ (models/hull) against fresh M3GNet MP-2021 energies, and the energy reward end to end.</summary>
public class HullEnergyRewardTests(ITestOutputHelper output)
{
    /// <summary>Held-out MAE bound (eV/atom) for the shipped μ. `reward hull-fit` measured 0.0219 on all 1813 held-out
    /// MP-20 val crystals (RMSE 0.0583); 0.04 leaves room for the subset's spread.</summary>
    public const double HeldOutMaeBound = 0.04;

    private static readonly Lazy<IReadOnlyList<Mp20Record>> Val = new(() =>
        Mp20JsonlReader.Read(Path.Combine(M3gnetTestData.SharedDir, "data", "mp20", "mp20_val.jsonl.gz")).ToList());

    [Fact]
    public void ShippedMu_HeldOutSubset_MaeBelowBound()
    {
        var mu = ChemicalPotentials.Load(ChemicalPotentials.FindShipped());
        var heldOut = Val.Value.Where(r => DatasetSplit.IsHeldOut(r.MaterialId) && r.FormationEnergyPerAtom is not null).Take(200).ToList();
        var potential = M3gnetTests.Potential(M3gnetTestData.MpWeights, ScalarType.Float32);
        double[] energies;
        lock (typeof(M3gnetTests)) (energies, _) = HullEnergyReward.EnergiesPerAtom(potential, heldOut.Select(r => r.Structure!).ToList());
        var samples = heldOut.Select((r, i) => new FormationEnergySample(r.Composition, energies[i], r.FormationEnergyPerAtom!.Value, r.MaterialId)).ToList();
        var errors = ChemicalPotentialFit.Evaluate(mu, samples);
        output.WriteLine($"shipped μ on {samples.Count} held-out crystals: {errors}");
        Assert.Equal(samples.Count, errors.N);
        Assert.InRange(errors.Mae, 0, HeldOutMaeBound);
    }

    [Fact]
    public void Evaluate_RealAndBrokenStructures_RewardsInRange_FailuresMinusOne()
    {
        var val = Val.Value;
        var reference = new HullReference(HullReference.BuildPhaseDiagram(val), ChemicalPotentials.Load(ChemicalPotentials.FindShipped()));
        var good = val.Where(r => DatasetSplit.IsHeldOut(r.MaterialId)).Take(6).Select(r => r.Structure!).ToList();
        var collapsed = Structure.FromSpecies(Lattice.Cubic(0.5), [Element.FromSymbol("Na"), Element.FromSymbol("Cl")], [new Vec3(0, 0, 0), new Vec3(0.5, 0.5, 0.5)]);
        var neon = Structure.FromSpecies(Lattice.Cubic(4.4), [Element.FromSymbol("Ne")], [new Vec3(0, 0, 0)]); // no μ for Ne
        var reward = new HullEnergyReward(M3gnetTests.Potential(M3gnetTestData.MpWeights, ScalarType.Float32), reference);
        HullRewardResult[] results;
        lock (typeof(M3gnetTests)) results = reward.Evaluate([.. good, collapsed, neon], batchSize: 4);
        for (int i = 0; i < good.Count; i++)
        {
            output.WriteLine($"{good[i].Id}: E {results[i].EnergyPerAtom:F4} eV/atom, e_hull {results[i].EAboveHull:F4}, reward {results[i].Reward:F4}");
            Assert.False(results[i].Failed, results[i].Error);
            Assert.InRange(results[i].Reward, -1, 0);
            Assert.Equal(HullReference.EnergyReward(results[i].EAboveHull), results[i].Reward);
            Assert.InRange(results[i].EAboveHull, -0.3, 0.3); // real MP-20 crystals sit near their own hull
        }
        Assert.True(results[^2].Failed);
        Assert.Contains("Å³ per atom", results[^2].Error);
        Assert.Equal(-1.0, results[^2].Reward);
        Assert.True(results[^1].Failed);
        Assert.Contains("Ne", results[^1].Error);
        Assert.Equal(-1.0, results[^1].Reward);
        Assert.True(double.IsFinite(results[^1].EnergyPerAtom)); // M3GNet knows Ne; the μ table does not
    }
}
