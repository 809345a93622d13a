using System.Globalization;
using System.Text.RegularExpressions;

namespace CrystalActors.Dft.Handlers;

/// <summary>Settings of <see cref="ScfMonitor"/>.</summary>
public sealed record ScfMonitorOptions
{
    /// <summary>No verdict before this many SCF iterations.</summary>
    public int MinIterations { get; init; } = 20;
    /// <summary>Trend is measured over this many most recent iterations.</summary>
    public int Window { get; init; } = 15;
    /// <summary>
    /// The SCF must gain at least this many decades of accuracy per iteration over the window (0.02 = one decade
    /// per 50 iterations); a healthy SCF gains 0.1-0.5.
    /// </summary>
    public double MinDecadesPerIteration { get; init; } = 0.02;
}

/// <summary>
/// Watches pw.x output while it runs and says when to stop an SCF that will not converge, in the manner of
/// custodian's NonConvergingErrorHandler. It fits the trend of log10(estimated scf accuracy) over a window of
/// recent iterations with the Theil-Sen estimator (the median of pairwise slopes, so one lucky dip in an
/// oscillating run does not count as progress) and stops when the trend is flatter than the minimum rate, or
/// when at that rate conv_thr could not be reached within electron_maxstep. Pure: it only sees lines.
/// </summary>
public sealed partial class ScfMonitor(double convThrRy, int electronMaxstep, ScfMonitorOptions? options = null)
{
    private readonly ScfMonitorOptions _options = options ?? new ScfMonitorOptions();
    private readonly List<double> _log10Accuracy = [];

    /// <summary>Why the run should stop; null while it should go on.</summary>
    public string? StopReason { get; private set; }

    public int Iterations => _log10Accuracy.Count;

    /// <summary>Feeds one output line; returns true once the run should be stopped.</summary>
    public bool Feed(string line)
    {
        if (StopReason is not null) return true;
        var m = AccuracyRegex().Match(line);
        if (!m.Success) return false;
        if (!double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double acc)) return false;
        _log10Accuracy.Add(Math.Log10(Math.Max(acc, 1e-300)));
        StopReason = Evaluate();
        return StopReason is not null;
    }

    private string? Evaluate()
    {
        int n = _log10Accuracy.Count;
        if (n < Math.Max(_options.MinIterations, _options.Window)) return null;
        double slope = TheilSenSlope(_log10Accuracy, n - _options.Window, n);
        double current = _log10Accuracy[^1];
        if (slope > -_options.MinDecadesPerIteration)
            return FormattableString.Invariant(
                $"SCF accuracy stagnating or oscillating: {-slope:F3} decades gained per iteration over the last {_options.Window} (need {_options.MinDecadesPerIteration}), accuracy {Math.Pow(10, current):E2} Ry after {n} iterations");
        double decadesLeft = current - Math.Log10(convThrRy);
        int iterationsLeft = electronMaxstep - n;
        if (decadesLeft > 0 && decadesLeft / -slope > iterationsLeft)
            return FormattableString.Invariant(
                $"SCF too slow: {decadesLeft:F1} decades to conv_thr at {-slope:F3} per iteration exceed the {iterationsLeft} iterations left");
        return null;
    }

    /// <summary>Median of (y_j - y_i)/(j - i) over all pairs i &lt; j in [from, to).</summary>
    public static double TheilSenSlope(IReadOnlyList<double> y, int from, int to)
    {
        var slopes = new List<double>((to - from) * (to - from - 1) / 2);
        for (int i = from; i < to; i++)
            for (int j = i + 1; j < to; j++)
                slopes.Add((y[j] - y[i]) / (j - i));
        if (slopes.Count == 0) return 0;
        slopes.Sort();
        int mid = slopes.Count / 2;
        return slopes.Count % 2 == 1 ? slopes[mid] : 0.5 * (slopes[mid - 1] + slopes[mid]);
    }

    [GeneratedRegex(@"estimated scf accuracy\s+<\s+(\d+\.?\d*(?:[Ee][-+]?\d+)?)\s+Ry")]
    private static partial Regex AccuracyRegex();
}
