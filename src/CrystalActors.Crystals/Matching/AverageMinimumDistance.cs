namespace CrystalActors.Crystals.Matching;

/// <summary>
/// The average minimum distance (AMD) isometry invariant of a crystal (Widdowson et al., MATCH Commun. Math. Comput.
/// Chem. 87, 529 (2022); the <c>average-minimum-distance</c> package, <c>amd.AMD(pset, k)</c>): entry k is the
/// distance (Å) from a site to its k-th nearest neighbour in the infinite crystal (itself excluded), averaged over
/// the sites of one cell. Species are ignored. It does not depend on the choice of cell (a supercell has the same
/// AMD) or on rotations and translations. Chemeleon2's CreativityReward compares AMDs with k = 100 in the Chebyshev
/// (L∞) metric, <c>amd.AMD_cdist</c>'s default.
/// </summary>
public static class AverageMinimumDistance
{
    /// <summary>Chemeleon2's k.</summary>
    public const int DefaultK = 100;

    /// <summary>AMD_1 … AMD_k of <paramref name="structure"/> in Å, ascending. Every site counts with weight 1/n
    /// (a P1 cell, as Chemeleon2 feeds amd through a P1 CIF).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is not in 1..10000.</exception>
    public static double[] Compute(Structure structure, int k = DefaultK)
    {
        ArgumentNullException.ThrowIfNull(structure);
        if (k < 1 || k > 10_000) throw new ArgumentOutOfRangeException(nameof(k), k, "k must lie in 1..10000");
        int n = structure.NumSites;
        var lattice = structure.Lattice;
        var frac = structure.FracCoords.Select(f => f.WrapUnit()).ToArray();
        var cart = frac.Select(lattice.GetCartesianCoords).ToArray();
        Vec3 w = lattice.PerpendicularWidths;
        // A sphere holding k + 1 points at the crystal's density, with a margin; doubled until every site has enough.
        double radius = 1.5 * Math.Cbrt((k + 1) * lattice.Volume / n * 3 / (4 * Math.PI)) + 0.5 * Math.Min(w.X, Math.Min(w.Y, w.Z));
        var amd = new double[k];
        var found = new List<double>[n];
        for (int i = 0; i < n; i++) found[i] = new List<double>();
        while (true)
        {
            // |fractional component along axis| <= r / spacing; coordinates differ by < 1 inside the cell.
            int na = (int)Math.Ceiling(radius / w.X) + 1, nb = (int)Math.Ceiling(radius / w.Y) + 1, nc = (int)Math.Ceiling(radius / w.Z) + 1;
            double r2 = radius * radius;
            foreach (var l in found) l.Clear();
            for (int a = -na; a <= na; a++)
                for (int b = -nb; b <= nb; b++)
                    for (int c = -nc; c <= nc; c++)
                    {
                        Vec3 shift = lattice.GetCartesianCoords(new Vec3(a, b, c));
                        for (int j = 0; j < n; j++)
                        {
                            Vec3 pj = cart[j] + shift;
                            for (int i = 0; i < n; i++)
                            {
                                double d2 = (pj - cart[i]).LengthSquared;
                                if (d2 <= r2) found[i].Add(d2);
                            }
                        }
                    }
            if (found.All(l => l.Count >= k + 1)) break;
            radius *= 1.5;
        }
        foreach (var l in found)
        {
            l.Sort();
            // l[0] is the site itself (distance 0): amd drops the first neighbour column.
            for (int m = 0; m < k; m++) amd[m] += Math.Sqrt(l[m + 1]);
        }
        for (int m = 0; m < k; m++) amd[m] /= n;
        return amd;
    }

    /// <summary>Chebyshev (L∞) distance between two AMDs of equal length, in Å.</summary>
    /// <exception cref="ArgumentException">the lengths differ.</exception>
    public static double ChebyshevDistance(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"AMDs of different lengths ({x.Count} and {y.Count}) cannot be compared");
        double m = 0;
        for (int i = 0; i < x.Count; i++) m = Math.Max(m, Math.Abs(x[i] - y[i]));
        return m;
    }
}
