using CrystalActors.Learning.Offline;

namespace CrystalActors.Learning.Tests.Offline;

public class PostSimulationMetricsTests
{
    [Theory]
    [InlineData(new[] { 0.0, 1, 3 }, new[] { 5.0, 6, 8 }, 5.0)]   // a shift by 5
    [InlineData(new[] { 0.0, 1 }, new[] { 0.0, 3 }, 1.0)]         // half the mass moves 2
    [InlineData(new[] { 0.0 }, new[] { 0.0, 2 }, 1.0)]            // unequal sizes: half of b's mass is 2 away
    [InlineData(new[] { 1.5, 0.5 }, new[] { 0.5, 1.5 }, 0.0)]     // same sample, other order
    public void Wasserstein1_MatchesHandComputedValues(double[] a, double[] b, double expected) =>
        Assert.Equal(expected, PostSimulationMetrics.Wasserstein1(a, b), 12);

    [Fact]
    public void InTargetAndKappa_CountOnlyPairsWhereBothDftRunsSucceeded()
    {
        var pairs = new[]
        {
            new DftPair("a", 2.10, -5.0, 2.00, -6.0), // in, truth in
            new DftPair("b", 1.90, -4.0, 3.00, -5.0), // in, truth out: counts for kappa
            new DftPair("c", 0.50, -3.0, 2.20, -4.0), // out, truth in
            new DftPair("d", null, null, 1.00, -3.0), // generated DFT failed
            new DftPair("e", 2.25, -2.0, null, null), // true DFT failed; 2.25 is exactly on the window's edge
        };
        var m = PostSimulationMetrics.Compute(pairs, targetGapEv: 2.0);
        Assert.Equal(5, m.DftN);
        Assert.Equal(80.0, m.DftSuccessPct!.Value, 12);
        Assert.Equal(200.0 / 3, m.InTargetPct!.Value, 12);
        Assert.Equal(100.0 / 3, m.KappaPct!.Value, 12);
        Assert.Equal(200.0 / 3, m.TrueInTargetPct!.Value, 12);
        Assert.Equal((2.10 + 1.90 + 0.50 + 2.25) / 4, m.MeanGapEv!.Value, 12);
        Assert.Equal(-3.5, m.MeanEnergyEvPerAtom!.Value, 12);
        Assert.Equal(PostSimulationMetrics.Wasserstein1([2.10, 1.90, 0.50, 2.25], [2.00, 3.00, 2.20, 1.00]), m.EmdGapEv!.Value, 12);
        Assert.Equal(PostSimulationMetrics.Wasserstein1([-5.0, -4, -3, -2], [-6.0, -5, -4, -3]), m.EmdEnergyEvPerAtom!.Value, 12);
        Assert.Equal(1.0, m.EmdEnergyEvPerAtom!.Value, 12);
    }

    [Fact]
    public void NoSuccessfulDft_LeavesTheDistributionMetricsUnknown()
    {
        var m = PostSimulationMetrics.Compute([new DftPair("a", null, null, 1.0, -3.0)], 1.12);
        Assert.Equal((0.0, (double?)null, (double?)null, (double?)null), (m.DftSuccessPct!.Value, m.EmdGapEv, m.InTargetPct, m.MeanGapEv));
    }

    [Fact]
    public void Choose_IsReproducibleBySeed_AndKeepsInputOrder()
    {
        var items = Enumerable.Range(0, 20).ToArray();
        var a = PostSimulationMetrics.Choose(items, 5, seed: 1);
        Assert.Equal(a, PostSimulationMetrics.Choose(items, 5, seed: 1));
        Assert.Equal(5, a.Distinct().Count());
        Assert.Equal(a.OrderBy(x => x), a);
        Assert.NotEqual(a, PostSimulationMetrics.Choose(items, 5, seed: 2));
        Assert.Equal(items, PostSimulationMetrics.Choose(items, 50, seed: 1));
    }
}
