using System.Diagnostics;
using CrystalActors.Crystals.Matching;
using Xunit.Abstractions;

namespace CrystalActors.Crystals.Tests.Matching;

/// <summary>Prints how fast <see cref="StructureMatcher.Fit(Structure, Structure)"/> runs on real same-formula pairs.
/// Informational: nothing here asserts a time.</summary>
public class MatcherThroughputTests(ITestOutputHelper output)
{
    /// <summary>The first 200 pairs of consecutive same-formula val crystals (formulas in order of first appearance).</summary>
    internal static List<(Structure A, Structure B)> SameFormulaValPairs(int count = 200)
    {
        var pairs = new List<(Structure, Structure)>();
        foreach (var group in Mp20Val.Records.Select(r => r.Structure!).GroupBy(s => s.Composition.ReducedFormula))
        {
            var list = group.ToList();
            for (int i = 0; i + 1 < list.Count && pairs.Count < count; i++) pairs.Add((list[i], list[i + 1]));
            if (pairs.Count == count) break;
        }
        return pairs;
    }

    [Fact]
    public void Fit_200SameFormulaValPairs_Throughput()
    {
        var pairs = SameFormulaValPairs();
        Assert.Equal(200, pairs.Count);
        // JIT warm-up on other crystals, so the numbers below are steady-state code.
        var warmUp = new StructureMatcher();
        foreach (var (a, b) in SameFormulaValPairs(260).Skip(200)) warmUp.Fit(a, b);

        var matcher = new StructureMatcher();
        var sw = Stopwatch.StartNew();
        int matches = pairs.Count(p => matcher.Fit(p.A, p.B));
        double cold = sw.Elapsed.TotalSeconds;
        double warm = double.PositiveInfinity;
        for (int pass = 0; pass < 3; pass++)
        {
            sw.Restart();
            Assert.Equal(matches, pairs.Count(p => matcher.Fit(p.A, p.B)));
            warm = Math.Min(warm, sw.Elapsed.TotalSeconds);
        }
        int sites = pairs.Sum(p => p.A.NumSites + p.B.NumSites);
        output.WriteLine($"{pairs.Count} same-formula val pairs ({sites / (2.0 * pairs.Count):F1} sites per crystal on average), {matches} fit");
        output.WriteLine($"cold (Niggli + primitive reduction of each crystal, then matching): {cold * 1000:F1} ms = {pairs.Count / cold:F0} pairs/s");
        output.WriteLine($"warm (reductions cached by the matcher; best of 3): {warm * 1000:F1} ms = {pairs.Count / warm:F0} pairs/s");
    }
}
