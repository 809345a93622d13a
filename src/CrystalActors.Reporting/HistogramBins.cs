namespace CrystalActors.Reporting;

/// <summary><paramref name="Count"/> equal-width bins from <paramref name="Lower"/> to <paramref name="Upper"/>; the last bin includes its upper edge.</summary>
public sealed record HistogramBins(double Lower, double Upper, int Count)
{
    public double Width => (Upper - Lower) / Count;

    public double Center(int bin) => Lower + Width * (bin + 0.5);

    /// <summary>
    /// Bins spanning every value of every set and <paramref name="include"/> (a target that should be on the axis even
    /// when no design came near it). √n bins (5 to 30) unless <paramref name="count"/> is given; a single value gets a 1-wide span.
    /// </summary>
    public static HistogramBins Spanning(IEnumerable<IReadOnlyList<double>> sets, double? include = null, int? count = null)
    {
        var all = sets.SelectMany(s => s).Where(double.IsFinite).ToList();
        var ends = include is { } x && double.IsFinite(x) ? all.Append(x).ToList() : all;
        if (ends.Count == 0) throw new ArgumentException("no finite values to bin", nameof(sets));
        double lo = ends.Min(), hi = ends.Max();
        if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
        int bins = count ?? Math.Clamp((int)Math.Ceiling(Math.Sqrt(all.Count)), 5, 30);
        return new HistogramBins(lo, hi, bins);
    }

    /// <summary>How many of <paramref name="values"/> fall in each bin; values outside the bins and non-finite ones are not counted.</summary>
    public int[] CountsOf(IEnumerable<double> values)
    {
        var counts = new int[Count];
        foreach (var v in values)
        {
            if (!double.IsFinite(v) || v < Lower || v > Upper) continue;
            counts[Math.Min((int)((v - Lower) / Width), Count - 1)]++;
        }
        return counts;
    }
}
