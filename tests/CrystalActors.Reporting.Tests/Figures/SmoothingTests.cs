using CrystalActors.Reporting.Figures;

namespace CrystalActors.Reporting.Tests.Figures;

public sealed class SmoothingTests
{
    [Fact]
    public void TrailingMean_KnownValues_AveragesTheWindowEndingAtEachPoint()
    {
        Assert.Equal([1.0, 1.5, 2.5, 3.5, 4.5], Smoothing.TrailingMean([1, 2, 3, 4, 5], 2));
        Assert.Equal([0.0, 0.5, 1.0 / 3, 2.0 / 3, 1.0 / 3], Smoothing.TrailingMean([0, 1, 0, 1, 0], 3), new Tolerance(1e-12));
    }

    [Fact]
    public void TrailingMean_WindowOfOne_IsTheInput() => Assert.Equal([3.0, -1, 7], Smoothing.TrailingMean([3, -1, 7], 1));

    [Theory]
    [InlineData(5, 1)]
    [InlineData(96, 4)]
    [InlineData(2048, 100)]
    [InlineData(100_000, 100)]
    public void WindowFor_IsATwentiethOfTheRun_BetweenOneAndAHundred(int count, int window) => Assert.Equal(window, Smoothing.WindowFor(count));

    [Fact]
    public void Thin_LongSeries_KeepsEveryKthPointAndTheLast()
    {
        var x = Enumerable.Range(0, 10).Select(i => (double)i).ToArray();
        var thin = Smoothing.Thin(new Series("s", x, x), maxPoints: 4);
        Assert.Equal([0.0, 3, 6, 9], thin.X);
        Assert.Equal(thin.X, thin.Y);
    }

    [Fact]
    public void Thin_ShortSeries_IsUnchanged()
    {
        var s = new Series("s", [1.0, 2], [3.0, 4]);
        Assert.Same(s, Smoothing.Thin(s, maxPoints: 2));
    }

    private sealed class Tolerance(double eps) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= eps;
        public int GetHashCode(double x) => 0;
    }
}
