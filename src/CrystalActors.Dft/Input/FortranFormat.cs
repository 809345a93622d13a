using System.Globalization;

namespace CrystalActors.Dft.Input;

/// <summary>Number formatting for pw.x namelists, matching the reference inputs (Python float repr).</summary>
internal static class FortranFormat
{
    /// <summary>Shortest round-trip text in Python's repr style: '30.0', '0.7', '1e-06', '1e+16'.</summary>
    public static string Real(double x)
    {
        if (!double.IsFinite(x)) throw new ArgumentOutOfRangeException(nameof(x), x, "pw.x input needs a finite number");
        double ax = Math.Abs(x);
        if (ax != 0 && (ax < 1e-4 || ax >= 1e16))
        {
            string r = x.ToString("R", CultureInfo.InvariantCulture);
            // "R" gives e.g. "1E-06" or "1.5E-07"; rewrite the exponent with at least two digits, lower case.
            int k = r.IndexOfAny(['E', 'e']);
            if (k < 0) return r;
            string mant = r[..k];
            int exp = int.Parse(r[(k + 1)..], CultureInfo.InvariantCulture);
            return $"{mant}e{(exp < 0 ? "-" : "+")}{Math.Abs(exp):00}";
        }
        string s = x.ToString("R", CultureInfo.InvariantCulture);
        if (s.Contains('E')) s = x.ToString("F1", CultureInfo.InvariantCulture);
        return s.Contains('.') ? s : s + ".0";
    }

    /// <summary>Fixed 10 decimals, as the reference writes coordinates ('-0.0000000000' kept for negative zero).</summary>
    public static string Fixed10(double x) => x.ToString("F10", CultureInfo.InvariantCulture);
}
