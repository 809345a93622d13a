using CrystalActors.Crystals;

namespace CrystalActors.Learning.Clusters;

/// <summary>
/// Real spherical harmonics Y_lm for l = 0..L and m = −l..l, orthonormal on the unit sphere, in the usual order
/// index = l² + l + m. With θ, φ the polar and azimuthal angles of a unit vector:
/// Y_l0 = N_l0 P_l(cos θ), Y_lm = √2 N_lm P_l^m(cos θ) cos(mφ) for m &gt; 0 and √2 N_l|m| P_l^|m|(cos θ) sin(|m|φ) for m &lt; 0,
/// N_lm = √((2l+1)/(4π) (l−m)!/(l+m)!), P_l^m without the Condon–Shortley phase. For each l the 2l+1 functions span
/// a rotation-invariant space, so a rotation R acts on the coefficient vector by a (block-diagonal, orthogonal)
/// Wigner matrix: Σ_m Y_lm(Ru) Y_lm(Rv) = Σ_m Y_lm(u) Y_lm(v) = (2l+1)/(4π) P_l(u·v). (M3GNet's own basis uses the m = 0
/// functions only.)
/// </summary>
public static class RealSphericalHarmonics
{
    /// <summary>Number of functions for degrees 0..L: (L+1)².</summary>
    public static int Count(int lmax) => (lmax + 1) * (lmax + 1);

    /// <summary>The degree l of each index.</summary>
    public static int[] Degrees(int lmax)
    {
        var d = new int[Count(lmax)];
        for (int l = 0; l <= lmax; l++)
            for (int m = -l; m <= l; m++) d[l * l + l + m] = l;
        return d;
    }

    /// <summary>Y_lm of the direction of <paramref name="v"/> (need not be unit; a zero vector gives the l = 0 term only).</summary>
    public static double[] Evaluate(Vec3 v, int lmax)
    {
        var y = new double[Count(lmax)];
        Evaluate(v, lmax, y);
        return y;
    }

    public static void Evaluate(Vec3 v, int lmax, Span<double> y)
    {
        if (lmax < 0) throw new ArgumentOutOfRangeException(nameof(lmax), lmax, "lmax must be >= 0");
        if (y.Length < Count(lmax)) throw new ArgumentException($"need {Count(lmax)} slots, got {y.Length}");
        double r = v.Length;
        y[..Count(lmax)].Clear();
        y[0] = 0.5 / Math.Sqrt(Math.PI);
        if (r == 0) return;
        double x = v.X / r, yy = v.Y / r, z = Math.Clamp(v.Z / r, -1, 1);
        double s = Math.Sqrt(Math.Max(0, 1 - z * z));
        double phi = Math.Atan2(yy, x);
        // P_l^m(z) by the standard upward recursions (no Condon–Shortley phase).
        var p = new double[(lmax + 1) * (lmax + 1)];
        int I(int l, int m) => l * (lmax + 1) + m;
        p[I(0, 0)] = 1;
        for (int m = 1; m <= lmax; m++) p[I(m, m)] = (2 * m - 1) * s * p[I(m - 1, m - 1)];
        for (int m = 0; m < lmax; m++) p[I(m + 1, m)] = (2 * m + 1) * z * p[I(m, m)];
        for (int m = 0; m <= lmax; m++)
            for (int l = m + 2; l <= lmax; l++)
                p[I(l, m)] = ((2 * l - 1) * z * p[I(l - 1, m)] - (l + m - 1) * p[I(l - 2, m)]) / (l - m);
        for (int l = 0; l <= lmax; l++)
        {
            y[l * l + l] = Norm(l, 0) * p[I(l, 0)];
            for (int m = 1; m <= l; m++)
            {
                double a = Math.Sqrt(2) * Norm(l, m) * p[I(l, m)];
                y[l * l + l + m] = a * Math.Cos(m * phi);
                y[l * l + l - m] = a * Math.Sin(m * phi);
            }
        }
    }

    private static double Norm(int l, int m)
    {
        double ratio = 1; // (l−m)!/(l+m)!
        for (int k = l - m + 1; k <= l + m; k++) ratio /= k;
        return Math.Sqrt((2 * l + 1) / (4 * Math.PI) * ratio);
    }

    /// <summary>K points of a Fibonacci (golden-spiral) grid on the unit sphere; each carries the weight 4π/K.</summary>
    public static Vec3[] FibonacciSphere(int k)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "need at least one point");
        var pts = new Vec3[k];
        double golden = Math.PI * (3 - Math.Sqrt(5));
        for (int i = 0; i < k; i++)
        {
            double z = 1 - (2.0 * i + 1) / k, rr = Math.Sqrt(Math.Max(0, 1 - z * z)), t = golden * i;
            pts[i] = new Vec3(rr * Math.Cos(t), rr * Math.Sin(t), z);
        }
        return pts;
    }
}
