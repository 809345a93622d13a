using CrystalActors.Learning.Offline;

namespace CrystalActors.Learning.Tests.Offline;

public class PredictedGapsTests
{
    [Fact]
    public void Of_GivesMeanPopulationStdAndShareInTheWindow()
    {
        // 0.9 and 1.3 lie in 1.12 ± 0.25; 2.0 and 0.0 do not.
        var p = PredictedGaps.Of([0.9, 1.3, 2.0, 0.0], targetGapEv: 1.12);
        Assert.Equal(1.05, p.MeanEv, 12);
        double variance = (0.15 * 0.15 + 0.25 * 0.25 + 0.95 * 0.95 + 1.05 * 1.05) / 4; // population, as numpy's std
        Assert.Equal(Math.Sqrt(variance), p.StdEv, 12);
        Assert.Equal(50.0, p.InTargetPct, 12);
        Assert.Equal(4, p.N);
    }

    [Fact]
    public void Of_WiderWindow_CountsMore()
    {
        // p̂ = 1.7: nothing lies within 0.25 eV (1.3 and 2.0 are 0.4 and 0.3 away); both lie within 0.5 eV.
        Assert.Equal(0.0, PredictedGaps.Of([0.9, 1.3, 2.0, 0.0], targetGapEv: 1.7).InTargetPct, 12);
        Assert.Equal(50.0, PredictedGaps.Of([0.9, 1.3, 2.0, 0.0], targetGapEv: 1.7, windowEv: 0.5).InTargetPct, 12);
    }

    [Fact]
    public void Of_NoGaps_Throws() => Assert.Throws<ArgumentException>(() => PredictedGaps.Of([], 1.12));
}
