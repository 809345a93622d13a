using System.Diagnostics;
using CrystalActors.Crystals.Io;
using CrystalActors.Crystals.Thermo;
using Xunit.Abstractions;

namespace CrystalActors.Crystals.Tests.Thermo;

/// <summary>The MP-20 reference hull (train + val formation energies) and the Chemeleon2 reward transform.</summary>
public class HullReferenceTests(ITestOutputHelper output)
{
    private static readonly Lazy<IReadOnlyList<Mp20Record>> TrainAndVal = new(() =>
        Mp20JsonlReader.Read(SharedData.Path("data", "mp20", "mp20_train_nocoords.jsonl.gz")).Concat(Mp20Val.Records).ToList());
    private static readonly Lazy<PhaseDiagram> Mp20Hull = new(() => HullReference.BuildPhaseDiagram(TrainAndVal.Value));

    [Fact]
    public void BuildPhaseDiagram_Mp20_EveryValCrystalWithinMp20sHullCut()
    {
        var pd = Mp20Hull.Value;
        Assert.True(pd.Entries.Count > 36000);
        // MP-20 keeps crystals with MP e_hull < 0.08 eV/atom; against the MP-20 phases alone (a subset of MP, so a
        // hull no lower) each crystal is at least 0 (it is in the diagram) and at most that cut.
        var eHull = Mp20Val.Records.Select(r => pd.EnergyAboveHull(r.Composition, r.FormationEnergyPerAtom!.Value)).ToArray();
        output.WriteLine($"val e_hull vs MP-20: min {eHull.Min():G3}, max {eHull.Max():G3}, on the hull {eHull.Count(e => e <= 1e-9)} of {eHull.Length}");
        Assert.All(eHull, e => Assert.InRange(e, -1e-9, 0.08));
    }

    [Fact]
    public void EnergyAboveHull_StructureAndComposition_Agree_WithShippedMu()
    {
        var reference = new HullReference(Mp20Hull.Value, ChemicalPotentials.Load(ChemicalPotentials.FindShipped()));
        var r = Mp20Val.Records.First(x => x.Composition.NumElements == 3);
        double e = reference.ChemicalPotentials.ReferenceEnergyPerAtom(r.Composition) + r.FormationEnergyPerAtom!.Value + 0.05;
        double byStructure = reference.EnergyAboveHull(r.Structure!, e);
        Assert.Equal(byStructure, reference.EnergyAboveHull(r.Composition, e), 12);
        // An M3GNet energy that maps exactly onto the crystal's own formation energy plus 0.05 is 0.05 above it.
        Assert.Equal(0.05 + Mp20Hull.Value.EnergyAboveHull(r.Composition, r.FormationEnergyPerAtom!.Value), byStructure, 9);
        Assert.Contains("Ne", Assert.Throws<ArgumentException>(() => reference.EnergyAboveHull(Composition.Parse("NeO"), -5)).Message);
    }

    [Theory]
    [InlineData(0.05, -0.05)]
    [InlineData(0.0, 0.0)]
    [InlineData(-0.2, 0.0)]
    [InlineData(1.0, -1.0)]
    [InlineData(3.0, -1.0)]
    [InlineData(double.NaN, -1.0)]
    [InlineData(double.PositiveInfinity, -1.0)]
    [InlineData(double.NegativeInfinity, 0.0)]
    public void EnergyReward_IsChemeleon2sTransform(double eHull, double reward) =>
        Assert.Equal(reward, HullReference.EnergyReward(eHull), 12);

    /// <summary>Speed of e_above_hull on batches of 64 random MP-20 val crystals once the hull is built: printed, not asserted.</summary>
    [Fact]
    public void Benchmark_QueriesPerSecond_Batch64()
    {
        var records = TrainAndVal.Value;
        var sw = Stopwatch.StartNew();
        var reference = new HullReference(HullReference.BuildPhaseDiagram(records), ChemicalPotentials.Load(ChemicalPotentials.FindShipped()));
        double build = sw.Elapsed.TotalMilliseconds;
        var rng = new Random(64);
        var val = Mp20Val.Records;
        var batch = Enumerable.Range(0, 64).Select(_ => val[rng.Next(val.Count)]).ToArray();
        var energies = batch.Select(r => reference.ChemicalPotentials.ReferenceEnergyPerAtom(r.Composition) + r.FormationEnergyPerAtom!.Value).ToArray();
        sw.Restart();
        double sum = 0;
        for (int i = 0; i < batch.Length; i++) sum += reference.EnergyAboveHull(batch[i].Structure!, energies[i]);
        double first = sw.Elapsed.TotalMilliseconds;
        int queries = 0;
        sw.Restart();
        while (sw.Elapsed.TotalSeconds < 1)
        {
            for (int i = 0; i < batch.Length; i++) sum += reference.EnergyAboveHull(batch[i].Structure!, energies[i]);
            queries += batch.Length;
        }
        output.WriteLine($"phase diagram of {records.Count} MP-20 records: {build:F0} ms; first batch of 64 (builds their " +
                         $"{reference.PhaseDiagram.CachedSystemCount} chemical systems): {first:F1} ms; " +
                         $"then {queries / sw.Elapsed.TotalSeconds:F0} e_above_hull queries/s ({sw.Elapsed.TotalMilliseconds * 1000 / queries:F2} µs each); checksum {sum:F3}");
    }
}
