namespace CrystalActors.Models.Relaxation;

/// <summary>
/// Small dense matrix helpers on row-major double arrays (3×3 as double[9]) for the cell filter: products,
/// inverse, determinant, the matrix exponential and its Fréchet derivative (scipy's expm / expm_frechet).
/// </summary>
public static class Matrix3
{
    public static double[] Identity() => [1, 0, 0, 0, 1, 0, 0, 0, 1];

    /// <summary>a·b for n×n row-major matrices.</summary>
    public static double[] Mul(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int n = 3)
    {
        var c = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++)
            {
                double aik = a[i * n + k];
                if (aik == 0) continue;
                for (int j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
            }
        return c;
    }

    public static double[] Transpose(ReadOnlySpan<double> a)
    {
        return [a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]];
    }

    public static double Determinant(ReadOnlySpan<double> m) =>
        m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);

    public static double[] Inverse(ReadOnlySpan<double> m)
    {
        double det = Determinant(m);
        if (det == 0 || !double.IsFinite(det)) throw new ArithmeticException($"singular 3×3 matrix (determinant {det})");
        return
        [
            (m[4] * m[8] - m[5] * m[7]) / det, (m[2] * m[7] - m[1] * m[8]) / det, (m[1] * m[5] - m[2] * m[4]) / det,
            (m[5] * m[6] - m[3] * m[8]) / det, (m[0] * m[8] - m[2] * m[6]) / det, (m[2] * m[3] - m[0] * m[5]) / det,
            (m[3] * m[7] - m[4] * m[6]) / det, (m[1] * m[6] - m[0] * m[7]) / det, (m[0] * m[4] - m[1] * m[3]) / det,
        ];
    }

    /// <summary>exp(A) for an n×n matrix by scaling and squaring with a Taylor series (accurate to a few ulp for the
    /// near-identity deformations of a relaxation).</summary>
    public static double[] Expm(ReadOnlySpan<double> a, int n = 3)
    {
        double norm = 0;
        for (int i = 0; i < n; i++)
        {
            double row = 0;
            for (int j = 0; j < n; j++) row += Math.Abs(a[i * n + j]);
            norm = Math.Max(norm, row);
        }
        int squarings = norm > 0.5 ? (int)Math.Ceiling(Math.Log2(norm / 0.5)) : 0;
        double scale = Math.Pow(2, -squarings);
        var x = new double[n * n];
        for (int i = 0; i < x.Length; i++) x[i] = a[i] * scale;

        // Σ_k x^k / k! until the terms vanish (‖x‖ ≤ 0.5: 20 terms reach 0.5^20/20! ≪ 1e-16).
        var result = new double[n * n];
        var term = new double[n * n];
        for (int i = 0; i < n; i++) { result[i * n + i] = 1; term[i * n + i] = 1; }
        for (int k = 1; k <= 20; k++)
        {
            term = Mul(term, x, n);
            double inv = 1.0 / k;
            double maxTerm = 0;
            for (int i = 0; i < term.Length; i++)
            {
                term[i] *= inv;
                result[i] += term[i];
                maxTerm = Math.Max(maxTerm, Math.Abs(term[i]));
            }
            if (maxTerm < 1e-18) break;
        }
        for (int s = 0; s < squarings; s++) result = Mul(result, result, n);
        return result;
    }

    /// <summary>The Fréchet derivative L(A, E) = d/dt exp(A + tE) at t = 0 of the 3×3 matrix exponential, as the
    /// upper-right block of exp([[A, E], [0, A]]) (the identity scipy's expm_frechet is built on).</summary>
    public static double[] ExpmFrechet(ReadOnlySpan<double> a, ReadOnlySpan<double> e)
    {
        var block = new double[36];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                block[i * 6 + j] = a[i * 3 + j];
                block[(i + 3) * 6 + j + 3] = a[i * 3 + j];
                block[i * 6 + j + 3] = e[i * 3 + j];
            }
        var ex = Expm(block, 6);
        var l = new double[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) l[i * 3 + j] = ex[i * 6 + j + 3];
        return l;
    }
}
