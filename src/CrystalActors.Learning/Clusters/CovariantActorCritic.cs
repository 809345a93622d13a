using CrystalActors.Crystals;
using CrystalActors.Learning.Environments.Clusters;
using CrystalActors.Torch;
using CrystalActors.Torch.Nn;

namespace CrystalActors.Learning.Clusters;

/// <summary>Hyperparameters of <see cref="CovariantActorCritic"/> (defaults in brackets).</summary>
public sealed record CovariantPolicyOptions
{
    /// <summary>Hidden width of every MLP [64].</summary>
    public int Hidden { get; init; } = 64;
    /// <summary>Gaussians of the radial descriptor and of the pair distance [16].</summary>
    public int RadialFeatures { get; init; } = 16;
    /// <summary>Smallest Gaussian centre (Å) [1.5].</summary>
    public double RadialMin { get; init; } = 1.5;
    /// <summary>Cosine cutoff of the descriptors and of the direction expansion (Å) [6.0].</summary>
    public double Cutoff { get; init; } = 6.0;
    /// <summary>Largest degree of the spherical-harmonic direction expansion [4].</summary>
    public int Lmax { get; init; } = 4;
    /// <summary>Bins of the distance distribution over [min, max] of the placement rules [12].</summary>
    public int DistanceBins { get; init; } = 12;
    /// <summary>Points of the Fibonacci grid that normalises the direction density [2048].</summary>
    public int SphereGrid { get; init; } = 2048;
}

/// <summary>
/// The rotation-invariant and -covariant features of one canvas, computed once per state in double precision:
/// per atom a radial descriptor G_i,k = Σ_j exp(−((d_ij − μ_k)/w)²) f_c(d_ij) and the remaining bag fraction; per
/// focus atom f the Gaussian expansion of d_fj, the real spherical harmonics Y_lm(r̂_fj) and the cutoff weights.
/// </summary>
public sealed class ClusterObservation
{
    private ClusterObservation(Molecule canvas, double bagFraction, double[] node, CovariantPolicyOptions o)
    {
        Canvas = canvas; BagFraction = bagFraction; NodeFeatures = node; Options = o;
    }

    public Molecule Canvas { get; }
    public double BagFraction { get; }
    /// <summary>Flattened [n, RadialFeatures + 1].</summary>
    public double[] NodeFeatures { get; }
    public CovariantPolicyOptions Options { get; }
    public int NumAtoms => Canvas.NumAtoms;
    public int NodeWidth => Options.RadialFeatures + 1;

    public static ClusterObservation Build(Molecule canvas, double bagFraction, CovariantPolicyOptions o)
    {
        int n = canvas.NumAtoms, f = o.RadialFeatures, w = f + 1;
        var x = new double[n * w];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                if (i == j) continue;
                double d = canvas.Distance(i, j), fc = Cutoff(d, o.Cutoff);
                if (fc == 0) continue;
                for (int k = 0; k < f; k++) x[i * w + k] += Gauss(d, k, o) * fc;
            }
            x[i * w + f] = bagFraction;
        }
        return new ClusterObservation(canvas, bagFraction, x, o);
    }

    /// <summary>Pair data for focus atom <paramref name="focus"/>: Gaussians of d_fj [n, F], Y_lm(r̂_fj) [n, (L+1)²]
    /// and the weight f_c(d_fj) [n] (0 for j = f).</summary>
    public (double[] Rbf, double[] Y, double[] Weight) FocusGeometry(int focus)
    {
        int n = NumAtoms, f = Options.RadialFeatures, ny = RealSphericalHarmonics.Count(Options.Lmax);
        var rbf = new double[n * f];
        var y = new double[n * ny];
        var wgt = new double[n];
        var pf = Canvas.Positions[focus];
        for (int j = 0; j < n; j++)
        {
            if (j == focus) continue;
            var v = Canvas.Positions[j] - pf;
            double d = v.Length;
            wgt[j] = Cutoff(d, Options.Cutoff);
            for (int k = 0; k < f; k++) rbf[j * f + k] = Gauss(d, k, Options);
            RealSphericalHarmonics.Evaluate(v, Options.Lmax, y.AsSpan(j * ny, ny));
        }
        return (rbf, y, wgt);
    }

    private static double Gauss(double d, int k, CovariantPolicyOptions o)
    {
        double width = (o.Cutoff - o.RadialMin) / (o.RadialFeatures - 1);
        double mu = o.RadialMin + k * width, t = (d - mu) / width;
        return Math.Exp(-t * t);
    }

    private static double Cutoff(double d, double rc) => d >= rc ? 0 : 0.5 * (Math.Cos(Math.PI * d / rc) + 1);
}

/// <summary>A placement chosen by the policy: focus atom, distance bin and distance (Å), unit direction, the new
/// position, and the log-probability density and value estimate at sampling time.</summary>
public sealed record ClusterAction(int Focus, int Bin, double Distance, Vec3 Direction, Vec3 Position, double LogProb, double Value);

/// <summary>
/// A rotationally covariant actor-critic for placing atoms (after MolGym's covariant policy, Simm et al. 2020):
/// <list type="number">
/// <item>invariant atom embeddings h_i = MLP(G_i, bag fraction); focus f ~ softmax_i MLP(h_i); value = MLP(mean_i h_i);</item>
/// <item>distance d: a categorical over bins of [min, max] from MLP(h_f), uniform inside the bin (a density in Å⁻¹);</item>
/// <item>direction u on the sphere: p(u) ∝ exp(Σ_lm c_lm Y_lm(u)) with covariant coefficients
/// c_lm = Σ_j w_l(h_f, h_j, d_fj) f_c(d_fj) Y_lm(r̂_fj), normalised on a Fibonacci grid, sampled exactly by rejection.</item>
/// </list>
/// Because the w_l are invariant and Y_l transforms by a Wigner matrix, rotating the canvas by R rotates the
/// direction density: p(Ru | R·canvas) = p(u | canvas) (up to the grid's quadrature error), and focus and distance
/// probabilities are unchanged. log π(a|s) = log p(f) + log p(bin) − log(bin width) + log p(u).
/// </summary>
public sealed class CovariantActorCritic : Module
{
    private readonly Tensor _gridYt;    // [(L+1)², K]
    private readonly Tensor _degree;    // [(L+1)²] int64
    private readonly double _logCell;   // log(4π/K)

    public CovariantActorCritic(CovariantPolicyOptions options, PlacementRules rules)
    {
        Options = options;
        Rules = rules;
        int h = options.Hidden, f = options.RadialFeatures;
        embed = RegisterModule("embed", new Mlp([f + 1, h, h], Activation.Silu, activateLast: true));
        focus = RegisterModule("focus", new Mlp([h, h, 1], Activation.Silu));
        value = RegisterModule("value", new Mlp([h, h, 1], Activation.Silu));
        distance = RegisterModule("distance", new Mlp([h, h, options.DistanceBins], Activation.Silu));
        direction = RegisterModule("direction", new Mlp([2 * h + f, h, options.Lmax + 1], Activation.Silu));
        NumHarmonics = RealSphericalHarmonics.Count(options.Lmax);
        var grid = RealSphericalHarmonics.FibonacciSphere(options.SphereGrid);
        Grid = grid;
        var gy = new double[NumHarmonics * grid.Length];
        var tmp = new double[NumHarmonics];
        for (int k = 0; k < grid.Length; k++)
        {
            RealSphericalHarmonics.Evaluate(grid[k], options.Lmax, tmp);
            for (int a = 0; a < NumHarmonics; a++) gy[a * grid.Length + k] = tmp[a];
        }
        _gridYt = RegisterBuffer("grid_y", Tensor.From<double>(gy, NumHarmonics, grid.Length).To(ScalarType.Float32));
        _degree = RegisterBuffer("degree", Tensor.From<long>(RealSphericalHarmonics.Degrees(options.Lmax).Select(x => (long)x).ToArray(), NumHarmonics));
        _logCell = Math.Log(4 * Math.PI / grid.Length);
    }

    public CovariantPolicyOptions Options { get; }
    public PlacementRules Rules { get; }
    public int NumHarmonics { get; }
    public IReadOnlyList<Vec3> Grid { get; }
    public double BinWidth => (Rules.MaxDistance - Rules.MinDistance) / Options.DistanceBins;

    public Mlp embed { get; }
    public Mlp focus { get; }
    public Mlp value { get; }
    public Mlp distance { get; }
    public Mlp direction { get; }

    private sealed record Stage1(Tensor H, Tensor FocusLogp, Tensor Value, int MaxAtoms);

    private Stage1 Encode(IReadOnlyList<ClusterObservation> obs)
    {
        int b = obs.Count, nmax = obs.Max(o => o.NumAtoms), w = obs[0].NodeWidth;
        var x = new double[b * nmax * w];
        var mask = new double[b * nmax];
        for (int i = 0; i < b; i++)
        {
            Array.Copy(obs[i].NodeFeatures, 0, x, i * nmax * w, obs[i].NodeFeatures.Length);
            for (int a = 0; a < obs[i].NumAtoms; a++) mask[i * nmax + a] = 1;
        }
        var xt = Tensor.From<double>(x, b, nmax, w).To(ScalarType.Float32);
        var mt = Tensor.From<double>(mask, b, nmax).To(ScalarType.Float32);
        var h = embed.Forward(xt);                                                    // [B, N, H]
        var logits = focus.Forward(h).Squeeze(2).MaskedFill(mt.Eq(0.0), -1e9);       // [B, N]
        var pooled = (h * mt.Unsqueeze(2)).Sum(1) / mt.Sum(1, keepDim: true);        // [B, H]
        var v = value.Forward(pooled).Squeeze(1);                                     // [B]
        return new Stage1(h, logits.LogSoftmax(1), v, nmax);
    }

    /// <summary>Distance log-probabilities [B, bins] and direction coefficients c [B, (L+1)²] for the given foci.</summary>
    private (Tensor DistLogp, Tensor Coeff) Place(IReadOnlyList<ClusterObservation> obs, Stage1 s, int[] foci)
    {
        int b = obs.Count, nmax = s.MaxAtoms, f = Options.RadialFeatures, ny = NumHarmonics, hdim = Options.Hidden;
        var rbf = new double[b * nmax * f];
        var y = new double[b * nmax * ny];
        var wgt = new double[b * nmax];
        var rows = new long[b];
        for (int i = 0; i < b; i++)
        {
            var (r, yy, ww) = obs[i].FocusGeometry(foci[i]);
            Array.Copy(r, 0, rbf, i * nmax * f, r.Length);
            Array.Copy(yy, 0, y, i * nmax * ny, yy.Length);
            Array.Copy(ww, 0, wgt, i * nmax, ww.Length);
            rows[i] = (long)i * nmax + foci[i];
        }
        var hf = s.H.Reshape(b * nmax, hdim).IndexSelect(0, Tensor.From<long>(rows, b));                  // [B, H]
        var distLogp = distance.Forward(hf).LogSoftmax(1);                                                  // [B, bins]
        var pairIn = Tensor.Cat([hf.Unsqueeze(1).Expand(b, nmax, hdim), s.H, Tensor.From<double>(rbf, b, nmax, f).To(ScalarType.Float32)], 2);
        var wl = direction.Forward(pairIn);                                                                 // [B, N, L+1]
        var wlm = wl.IndexSelect(2, _degree);                                                              // [B, N, (L+1)²]
        var yt = Tensor.From<double>(y, b, nmax, ny).To(ScalarType.Float32);
        var wt = Tensor.From<double>(wgt, b, nmax, 1).To(ScalarType.Float32);
        var coeff = (wlm * yt * wt).Sum(1);                                                                 // [B, (L+1)²]
        return (distLogp, coeff);
    }

    /// <summary>log p(u) for unit directions [B, (L+1)² harmonics] and the grid log-probabilities [B, K].</summary>
    private (Tensor Logp, Tensor GridLogp) Direction(Tensor coeff, Tensor yu)
    {
        var gridLogits = coeff.MatMul(_gridYt);                    // [B, K]
        var logZ = gridLogits.LogSumExp(1) + _logCell;             // log ∫ exp(c·Y) dΩ
        var logp = (coeff * yu).Sum(1) - logZ;
        return (logp, gridLogits.LogSoftmax(1));
    }

    /// <summary>log π(a|s), an entropy estimate and V(s) for a batch (differentiable; the PPO update).</summary>
    public (Tensor LogProb, Tensor Entropy, Tensor Value) Evaluate(IReadOnlyList<ClusterObservation> obs, IReadOnlyList<ClusterAction> actions)
    {
        int b = obs.Count, ny = NumHarmonics;
        var s = Encode(obs);
        var foci = actions.Select(a => a.Focus).ToArray();
        var (distLogp, coeff) = Place(obs, s, foci);
        var yu = new double[b * ny];
        for (int i = 0; i < b; i++) RealSphericalHarmonics.Evaluate(actions[i].Direction, Options.Lmax, yu.AsSpan(i * ny, ny));
        var (dirLogp, gridLogp) = Direction(coeff, Tensor.From<double>(yu, b, ny).To(ScalarType.Float32));
        var fIdx = Tensor.From<long>(foci.Select(x => (long)x).ToArray(), b, 1);
        var bIdx = Tensor.From<long>(actions.Select(a => (long)a.Bin).ToArray(), b, 1);
        var logp = s.FocusLogp.Gather(1, fIdx).Squeeze(1) + distLogp.Gather(1, bIdx).Squeeze(1) - Math.Log(BinWidth) + dirLogp;
        // entropies: focus and bin exactly, direction on the grid (differential entropy ≈ −Σ p log p + log cell)
        var ent = -(s.FocusLogp.Exp() * s.FocusLogp.MaskedFill(s.FocusLogp.Lt(-1e8), 0.0)).Sum(1)
                  - (distLogp.Exp() * distLogp).Sum(1)
                  - (gridLogp.Exp() * gridLogp).Sum(1);
        return (logp, ent, s.Value);
    }

    /// <summary>Samples one placement per observation (no gradient). <paramref name="greedy"/> takes the most likely
    /// focus, bin centre and grid direction instead.</summary>
    public ClusterAction[] Act(IReadOnlyList<ClusterObservation> obs, Random rng, bool greedy = false)
    {
        using var scope = DisposeScope.Open();
        using var ng = NoGradScope.Enter();
        int b = obs.Count, ny = NumHarmonics;
        var s = Encode(obs);
        var focusLogp = s.FocusLogp.To(ScalarType.Float64).ToArray<double>();
        var values = s.Value.To(ScalarType.Float64).ToArray<double>();
        var foci = new int[b];
        for (int i = 0; i < b; i++) foci[i] = Pick(focusLogp.AsSpan(i * s.MaxAtoms, obs[i].NumAtoms), rng, greedy);
        var (distLogp, coeff) = Place(obs, s, foci);
        var dl = distLogp.To(ScalarType.Float64).ToArray<double>();
        var c = coeff.To(ScalarType.Float64).ToArray<double>();
        var grid = coeff.MatMul(_gridYt).To(ScalarType.Float64).ToArray<double>();
        int bins = Options.DistanceBins, k = Grid.Count;
        var actions = new ClusterAction[b];
        var yu = new double[ny];
        for (int i = 0; i < b; i++)
        {
            int bin = Pick(dl.AsSpan(i * bins, bins), rng, greedy);
            double d = Rules.MinDistance + BinWidth * (bin + (greedy ? 0.5 : rng.NextDouble()));
            var gi = grid.AsSpan(i * k, k);
            double gmax = double.NegativeInfinity, logZ = 0;
            int argmax = 0;
            for (int q = 0; q < k; q++) if (gi[q] > gmax) { gmax = gi[q]; argmax = q; }
            for (int q = 0; q < k; q++) logZ += Math.Exp(gi[q] - gmax);
            logZ = gmax + Math.Log(logZ) + _logCell;
            var ci = c.AsSpan(i * ny, ny);
            Vec3 u = greedy ? Grid[argmax] : SampleDirection(ci, gmax + 0.5, rng, yu);
            RealSphericalHarmonics.Evaluate(u, Options.Lmax, yu);
            double f = 0;
            for (int a = 0; a < ny; a++) f += ci[a] * yu[a];
            double logp = focusLogp[i * s.MaxAtoms + foci[i]] + dl[i * bins + bin] - Math.Log(BinWidth) + f - logZ;
            var pos = obs[i].Canvas.Positions[foci[i]] + d * u;
            actions[i] = new ClusterAction(foci[i], bin, d, u, pos, logp, values[i]);
        }
        return actions;
    }

    /// <summary>log π(a|s) of one placement (for tests and evaluation).</summary>
    public double LogProbability(ClusterObservation obs, ClusterAction action)
    {
        using var scope = DisposeScope.Open();
        using var ng = NoGradScope.Enter();
        return Evaluate([obs], [action]).LogProb.To(ScalarType.Float64).ToArray<double>()[0];
    }

    /// <summary>Rejection sampling from p(u) ∝ exp(c·Y(u)) with a uniform proposal and bound exp(<paramref name="bound"/>)
    /// (the grid maximum plus a margin); falls back to the last proposal after 20,000 tries.</summary>
    private Vec3 SampleDirection(ReadOnlySpan<double> c, double bound, Random rng, double[] y)
    {
        Vec3 u = default;
        for (int t = 0; t < 20_000; t++)
        {
            u = ClusterEnvironment.RandomUnitVector(rng);
            RealSphericalHarmonics.Evaluate(u, Options.Lmax, y);
            double f = 0;
            for (int a = 0; a < c.Length; a++) f += c[a] * y[a];
            if (rng.NextDouble() < Math.Exp(f - bound)) return u;
        }
        return u;
    }

    private static int Pick(ReadOnlySpan<double> logp, Random rng, bool greedy)
    {
        int best = 0;
        for (int i = 1; i < logp.Length; i++) if (logp[i] > logp[best]) best = i;
        if (greedy) return best;
        double r = rng.NextDouble(), acc = 0;
        for (int i = 0; i < logp.Length; i++)
        {
            acc += Math.Exp(logp[i]);
            if (r < acc) return i;
        }
        return best;
    }
}
