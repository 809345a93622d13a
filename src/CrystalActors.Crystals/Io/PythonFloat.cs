using System.Globalization;

namespace CrystalActors.Crystals.Io;

/// <summary>Formats doubles the way Python's repr does ("0.0", "1e-09", "4.5621928503211694e-09"),
/// so JSON written here is byte-identical to the data set's JSONL (written by Python's json module).</summary>
internal static class PythonFloat
{
    public static string Format(double x)
    {
        if (double.IsNaN(x)) return "NaN";
        if (double.IsPositiveInfinity(x)) return "Infinity";
        if (double.IsNegativeInfinity(x)) return "-Infinity";
        // .NET's "R" gives the same shortest round-trip digits as Python; only the layout differs.
        string shortest = x.ToString("R", CultureInfo.InvariantCulture);
        // Extract digits and exponent from the shortest representation.
        bool negative = shortest.StartsWith('-') || (x == 0 && double.IsNegative(x));
        string s = shortest.TrimStart('-');
        int exp10 = 0;
        int e = s.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exp10 = int.Parse(s[(e + 1)..], CultureInfo.InvariantCulture);
            s = s[..e];
        }
        int dot = s.IndexOf('.');
        string intPart = dot >= 0 ? s[..dot] : s;
        string fracPart = dot >= 0 ? s[(dot + 1)..] : "";
        string digits = (intPart + fracPart).TrimStart('0');
        int leadingZerosRemoved = (intPart + fracPart).Length - digits.Length;
        // decimal point position relative to the start of `digits`
        int pointPos = intPart.Length - leadingZerosRemoved + exp10;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) return negative ? "-0.0" : "0.0";
        int decExp = pointPos - 1; // scientific exponent: d.ddd × 10^decExp
        string sign = negative ? "-" : "";
        if (decExp < -4 || decExp >= 16)
        {
            string mant = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            return $"{sign}{mant}e{(decExp < 0 ? "-" : "+")}{Math.Abs(decExp):D2}";
        }
        if (pointPos <= 0) return $"{sign}0.{new string('0', -pointPos)}{digits}";
        if (pointPos >= digits.Length) return $"{sign}{digits}{new string('0', pointPos - digits.Length)}.0";
        return $"{sign}{digits[..pointPos]}.{digits[pointPos..]}";
    }
}
