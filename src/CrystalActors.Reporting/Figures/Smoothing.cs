namespace CrystalActors.Reporting.Figures;

/// <summary>How a noisy per-episode curve becomes one a reader can follow, and how long curves stay small in the page.</summary>
public static class Smoothing
{
    /// <summary>
    /// The trailing-mean window for <paramref name="count"/> points: a twentieth of the run, at most 100 episodes
    /// (the window of the campaign's own "mean reward, last 100"), at least 1.
    /// </summary>
    public static int WindowFor(int count) => Math.Clamp(count / 20, 1, 100);

    /// <summary>Each point's mean with the <paramref name="window"/> − 1 points before it (fewer at the start).</summary>
    public static double[] TrailingMean(IReadOnlyList<double> values, int window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        var mean = new double[values.Count];
        double sum = 0;
        for (int i = 0; i < values.Count; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            mean[i] = sum / Math.Min(i + 1, window);
        }
        return mean;
    }

    /// <summary>
    /// At most about <paramref name="maxPoints"/> points of a series: every k-th, always with the last, so that an inline
    /// SVG of a 100,000-episode run stays a few hundred kilobytes. Smooth first: thinning drops points, it does not average them.
    /// </summary>
    public static Series Thin(Series s, int maxPoints = 1500)
    {
        int n = s.X.Count;
        if (n <= maxPoints) return s;
        int k = (n + maxPoints - 1) / maxPoints;
        var keep = Enumerable.Range(0, n).Where(i => i % k == 0 || i == n - 1).ToList();
        return s with { X = keep.Select(i => s.X[i]).ToArray(), Y = keep.Select(i => s.Y[i]).ToArray() };
    }
}
