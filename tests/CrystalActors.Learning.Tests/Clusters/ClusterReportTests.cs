using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Learning.Clusters;

namespace CrystalActors.Learning.Tests.Clusters;

public class ClusterReportTests
{
    private static void FakeRun(string root, int seed, params (string Method, double[] Energies, double Seconds)[] methods)
    {
        var dir = Path.Combine(root, $"ga-seed{seed}");
        var ga = Element.FromSymbol("Ga");
        foreach (var (method, energies, _) in methods)
            ExtendedXyz.WriteMolecules(Path.Combine(dir, method, "isomers.xyz"), energies.Select(e =>
                (new Molecule([ga, ga], [Vec3.Zero, new Vec3(2.5 - e / 10, 0, 0)]), (IEnumerable<KeyValuePair<string, object>>?)new KeyValuePair<string, object>[] { new("energy", e) })));
        var list = string.Join(",", methods.Select(m => $$"""{"method":"{{m.Method}}","evaluations":100,"seconds":{{m.Seconds}}}"""));
        File.WriteAllText(Path.Combine(dir, "summary.json"), $$"""{"methods":[{{list}}]}""");
    }

    [Fact]
    public void Table_GivesLowestMeanSdAndLowEnergyCounts_ByHand()
    {
        var root = Directory.CreateTempSubdirectory("ca-report-").FullName;
        FakeRun(root, 0, ("rl", [-10.0, -9.95, -9.5], 10), ("random", [-9.9, -9.0], 20));
        FakeRun(root, 1, ("rl", [-10.2, -10.15], 30), ("random", [-10.0], 40));
        var lines = ClusterReport.Markdown(root, "ga", windowEv: 0.1).Split('\n');
        Assert.Equal("### ga  (global lowest over all methods and seeds: -10.2000 eV)", lines[0]);
        // rl: minima −10.0 and −10.2 → mean −10.1, sample sd 0.1414; unique 3 and 2 → 2.5; within −10.1: 0 and 2 → 1.0
        Assert.Equal("| rl | 2 | 100 | -10.2000 | -10.1000 ± 0.1414 | 2.5 | 1.0 | 20 |", lines[3]);
        // random: −9.9 and −10.0 → mean −9.95, sd 0.0707; unique 2 and 1 → 1.5; none within 0.1 of −10.2
        Assert.Equal("| random | 2 | 100 | -10.0000 | -9.9500 ± 0.0707 | 1.5 | 0.0 | 30 |", lines[4]);
    }

    [Fact]
    public void NoRuns_IsOneClearError()
    {
        var e = Assert.Throws<FileNotFoundException>(() => ClusterReport.Markdown("/nonexistent", "ga"));
        Assert.Contains("ga-seed<N>/summary.json", e.Message);
    }
}
