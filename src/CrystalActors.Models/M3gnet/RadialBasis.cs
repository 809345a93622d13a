using CrystalActors.Torch;

namespace CrystalActors.Models.M3gnet;

/// <summary>
/// M3GNet's radial basis functions of a distance r (matgl <c>SphericalBesselFunction</c>), evaluated on tensors:
/// <list type="bullet">
/// <item>plain (use_smooth = false): f_ln(r) = j_l(z_ln·min(r, rc)/rc)·sqrt(2/rc³)/|j_{l+1}(z_ln)|, l-major
/// columns c = max_n·l + n, z_ln the (n+1)-th root of j_l;</item>
/// <item>smooth (use_smooth = true): the orthogonalised "smooth spherical Bessel" functions g_k of
/// arXiv:1907.02374, expanded as g_k(r) = Σ_m C[k][m−1]·sin(mπr/rc)/r (no clamp at rc, as in matgl).</item>
/// </list>
/// All constants are computed in float64 here and cast to the model dtype.
/// </summary>
public sealed class RadialBasis : IDisposable
{
    private readonly double _cutoff;
    private readonly bool _smooth;
    private readonly Tensor _a, _b, _c, _d, _e, _roots, _norm; // plain: j = sin·(a/x + c/x² + e/x³) + cos·(b/x + d/x²)
    private readonly Tensor _freq, _coeffT; // smooth: g = (sin(r·freq) @ coeffT) / r

    /// <summary>Roots z_ln of the spherical Bessel functions j_0, j_1, j_2 (matgl's sb_roots.npy values).</summary>
    private static readonly double[][] Roots =
    [
        [Math.PI, 2 * Math.PI, 3 * Math.PI],
        [4.493409457909103, 7.725251836937707, 10.90412165942925],
        [5.7634591968945506, 9.095011330476355, 12.322940970567036],
    ];

    public int Size { get; }

    /// <param name="maxN">Radial functions per l (plain) or number of smooth functions.</param>
    /// <param name="maxL">Number of l values (plain basis only; ≤ 3).</param>
    public RadialBasis(int maxN, int maxL, double cutoff, bool smooth, ScalarType dtype, Device device)
    {
        _cutoff = cutoff;
        _smooth = smooth;
        if (smooth)
        {
            Size = maxN;
            var c = SmoothCoefficients(maxN, cutoff); // [maxN][maxN + 1]
            int m = maxN + 1;
            var freq = new double[m];
            for (int k = 0; k < m; k++) freq[k] = (k + 1) * Math.PI / cutoff;
            var coeffT = new double[m * maxN];
            for (int k = 0; k < maxN; k++)
                for (int j = 0; j < m; j++) coeffT[j * maxN + k] = c[k][j];
            _freq = Keep(Tensor.From(freq, 1, m), dtype, device);
            _coeffT = Keep(Tensor.From(coeffT, m, maxN), dtype, device);
            _a = _b = _c = _d = _e = _roots = _norm = null!;
        }
        else
        {
            if (maxL > 3 || maxN > 3) throw new ArgumentException($"plain spherical Bessel basis supports max_l, max_n ≤ 3 (got {maxL}, {maxN})");
            Size = maxN * maxL;
            var a = new double[Size]; var b = new double[Size]; var cc = new double[Size]; var d = new double[Size]; var e = new double[Size];
            var roots = new double[Size]; var norm = new double[Size];
            double pre = Math.Sqrt(2.0 / (cutoff * cutoff * cutoff));
            for (int l = 0; l < maxL; l++)
                for (int n = 0; n < maxN; n++)
                {
                    int col = maxN * l + n;
                    roots[col] = Roots[l][n];
                    norm[col] = pre / Math.Abs(SphericalBessel(l + 1, Roots[l][n]));
                    switch (l)
                    {
                        case 0: a[col] = 1; break;                              // sin x / x
                        case 1: b[col] = -1; cc[col] = 1; break;                 // −cos x / x + sin x / x²
                        case 2: a[col] = -1; e[col] = 3; d[col] = -3; break;     // (−1/x + 3/x³) sin x − 3 cos x / x²
                    }
                }
            _a = Keep(Tensor.From(a), dtype, device); _b = Keep(Tensor.From(b), dtype, device);
            _c = Keep(Tensor.From(cc), dtype, device); _d = Keep(Tensor.From(d), dtype, device);
            _e = Keep(Tensor.From(e), dtype, device);
            _roots = Keep(Tensor.From(roots), dtype, device);
            _norm = Keep(Tensor.From(norm), dtype, device);
            _freq = _coeffT = null!;
        }
    }

    /// <summary>Basis values [n, Size] for distances r [n] (Å).</summary>
    public Tensor Forward(Tensor r)
    {
        var r1 = r.Unsqueeze(1);
        if (_smooth)
            return (r1 * _freq).Sin().MatMul(_coeffT) / r1;
        var x = r1.Clamp(max: _cutoff) * (_roots / _cutoff);
        var s = x.Sin();
        var c = x.Cos();
        var inv = x.Reciprocal();
        var inv2 = inv * inv;
        var j = s * (inv * _a + inv2 * _c + inv2 * inv * _e) + c * (inv * _b + inv2 * _d);
        return j * _norm;
    }

    /// <summary>The expansion coefficients C[k][m−1] of the smooth basis g_k(r) = Σ_m C[k][m−1] sin(mπr/rc)/r.</summary>
    public static double[][] SmoothCoefficients(int count, double cutoff)
    {
        // f_i(r) = (−1)^i √2 π / rc^1.5 · (i+1)(i+2)/sqrt((i+1)² + (i+2)²) · [sinc((i+1)πr/rc) + sinc((i+2)πr/rc)],
        // and sinc(mπr/rc) = rc/(mπ) · sin(mπr/rc)/r.
        int m = count + 1;
        var f = new double[count][];
        for (int i = 0; i < count; i++)
        {
            f[i] = new double[m];
            double amp = (i % 2 == 0 ? 1 : -1) * Math.Sqrt(2) * Math.PI / Math.Pow(cutoff, 1.5)
                * (i + 1) * (i + 2) / Math.Sqrt((i + 1) * (i + 1) + (i + 2) * (i + 2));
            f[i][i] += amp * cutoff / ((i + 1) * Math.PI);
            f[i][i + 1] += amp * cutoff / ((i + 2) * Math.PI);
        }
        // Orthogonalisation: e_i = i²(i+2)²/(4(i+1)⁴+1), d_0 = 1, d_i = 1 − e_i/d_{i−1}, g_i = (f_i + sqrt(e_i/d_{i−1}) g_{i−1}) / sqrt(d_i).
        var g = new double[count][];
        double dPrev = 1;
        for (int i = 0; i < count; i++)
        {
            g[i] = new double[m];
            if (i == 0)
            {
                Array.Copy(f[0], g[0], m);
                continue;
            }
            double e = (double)i * i * (i + 2) * (i + 2) / (4.0 * Math.Pow(i + 1, 4) + 1);
            double d = 1 - e / dPrev;
            double w = Math.Sqrt(e / dPrev);
            for (int k = 0; k < m; k++) g[i][k] = (f[i][k] + w * g[i - 1][k]) / Math.Sqrt(d);
            dPrev = d;
        }
        return g;
    }

    /// <summary>j_l(x) for l ≤ 3 in the closed forms matgl uses.</summary>
    public static double SphericalBessel(int l, double x)
    {
        double s = Math.Sin(x), c = Math.Cos(x);
        return l switch
        {
            0 => s / x,
            1 => -c / x + s / (x * x),
            2 => (-1 / x + 3 / (x * x * x)) * s - 3 * c / (x * x),
            3 => (-6 / (x * x) + 15 / Math.Pow(x, 4)) * s + (1 / x - 15 / (x * x * x)) * c,
            _ => throw new ArgumentOutOfRangeException(nameof(l), l, "only l ≤ 3"),
        };
    }

    internal static Tensor Keep(Tensor t, ScalarType dtype, Device device)
    {
        var converted = t.To(dtype, device).DetachFromDisposeScope();
        t.Dispose();
        return converted;
    }

    public void Dispose()
    {
        foreach (var t in new[] { _a, _b, _c, _d, _e, _roots, _norm, _freq, _coeffT }) t?.Dispose();
    }
}
