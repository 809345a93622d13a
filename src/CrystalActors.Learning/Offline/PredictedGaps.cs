using System.Text.Json.Serialization;

namespace CrystalActors.Learning.Offline;

/// <summary>
/// The band-gap model's view of a set of generated crystals, before any DFT: how far a conditioned policy moves the
/// gap distribution towards p̂, measured on every generated crystal in seconds rather than on a few by DFT in hours.
/// </summary>
public sealed record PredictedGaps(
    [property: JsonPropertyName("mean_predicted_gap_ev")] double MeanEv,
    [property: JsonPropertyName("std_predicted_gap_ev")] double StdEv,
    [property: JsonPropertyName("predicted_in_target_pct")] double InTargetPct,
    [property: JsonPropertyName("predicted_n")] int N)
{
    /// <summary>Half-width of the target window: the DFT in-target share ν's.</summary>
    public const double WindowEv = PostSimulationMetrics.Window;

    /// <summary>Mean, population standard deviation and the share (%) within p̂ ± <paramref name="windowEv"/> (inclusive).</summary>
    public static PredictedGaps Of(IReadOnlyList<double> gapsEv, double targetGapEv, double windowEv = WindowEv)
    {
        if (gapsEv.Count == 0) throw new ArgumentException("no predicted gaps", nameof(gapsEv));
        double mean = gapsEv.Average();
        double std = Math.Sqrt(gapsEv.Sum(g => (g - mean) * (g - mean)) / gapsEv.Count);
        double inTarget = 100.0 * gapsEv.Count(g => Math.Abs(g - targetGapEv) <= windowEv) / gapsEv.Count;
        return new PredictedGaps(mean, std, inTarget, gapsEv.Count);
    }
}
