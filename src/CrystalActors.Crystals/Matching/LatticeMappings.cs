namespace CrystalActors.Crystals.Matching;

/// <summary>
/// Lattice geometry the matcher needs on raw matrices (rows = lattice vectors, in Å). Candidate bases may be
/// left-handed, which <see cref="Lattice"/> refuses, so these helpers work on <see cref="Mat3"/>.
/// </summary>
internal static class LatticeMappings
{
    /// <summary>Lengths a, b, c (Å) and angles alpha, beta, gamma (degrees) of the rows of <paramref name="m"/>.</summary>
    public static LatticeParameters Parameters(in Mat3 m)
    {
        Vec3 a = m.Row(0), b = m.Row(1), c = m.Row(2);
        double la = a.Length, lb = b.Length, lc = c.Length;
        return new(la, lb, lc, AngleDeg(b, c, lb, lc), AngleDeg(a, c, la, lc), AngleDeg(a, b, la, lb));
    }

    public static double AngleDeg(Vec3 u, Vec3 v, double lu, double lv) =>
        Math.Acos(Math.Clamp(u.Dot(v) / (lu * lv), -1.0, 1.0)) * (180.0 / Math.PI);

    /// <summary>Distances between adjacent lattice planes (Å) of the three families; |det| / |b×c| etc.</summary>
    public static Vec3 PlaneSpacings(in Mat3 m)
    {
        Vec3 a = m.Row(0), b = m.Row(1), c = m.Row(2);
        double v = Math.Abs(m.Determinant);
        return new(v / b.Cross(c).Length, v / c.Cross(a).Length, v / a.Cross(b).Length);
    }

    /// <summary>
    /// Every basis of the lattice spanned by <paramref name="lattice"/> whose vectors have lengths within
    /// <paramref name="ltol"/> of <paramref name="target"/>'s a, b, c (1/(1+ltol) &lt; l/L &lt; 1+ltol) and whose
    /// angles lie within <paramref name="angleTol"/> degrees of its alpha, beta, gamma, restricted to unimodular
    /// bases (|det| = 1 in integer coordinates; both handednesses). pymatgen: <c>Lattice.find_all_mappings</c>
    /// filtered by <c>StructureMatcher._get_lattices</c> with supercell size 1.
    /// </summary>
    public static List<Mat3> FindMappings(in Mat3 lattice, LatticeParameters target, double ltol, double angleTol)
    {
        var results = new List<Mat3>();
        double[] lengths = [target.A, target.B, target.C];
        double rMax = lengths.Max() * (1 + ltol);
        // Enumerate lattice points in an LLL basis: the same points, but a bounded box even for a badly skewed input.
        // Integer coordinates in it differ from those in the input basis by a unimodular map, so |det| is unchanged.
        var basis = LllReduce(lattice);
        Vec3 w = PlaneSpacings(basis);
        int na = (int)Math.Ceiling(rMax / w.X), nb = (int)Math.Ceiling(rMax / w.Y), nc = (int)Math.Ceiling(rMax / w.Z);
        Vec3 va = basis.Row(0), vb = basis.Row(1), vc = basis.Row(2);
        var cand = new[] { new List<Candidate>(), new List<Candidate>(), new List<Candidate>() };
        double hi = 1 + ltol, lo = 1 / (1 + ltol);
        for (int i = -na; i <= na; i++)
            for (int j = -nb; j <= nb; j++)
                for (int k = -nc; k <= nc; k++)
                {
                    if (i == 0 && j == 0 && k == 0) continue;
                    Vec3 cart = i * va + j * vb + k * vc;
                    double len = cart.Length;
                    if (len > rMax) continue;
                    for (int t = 0; t < 3; t++)
                    {
                        double r = len / lengths[t];
                        if (r < hi && r > lo) cand[t].Add(new Candidate(cart, len, i, j, k));
                    }
                }
        var ca = cand[0]; var cb = cand[1]; var cc = cand[2];
        if (ca.Count == 0 || cb.Count == 0 || cc.Count == 0) return results;
        // alpha = angle(b, c), beta = angle(a, c), gamma = angle(a, b)
        var alphaOk = new bool[cb.Count, cc.Count];
        for (int j = 0; j < cb.Count; j++)
            for (int k = 0; k < cc.Count; k++)
                alphaOk[j, k] = Math.Abs(AngleDeg(cb[j].Cart, cc[k].Cart, cb[j].Length, cc[k].Length) - target.Alpha) <= angleTol;
        var betaOk = new bool[ca.Count, cc.Count];
        for (int i = 0; i < ca.Count; i++)
            for (int k = 0; k < cc.Count; k++)
                betaOk[i, k] = Math.Abs(AngleDeg(ca[i].Cart, cc[k].Cart, ca[i].Length, cc[k].Length) - target.Beta) <= angleTol;
        for (int i = 0; i < ca.Count; i++)
            for (int j = 0; j < cb.Count; j++)
            {
                if (Math.Abs(AngleDeg(ca[i].Cart, cb[j].Cart, ca[i].Length, cb[j].Length) - target.Gamma) > angleTol) continue;
                for (int k = 0; k < cc.Count; k++)
                {
                    if (!alphaOk[j, k] || !betaOk[i, k]) continue;
                    long det = Det(ca[i], cb[j], cc[k]);
                    if (det != 1 && det != -1) continue;
                    results.Add(Mat3.FromRows(ca[i].Cart, cb[j].Cart, cc[k].Cart));
                }
            }
        return results;
    }

    /// <summary>LLL-reduced basis (Lenstra–Lenstra–Lovász, δ = 0.75) of the rows of <paramref name="m"/>, the basis
    /// pymatgen uses for periodic shortest vectors.</summary>
    public static Mat3 LllReduce(in Mat3 m, double delta = 0.75)
    {
        Span<Vec3> b = [m.Row(0), m.Row(1), m.Row(2)];
        Span<Vec3> gs = stackalloc Vec3[3];
        Span<double> gsNorm2 = stackalloc double[3];
        int k = 1, guard = 0;
        GramSchmidt(b, gs, gsNorm2);
        while (k < 3 && guard++ < 1000)
        {
            for (int j = k - 1; j >= 0; j--)
            {
                double mu = b[k].Dot(gs[j]) / gsNorm2[j];
                double q = Math.Round(mu);
                if (q != 0)
                {
                    b[k] -= q * b[j];
                    GramSchmidt(b, gs, gsNorm2);
                }
            }
            double muK = b[k].Dot(gs[k - 1]) / gsNorm2[k - 1];
            if (gsNorm2[k] >= (delta - muK * muK) * gsNorm2[k - 1]) k++;
            else
            {
                (b[k], b[k - 1]) = (b[k - 1], b[k]);
                GramSchmidt(b, gs, gsNorm2);
                k = Math.Max(k - 1, 1);
            }
        }
        return Mat3.FromRows(b[0], b[1], b[2]);
    }

    private static void GramSchmidt(ReadOnlySpan<Vec3> b, Span<Vec3> gs, Span<double> norm2)
    {
        for (int i = 0; i < 3; i++)
        {
            Vec3 v = b[i];
            for (int j = 0; j < i; j++) v -= (b[i].Dot(gs[j]) / norm2[j]) * gs[j];
            gs[i] = v;
            norm2[i] = v.LengthSquared;
        }
    }

    private static long Det(Candidate a, Candidate b, Candidate c) =>
        (long)a.I * (b.J * (long)c.K - (long)b.K * c.J)
        - (long)a.J * (b.I * (long)c.K - (long)b.K * c.I)
        + (long)a.K * (b.I * (long)c.J - (long)b.J * c.I);

    private readonly record struct Candidate(Vec3 Cart, double Length, int I, int J, int K);
}
