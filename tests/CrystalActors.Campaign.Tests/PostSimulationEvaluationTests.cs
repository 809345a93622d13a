using CrystalActors.Tests.Shared;
using CrystalActors.Campaign.Evaluation;
using CrystalActors.Crystals.Io;
using CrystalActors.Dft.Input;
using CrystalActors.Learning.Offline;

namespace CrystalActors.Campaign.Tests;

/// <summary>Issue #16: generated crystals judged by DFT through the farm, with real pw.x on small cells.</summary>
public sealed class PostSimulationEvaluationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("post-sim-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly DftProtocol Fast = DftProtocol.Sssp with { Name = "fast", EcutWfcRy = 20, EcutRhoRy = 160, KSpacingInvAngstrom = 0.6 };

    [Fact]
    public void Choose_MaxSites_SamplesOnlySmallCells_ButCountsEveryValidOne()
    {
        // mp-23289 (KCl, 2 sites) and mp-1541 (BeSe, 2 sites) against the 20-site mp-22661: all three fills are SMACT-valid.
        var ids = new[] { "mp-23289", "mp-1541", "mp-22661" }.ToHashSet();
        var truth = Mp20JsonlReader.Read(SharedData.File("data", "mp20", "mp20_val.jsonl.gz")).Where(r => ids.Contains(r.MaterialId)).ToDictionary(r => r.MaterialId);
        var big = truth["mp-22661"];
        var generated = new[]
        {
            new GeneratedCrystal("mp-23289", ["Na", "Cl"]), new GeneratedCrystal("mp-1541", ["Mg", "S"]),
            new GeneratedCrystal("mp-22661", big.Species.Select(e => e.Symbol).ToArray()),
        };
        Assert.Equal(20, big.Structure!.NumSites);
        var (valid, all) = PostSimulationEvaluation.Choose(generated, truth, n: 3, seed: 0);
        Assert.Equal(3, valid);
        Assert.Equal(3, all.Count);
        var (validSmall, small) = PostSimulationEvaluation.Choose(generated, truth, n: 3, seed: 0, maxSites: 8);
        Assert.Equal(3, validSmall);
        Assert.Equal(["mp-23289", "mp-1541"], small.Select(c => c.MaterialId));
    }

    [PwFact]
    public async Task TwoSkeletons_AreComputedOnBothSides_AndAResumedRunReusesTheFarmsResults()
    {
        // CsCl-type KCl refilled with Na/Cl, and zinc-blende BeSe refilled with Mg/S; a third, SMACT-invalid fill is never computed.
        var generated = new[]
        {
            new GeneratedCrystal("mp-23289", ["Na", "Cl"]), new GeneratedCrystal("mp-1541", ["Mg", "S"]), new GeneratedCrystal("mp-8062", ["Na", "Ne"]),
        };
        var ids = generated.Select(g => g.MaterialId).ToHashSet();
        var truth = Mp20JsonlReader.Read(SharedData.File("data", "mp20", "mp20_val.jsonl.gz")).Where(r => ids.Contains(r.MaterialId)).ToDictionary(r => r.MaterialId);
        var (valid, chosen) = PostSimulationEvaluation.Choose(generated, truth, n: 5, seed: 0);
        Assert.Equal(2, valid);
        Assert.Equal(["mp-23289", "mp-1541"], chosen.Select(c => c.MaterialId));

        var options = new DftBatchOptions { Protocol = Fast, StateDirectory = Path.Combine(_dir, "farm") };
        var (metrics, pairs) = await PostSimulationEvaluation.RunAsync(chosen, targetGapEv: 3.0, options);
        Assert.Equal(2, metrics.DftN);
        Assert.Equal(100.0, metrics.DftSuccessPct);
        var kcl = pairs.Single(p => p.MaterialId == "mp-23289");
        // PBE gaps of the CsCl-type chlorides: ~4.9 eV for KCl (MP-20 lists 4.82), ~3.3 eV for NaCl.
        Assert.InRange(kcl.TrueGapEv!.Value, 4.3, 5.4);
        Assert.InRange(kcl.GeneratedGapEv!.Value, 2.8, 3.8);
        Assert.All(pairs, p => Assert.InRange(p.TrueEnergyPerAtomEv!.Value, -2000, -100)); // total energy per atom (eV) with SSSP's pseudopotentials
        Assert.Equal(PostSimulationMetrics.Compute(pairs, 3.0), metrics);

        // The same evaluation again: the farm's journal has every job, nothing is recomputed, the numbers are the same.
        var started = DateTime.UtcNow;
        var (again, _) = await PostSimulationEvaluation.RunAsync(chosen, targetGapEv: 3.0, options);
        Assert.Equal(metrics, again);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(60));
    }
}
