using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CrystalActors.Dft.Caching;

/// <summary>
/// A canonical fingerprint of a crystal: the same for any order of its sites, any rigid translation of all
/// fractional coordinates (including wrapping by lattice vectors) and any rotation of the cell, so that a
/// crystal generated twice is recognised. Built from
/// (1) the lattice metric (Gram matrix a_i·a_j, rotation-invariant), rounded to <see cref="MetricDecimals"/>;
/// (2) the species multiset; (3) the site list re-expressed relative to each atom of the rarest species in turn,
/// wrapped into [0,1), rounded to <see cref="FracDecimals"/> and sorted; the lexicographically smallest of those
/// candidate lists is the canonical one (it does not depend on which atom came first).
/// The lattice basis itself is not reduced: the same crystal in a different cell choice gets another fingerprint.
/// </summary>
public static class StructureFingerprint
{
    public const int MetricDecimals = 3;
    public const int FracDecimals = 4;

    public static string Compute(DftCell cell)
    {
        ArgumentNullException.ThrowIfNull(cell);
        var sb = new StringBuilder();
        var a = cell.LatticeAngstrom;
        sb.Append("G:");
        for (int i = 0; i < 3; i++)
            for (int j = i; j < 3; j++)
                sb.Append(Fmt(a[i][0] * a[j][0] + a[i][1] * a[j][1] + a[i][2] * a[j][2], MetricDecimals)).Append(',');

        var counts = cell.Species.GroupBy(s => s, StringComparer.Ordinal)
            .Select(g => (Species: g.Key, Count: g.Count()))
            .OrderBy(g => g.Count).ThenBy(g => g.Species, StringComparer.Ordinal).ToList();
        sb.Append("|S:").Append(string.Join(",", counts.OrderBy(c => c.Species, StringComparer.Ordinal).Select(c => $"{c.Species}{c.Count}")));

        string anchor = counts[0].Species;
        string? best = null;
        for (int origin = 0; origin < cell.NumSites; origin++)
        {
            if (cell.Species[origin] != anchor) continue;
            var o = cell.FractionalCoords[origin];
            var sites = new List<string>(cell.NumSites);
            for (int i = 0; i < cell.NumSites; i++)
            {
                var f = cell.FractionalCoords[i];
                sites.Add(cell.Species[i] + "@" + WrapRound(f[0] - o[0]) + "," + WrapRound(f[1] - o[1]) + "," + WrapRound(f[2] - o[2]));
            }
            sites.Sort(StringComparer.Ordinal);
            string candidate = string.Join(";", sites);
            if (best is null || string.CompareOrdinal(candidate, best) < 0) best = candidate;
        }
        sb.Append("|X:").Append(best);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())))[..32];
    }

    /// <summary>Rounds to the grid first and wraps the grid index, so 0.99999 and 0.0 land on the same value.</summary>
    private static string WrapRound(double x)
    {
        long scale = (long)Math.Pow(10, FracDecimals);
        long n = (long)Math.Round(x * scale, MidpointRounding.AwayFromZero);
        n = ((n % scale) + scale) % scale;
        return n.ToString(CultureInfo.InvariantCulture);
    }

    private static string Fmt(double x, int decimals)
    {
        double r = Math.Round(x, decimals, MidpointRounding.AwayFromZero);
        if (r == 0) r = 0; // no '-0'
        return r.ToString("F" + decimals, CultureInfo.InvariantCulture);
    }
}
