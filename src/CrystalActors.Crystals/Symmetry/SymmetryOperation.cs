using System.Globalization;

namespace CrystalActors.Crystals.Symmetry;

/// <summary>
/// A space-group operation acting on fractional coordinates: f' = R·f + t. Parsed from the CIF
/// "x, y, z" notation (e.g. "-x+1/2, y-x, z+0.25").
/// </summary>
public readonly record struct SymmetryOperation(Mat3 Rotation, Vec3 Translation)
{
    public static readonly SymmetryOperation Identity = new(Mat3.Identity, Vec3.Zero);

    public Vec3 Apply(Vec3 frac) => Rotation * frac + Translation;

    /// <summary>Parses "x,y,z"-style operations: three comma-separated affine expressions in x, y, z with
    /// integer coefficients and fractional (1/2) or decimal (0.5) constants.</summary>
    /// <exception cref="FormatException">the text is not such an operation; the message quotes it.</exception>
    public static SymmetryOperation Parse(string text)
    {
        var parts = text.Replace(" ", "").ToLowerInvariant().Split(',');
        if (parts.Length != 3) throw new FormatException($"symmetry operation '{text}' must have three comma-separated components");
        var rows = new Vec3[3];
        var t = new double[3];
        for (int r = 0; r < 3; r++)
        {
            (rows[r], t[r]) = ParseComponent(parts[r], text);
        }
        return new SymmetryOperation(Mat3.FromRows(rows[0], rows[1], rows[2]), new Vec3(t[0], t[1], t[2]));
    }

    private static (Vec3 Row, double Constant) ParseComponent(string s, string full)
    {
        if (s.Length == 0) throw new FormatException($"symmetry operation '{full}' has an empty component");
        double cx = 0, cy = 0, cz = 0, c = 0;
        int i = 0;
        while (i < s.Length)
        {
            int sign = 1;
            if (s[i] == '+') { i++; }
            else if (s[i] == '-') { sign = -1; i++; }
            int start = i;
            while (i < s.Length && (char.IsDigit(s[i]) || s[i] == '.' || s[i] == '/')) i++;
            string number = s[start..i];
            bool times = i < s.Length && s[i] == '*'; // "2*x"
            if (times) i++;
            if (i < s.Length && (s[i] == 'x' || s[i] == 'y' || s[i] == 'z'))
            {
                double coef = number.Length == 0 ? 1 : ParseNumber(number, full);
                switch (s[i])
                {
                    case 'x': cx += sign * coef; break;
                    case 'y': cy += sign * coef; break;
                    default: cz += sign * coef; break;
                }
                i++;
            }
            else if (number.Length > 0 && !times)
            {
                c += sign * ParseNumber(number, full);
            }
            else
            {
                throw new FormatException($"symmetry operation '{full}': cannot read component '{s}'");
            }
        }
        return (new Vec3(cx, cy, cz), c);
    }

    private static double ParseNumber(string n, string full)
    {
        int slash = n.IndexOf('/');
        if (slash >= 0)
        {
            if (double.TryParse(n[..slash], NumberStyles.Float, CultureInfo.InvariantCulture, out double p) &&
                double.TryParse(n[(slash + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double q) && q != 0)
                return p / q;
        }
        else if (double.TryParse(n, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) return v;
        throw new FormatException($"symmetry operation '{full}': '{n}' is not a number");
    }
}
