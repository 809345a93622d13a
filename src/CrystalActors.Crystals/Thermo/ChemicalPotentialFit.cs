namespace CrystalActors.Crystals.Thermo;

/// <summary>One crystal for a μ fit: its composition, the potential's total energy per atom and the target formation
/// energy per atom (eV/atom).</summary>
public sealed record FormationEnergySample(Composition Composition, double EnergyPerAtom, double FormationEnergyPerAtom, string? Id = null);

/// <summary>Options of <see cref="ChemicalPotentialFit.Fit"/>.</summary>
public sealed class ChemicalPotentialFitOptions
{
    /// <summary>Ridge strength α (dimensionless, not scaled by the sample count); default 1e-4. It only matters for
    /// elements in a handful of crystals, which it pulls towards the common mean instead of leaving them to noise.</summary>
    public double Ridge
    {
        get => _ridge;
        set => _ridge = value >= 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "ridge must be finite and ≥ 0");
    }
    private double _ridge = 1e-4;

    /// <summary>A second μ for Co, Cr, Fe, Mn, Mo, Ni, V, W in compounds with O or F (MP's GGA+U context, see
    /// <see cref="ChemicalPotentials"/>); default true.</summary>
    public bool GgaUContext { get; set; } = true;
}

/// <summary>
/// Least-squares fit of per-element chemical potentials: with y_i = E_i/atom − E_form,i and x_i the atom fractions,
/// minimise Σ_i (y_i − Σ_f x_if μ_f)² + α Σ_f (μ_f − ȳ)², ȳ the mean of y (features f: elements, plus the GGA+U
/// context columns). Because the fractions sum to 1, writing μ = ȳ + δ turns this into an ordinary ridge regression
/// on δ: an element seen in few crystals shrinks towards the common mean, not towards 0 eV. Solved by Cholesky on the
/// normal equations (one row and column per feature: at most a few hundred).
/// </summary>
public static class ChemicalPotentialFit
{
    /// <summary>Names the method in fit metadata; bump it when the fit changes.</summary>
    public const string MethodVersion = "hull-fit/1 (ridge least squares towards the mean, GGA+U context for O/F compounds)";

    /// <exception cref="ArgumentException">no samples, or a sample with a non-finite energy (named).</exception>
    public static ChemicalPotentials Fit(IReadOnlyList<FormationEnergySample> samples, ChemicalPotentialFitOptions? options = null, ChemicalPotentialMetadata? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        options ??= new ChemicalPotentialFitOptions();
        if (samples.Count == 0) throw new ArgumentException("no samples to fit", nameof(samples));
        // Features: (element, GGA+U?) in order of first appearance.
        var features = new Dictionary<(Element, bool), int>();
        var rows = new List<(int Feature, double X)[]>(samples.Count);
        var y = new double[samples.Count];
        for (int i = 0; i < samples.Count; i++)
        {
            var s = samples[i];
            if (!double.IsFinite(s.EnergyPerAtom) || !double.IsFinite(s.FormationEnergyPerAtom))
                throw new ArgumentException($"sample {i} ({s.Id ?? s.Composition.ReducedFormula}): energy {s.EnergyPerAtom} or formation energy {s.FormationEnergyPerAtom} is not finite", nameof(samples));
            y[i] = s.EnergyPerAtom - s.FormationEnergyPerAtom;
            double n = s.Composition.NumAtoms;
            rows.Add(s.Composition.Counts.Select(c =>
            {
                var key = (c.Element, options.GgaUContext && ChemicalPotentials.UsesGgaU(s.Composition, c.Element));
                if (!features.TryGetValue(key, out int f)) features[key] = f = features.Count;
                return (f, c.Count / n);
            }).ToArray());
        }
        int p = features.Count;
        double mean = y.Average();
        var ata = new double[p * p];
        var atb = new double[p];
        for (int i = 0; i < rows.Count; i++)
        {
            double r = y[i] - mean;
            foreach (var (f, x) in rows[i])
            {
                atb[f] += x * r;
                foreach (var (g, xg) in rows[i]) ata[f * p + g] += x * xg;
            }
        }
        for (int f = 0; f < p; f++) ata[f * p + f] += options.Ridge;
        var delta = SolveSymmetricPositiveDefinite(ata, atb, p);
        var mu = new Dictionary<Element, double>();
        var muU = new Dictionary<Element, double>();
        foreach (var ((e, u), f) in features) (u ? muU : mu)[e] = mean + delta[f];

        var perFeature = new int[p];
        foreach (var row in rows) foreach (var (f, _) in row) perFeature[f]++;
        var counts = features.ToDictionary(kv => kv.Key, kv => perFeature[kv.Value]);
        var fitted = new ChemicalPotentials(mu, muU);
        var meta = (metadata ?? new ChemicalPotentialMetadata()) with
        {
            NTrain = samples.Count,
            Ridge = options.Ridge,
            Train = Evaluate(fitted, samples),
            SamplesPerElement = counts.OrderBy(kv => kv.Key.Item1.Z).ThenBy(kv => kv.Key.Item2)
                .ToDictionary(kv => kv.Key.Item1.Symbol + (kv.Key.Item2 ? "+U" : ""), kv => kv.Value),
        };
        return new ChemicalPotentials(mu, muU, meta);
    }

    /// <summary>MAE, RMSE and max |error| (eV/atom) of E/atom − Σ x μ against the samples' formation energies; samples
    /// with an element that has no μ are counted as skipped.</summary>
    public static FitErrors Evaluate(ChemicalPotentials mu, IEnumerable<FormationEnergySample> samples)
    {
        ArgumentNullException.ThrowIfNull(mu);
        int n = 0, skipped = 0;
        double abs = 0, sq = 0, max = 0;
        foreach (var s in samples)
        {
            double predicted;
            try { predicted = mu.FormationEnergyPerAtom(s.Composition, s.EnergyPerAtom); }
            catch (ArgumentException) { skipped++; continue; }
            double err = predicted - s.FormationEnergyPerAtom;
            n++;
            abs += Math.Abs(err);
            sq += err * err;
            max = Math.Max(max, Math.Abs(err));
        }
        return n == 0 ? new FitErrors(0, double.NaN, double.NaN, double.NaN, skipped) : new FitErrors(n, abs / n, Math.Sqrt(sq / n), max, skipped);
    }

    /// <summary>Cholesky solve of A x = b for a symmetric positive definite p×p A (row-major; A is overwritten).</summary>
    private static double[] SolveSymmetricPositiveDefinite(double[] a, double[] b, int p)
    {
        for (int j = 0; j < p; j++)
        {
            double d = a[j * p + j];
            for (int k = 0; k < j; k++) d -= a[j * p + k] * a[j * p + k];
            if (!(d > 0)) throw new InvalidOperationException($"normal equations are not positive definite at feature {j}: give a ridge > 0");
            d = Math.Sqrt(d);
            a[j * p + j] = d;
            for (int i = j + 1; i < p; i++)
            {
                double s = a[i * p + j];
                for (int k = 0; k < j; k++) s -= a[i * p + k] * a[j * p + k];
                a[i * p + j] = s / d;
            }
        }
        var x = (double[])b.Clone();
        for (int i = 0; i < p; i++)
        {
            double s = x[i];
            for (int k = 0; k < i; k++) s -= a[i * p + k] * x[k];
            x[i] = s / a[i * p + i];
        }
        for (int i = p - 1; i >= 0; i--)
        {
            double s = x[i];
            for (int k = i + 1; k < p; k++) s -= a[k * p + i] * x[k];
            x[i] = s / a[i * p + i];
        }
        return x;
    }
}
