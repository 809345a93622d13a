namespace CrystalActors.Crystals.Graphs;

/// <summary>Python's <c>round(x, 3)</c>, bit for bit.</summary>
/// <remarks>
/// Python rounds the exact binary value of the double to 3 decimals (half to even only on an exact tie) and
/// returns the double nearest to that decimal. <see cref="Math.Round(double, int)"/> instead multiplies by
/// 1000 first, which is itself rounded, so near a .xxx5 boundary the two can pick different sides. Here the
/// double is split into mantissa·2^-shift and mantissa·1000 is compared with the tie point in exact integer
/// arithmetic.
/// </remarks>
internal static class PythonRounding
{
    public static double Round3(double x)
    {
        if (!double.IsFinite(x) || x == 0)
            return x;
        double ax = Math.Abs(x);
        long bits = BitConverter.DoubleToInt64Bits(ax);
        int exponent = (int)((bits >> 52) & 0x7FF);
        ulong mantissa = (ulong)bits & 0xF_FFFF_FFFF_FFFFUL;
        if (exponent == 0) exponent = 1; else mantissa |= 1UL << 52;
        int shift = 1075 - exponent; // ax = mantissa · 2^-shift
        if (shift <= 0)
            return x; // an integer already
        double result;
        if (shift >= 127)
        {
            result = 0; // ax·1000 < 2^63 / 2^127: far below one half
        }
        else
        {
            UInt128 scaled = (UInt128)mantissa * 1000; // < 2^63
            UInt128 quotient = scaled >> shift;
            UInt128 remainder = scaled - (quotient << shift);
            UInt128 halfUnit = (UInt128)1 << (shift - 1);
            if (remainder > halfUnit || (remainder == halfUnit && (quotient & 1) == 1))
                quotient++;
            // q and 1000 are exact doubles, so one IEEE division gives the double nearest to q/1000, the
            // same as Python's conversion of the decimal string back to float.
            result = (double)quotient / 1000.0;
        }
        return x < 0 ? -result : result;
    }
}
