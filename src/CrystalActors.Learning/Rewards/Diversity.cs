namespace CrystalActors.Learning.Rewards;

/// <summary>
/// Distances between sets of embeddings: the per-sample MMD reward that Chemeleon2's diversity rewards use (after
/// "Training Diffusion Models Towards Diverse Image Generation with Reinforcement Learning", polynomial kernel of degree
/// 3), and the Fréchet distance of its DNG table's diversity columns. Rows are samples, columns features.
/// </summary>
public static class Diversity
{
    /// <summary>k(z, y) = (z·y / d + 1)^3.</summary>
    public static double PolyKernel(ReadOnlySpan<double> z, ReadOnlySpan<double> y)
    {
        double dot = 0;
        for (int i = 0; i < z.Length; i++) dot += z[i] * y[i];
        double x = dot / z.Length + 1;
        return x * x * x;
    }

    /// <summary>
    /// The unbiased MMD² between generated and reference embeddings, and each generated sample's reward: how much the
    /// MMD² of the others (the sample left out) exceeds the full MMD², i.e. how much the sample pulls the generated set
    /// toward the reference distribution and away from its own duplicates. Needs at least 3 generated and 2 reference rows.
    /// </summary>
    public static (double Mmd2, double[] Individual) MmdReward(IReadOnlyList<double[]> generated, IReadOnlyList<double[]> reference) =>
        new MmdReference(reference).Reward(generated);

    /// <summary>
    /// Fréchet distance between Gaussians fitted to two sets of embeddings:
    /// |μ₁ − μ₂|² + tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½), the FID form (covariances with n − 1).
    /// </summary>
    public static double FrechetDistance(IReadOnlyList<double[]> a, IReadOnlyList<double[]> b)
    {
        if (a.Count < 2 || b.Count < 2) throw new ArgumentException("the Fréchet distance needs at least 2 embeddings on each side");
        var (mu1, s1) = MeanCovariance(a);
        var (mu2, s2) = MeanCovariance(b);
        int d = mu1.Length;
        double diff = 0;
        for (int i = 0; i < d; i++) diff += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]);
        var root1 = SymmetricFunction(s1, Math.Sqrt);
        var inner = Multiply(Multiply(root1, s2), root1);
        // Symmetrise against round-off before the second square root.
        for (int i = 0; i < d; i++)
            for (int j = i + 1; j < d; j++) inner[i, j] = inner[j, i] = 0.5 * (inner[i, j] + inner[j, i]);
        var covmean = SymmetricFunction(inner, Math.Sqrt);
        double trace = 0;
        for (int i = 0; i < d; i++) trace += s1[i, i] + s2[i, i] - 2 * covmean[i, i];
        return diff + trace;
    }

    public static (double[] Mean, double[,] Covariance) MeanCovariance(IReadOnlyList<double[]> x)
    {
        int n = x.Count, d = x[0].Length;
        var mu = new double[d];
        foreach (var row in x)
            for (int i = 0; i < d; i++) mu[i] += row[i] / n;
        var cov = new double[d, d];
        foreach (var row in x)
            for (int i = 0; i < d; i++)
                for (int j = i; j < d; j++) cov[i, j] += (row[i] - mu[i]) * (row[j] - mu[j]) / (n - 1);
        for (int i = 0; i < d; i++)
            for (int j = 0; j < i; j++) cov[i, j] = cov[j, i];
        return (mu, cov);
    }

    private static double[,] Multiply(double[,] a, double[,] b)
    {
        int n = a.GetLength(0);
        var c = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++)
            {
                double aik = a[i, k];
                if (aik == 0) continue;
                for (int j = 0; j < n; j++) c[i, j] += aik * b[k, j];
            }
        return c;
    }

    /// <summary>f(A) = V f(Λ) Vᵀ of a symmetric matrix (cyclic Jacobi eigen-decomposition); negative round-off eigenvalues clip to 0.</summary>
    public static double[,] SymmetricFunction(double[,] a, Func<double, double> f)
    {
        int n = a.GetLength(0);
        var m = (double[,])a.Clone();
        var v = new double[n, n];
        for (int i = 0; i < n; i++) v[i, i] = 1;
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++) off += m[p, q] * m[p, q];
            if (off < 1e-30) break;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++)
                {
                    if (Math.Abs(m[p, q]) < 1e-300) continue;
                    double theta = (m[q, q] - m[p, p]) / (2 * m[p, q]);
                    double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double mkp = m[k, p], mkq = m[k, q];
                        m[k, p] = c * mkp - s * mkq;
                        m[k, q] = s * mkp + c * mkq;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double mpk = m[p, k], mqk = m[q, k];
                        m[p, k] = c * mpk - s * mqk;
                        m[q, k] = s * mpk + c * mqk;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double vkp = v[k, p], vkq = v[k, q];
                        v[k, p] = c * vkp - s * vkq;
                        v[k, q] = s * vkp + c * vkq;
                    }
                }
        }
        var result = new double[n, n];
        for (int e = 0; e < n; e++)
        {
            double fe = f(Math.Max(0, m[e, e]));
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) result[i, j] += v[i, e] * fe * v[j, e];
        }
        return result;
    }
}

/// <summary>
/// A reference set for the MMD reward with its own kernel term computed once (O(n²) for n references), so that scoring a
/// batch of m costs O(m² + m·n) kernel evaluations.
/// </summary>
public sealed class MmdReference
{
    public IReadOnlyList<double[]> Reference { get; }
    /// <summary>Mean kernel value over distinct reference pairs.</summary>
    public double RTerm { get; }

    public MmdReference(IReadOnlyList<double[]> reference)
    {
        int n = reference.Count;
        if (n < 2) throw new ArgumentException($"the MMD reward needs >= 2 reference embeddings, got {n}");
        int d = reference[0].Length;
        if (reference.Any(r => r.Length != d)) throw new ArgumentException("every embedding must have the same width");
        Reference = reference;
        double rr = 0;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) rr += 2 * Diversity.PolyKernel(reference[i], reference[j]);
        RTerm = rr / ((double)n * (n - 1));
    }

    /// <summary>The unbiased MMD² of the batch against the reference and each sample's leave-one-out reward (needs >= 3 samples).</summary>
    public (double Mmd2, double[] Individual) Reward(IReadOnlyList<double[]> generated)
    {
        int m = generated.Count, n = Reference.Count;
        if (m < 3) throw new ArgumentException($"the MMD reward needs >= 3 generated embeddings, got {m}");
        if (generated.Any(g => g.Length != Reference[0].Length)) throw new ArgumentException("every embedding must have the same width");
        var s = new double[m]; // Σ_{j≠i} k(g_i, g_j)
        var t = new double[m]; // Σ_r k(g_i, r)
        for (int i = 0; i < m; i++)
        {
            for (int j = i + 1; j < m; j++)
            {
                double k = Diversity.PolyKernel(generated[i], generated[j]);
                s[i] += k;
                s[j] += k;
            }
            for (int r = 0; r < n; r++) t[i] += Diversity.PolyKernel(generated[i], Reference[r]);
        }
        double g = s.Sum(), c = t.Sum();
        double full = g / ((double)m * (m - 1)) + RTerm - 2 * c / ((double)m * n);
        int mp = m - 1;
        var individual = new double[m];
        for (int i = 0; i < m; i++)
        {
            double drop = (g - 2 * s[i]) / ((double)mp * (mp - 1)) + RTerm - 2 * (c - t[i]) / ((double)mp * n);
            individual[i] = drop - full;
        }
        return (full, individual);
    }
}

/// <summary>
/// Per-feature standardisation fitted on the reference embeddings (zero mean, unit variance; constant features keep
/// scale 1). The polynomial kernel and the Fréchet distance then see unit-scale features whatever network made them:
/// MEGNet's Set2Set readout runs to tens, where Chemeleon2's VAE latents are of order one.
/// </summary>
public sealed class FeatureScaler
{
    private readonly double[] _mean, _scale;

    public FeatureScaler(IReadOnlyList<double[]> reference)
    {
        if (reference.Count < 2) throw new ArgumentException("a scaler needs at least 2 reference embeddings");
        var (mean, cov) = Diversity.MeanCovariance(reference);
        _mean = mean;
        _scale = mean.Select((_, i) => cov[i, i] > 1e-12 ? Math.Sqrt(cov[i, i]) : 1.0).ToArray();
    }

    public double[] Transform(double[] x) => x.Select((v, i) => (v - _mean[i]) / _scale[i]).ToArray();

    public double[][] Transform(IReadOnlyList<double[]> xs) => xs.Select(Transform).ToArray();
}
