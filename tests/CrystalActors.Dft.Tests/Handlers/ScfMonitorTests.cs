using CrystalActors.Dft.Handlers;

namespace CrystalActors.Dft.Tests.Handlers;

public class ScfMonitorTests
{
    private static (bool Stopped, int AtIteration, string? Reason) Replay(string runName, double convThr = 1e-6, int maxstep = 1000)
    {
        var monitor = new ScfMonitor(convThr, maxstep);
        foreach (var line in TestData.Output(runName).Split('\n'))
            if (monitor.Feed(line)) return (true, monitor.Iterations, monitor.StopReason);
        return (false, monitor.Iterations, null);
    }

    [Fact]
    public void Feed_MetalUnderFixedOccupations_StopsAfterTwentyIterationsInsteadOfAThousand()
    {
        var (stopped, at, reason) = Replay("val_mp-1217106_B_fixed"); // Ti2C: stuck at 6.6e-5 Ry for 980 iterations
        Assert.True(stopped);
        Assert.Equal(20, at);
        Assert.Contains("stagnating", reason);
    }

    [Fact]
    public void Feed_OscillatingRunWithOneLuckyDip_StillStops()
    {
        var (stopped, at, _) = Replay("val_mp-864640_A"); // Ta2NbIr: ~1.3e-3 Ry with a single dip to 2.6e-4
        Assert.True(stopped);
        Assert.InRange(at, 20, 27);
    }

    [Theory]
    [InlineData("val_mp-22894_A")]
    [InlineData("val_mp-1186119_B_smear")]
    [InlineData("val_mp-753001_A")]
    public void Feed_HealthyRuns_NeverStop(string runName) => Assert.False(Replay(runName).Stopped);

    [Fact]
    public void Feed_SteadyButTooSlowForTheStepBudget_Stops()
    {
        var monitor = new ScfMonitor(1e-6, 40);
        bool stopped = false;
        for (int i = 0; i < 40 && !stopped; i++)
            stopped = monitor.Feed($"     estimated scf accuracy    <       {Math.Pow(10, -1 - 0.05 * i):F8} Ry");
        Assert.True(stopped);
        Assert.Contains("too slow", monitor.StopReason);
    }

    [Fact]
    public void TheilSenSlope_IgnoresASingleOutlier()
    {
        double[] y = [0, -1, -2, -3, 10, -5, -6];
        Assert.Equal(-1.0, ScfMonitor.TheilSenSlope(y, 0, y.Length), 10);
    }
}
