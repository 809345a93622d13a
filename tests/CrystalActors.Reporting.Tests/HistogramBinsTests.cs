namespace CrystalActors.Reporting.Tests;

public sealed class HistogramBinsTests
{
    [Fact]
    public void CountsOf_KnownValues_LastBinIncludesItsUpperEdge()
    {
        var bins = new HistogramBins(0, 2, 4);
        Assert.Equal([1, 1, 1, 2], bins.CountsOf([0, 0.5, 1, 1.5, 2]));
        Assert.Equal([0, 0, 0, 0], bins.CountsOf([-0.1, 2.1, double.NaN]));
        Assert.Equal(0.25, bins.Center(0));
    }

    [Fact]
    public void Spanning_ReachesTheTargetEvenWhenNoValueIsNearIt()
    {
        var bins = HistogramBins.Spanning([[2.0, 3.0], [2.5]], include: 1.0, count: 4);
        Assert.Equal((1.0, 3.0, 4), (bins.Lower, bins.Upper, bins.Count));
        Assert.Equal([0, 0, 1, 2], bins.CountsOf([2.0, 3.0, 2.5]));
    }

    [Fact]
    public void Spanning_OneDistinctValue_GetsAUnitWideSpanAroundIt()
    {
        var bins = HistogramBins.Spanning([[1.12, 1.12]]);
        Assert.Equal(0.62, bins.Lower, 12);
        Assert.Equal(1.62, bins.Upper, 12);
        Assert.Equal(2, bins.CountsOf([1.12, 1.12]).Sum());
    }

    [Fact]
    public void Spanning_BinCountGrowsAsTheSquareRootOfTheValues()
    {
        var hundred = Enumerable.Range(0, 100).Select(i => (double)i).ToArray();
        Assert.Equal(10, HistogramBins.Spanning([hundred]).Count);
        Assert.Equal(100, HistogramBins.Spanning([hundred]).CountsOf(hundred).Sum());
    }
}
