namespace CrystalActors.Models.Graph;

/// <summary>
/// Port of pymatgen's <c>find_points_in_spheres</c> (pymatgen/optimization/neighbors.pyx) for periodic
/// boundaries on all three axes, reproducing its output ORDER, which M3GNet's three-body term depends on:
/// <list type="bullet">
/// <item>periodic images are generated in loop order (a, b, c, atom) over the image bounds, keeping only those
/// strictly inside the box [min(cart) − r − tol, max(cart) + r + tol];</item>
/// <item>they are binned in cubes of edge r and linked by head insertion, so a cube is visited in
/// DECREASING insertion order;</item>
/// <item>centres are visited in order, each scanning its 27 neighbouring cubes in (−1, 0, 1)³ order, last index fastest.</item>
/// </list>
/// Arithmetic follows the Cython code step by step (adjugate inverse, sequential 3-term sums, Python's
/// modulo for wrapping) so that points exactly on a cell face land in the same cube as in pymatgen.
/// </summary>
public static class PointsInSpheres
{
    private const double Tol = 1e-8;

    /// <summary>Most (image, site) visits a search may make; see the check in <see cref="Find"/>.</summary>
    public const double MaxImageVisits = 2e7;

    public readonly record struct Result(int Count, int[] Src, int[] Dst, int[] Images, double[] Distances);

    /// <param name="cart">Cartesian coordinates, flattened [n, 3] (Å); they are both the centres and the points.</param>
    /// <param name="lattice">Lattice rows, flattened [3, 3] (Å).</param>
    /// <param name="cutoff">Radius in Å; pairs with d² &lt; r² + 1e-8 are returned.</param>
    public static Result Find(ReadOnlySpan<double> cart, ReadOnlySpan<double> lattice, double cutoff)
    {
        int n = cart.Length / 3;
        double r = (float)cutoff; // the Cython signature declares r as a C float
        double ledge = r < 0.1 ? 0.1 : r;

        Span<double> validMin = stackalloc double[3];
        Span<double> validMax = stackalloc double[3];
        MaxAndMin(cart, n, validMax, validMin);
        for (int m = 0; m < 3; m++)
        {
            validMax[m] = validMax[m] + r + Tol;
            validMin[m] = validMin[m] - r - Tol;
        }

        Span<double> inv = stackalloc double[9];
        MatrixInverse(lattice, inv);

        // Fractional coordinates, wrapped into [0, 1) with Python's modulo; offsetCorrection keeps what was removed.
        var offsetCorrection = new double[3 * n];
        var fracCenters = new double[3 * n];
        MatMul3(cart, n, inv, offsetCorrection);
        MatMul3(cart, n, inv, fracCenters);
        var wrapped = new double[3 * n];
        for (int i = 0; i < 3 * n; i++)
        {
            wrapped[i] = PyMod1(offsetCorrection[i]);
            offsetCorrection[i] = offsetCorrection[i] - wrapped[i];
        }

        Span<double> maxr = stackalloc double[3];
        MaxRepetitions(lattice, r, maxr);
        Span<double> maxF = stackalloc double[3];
        Span<double> minF = stackalloc double[3];
        MaxAndMin(fracCenters, n, maxF, minF);
        Span<long> minBounds = stackalloc long[3];
        Span<long> maxBounds = stackalloc long[3];
        for (int m = 0; m < 3; m++)
        {
            minBounds[m] = (long)Math.Floor(minF[m] - maxr[m] - 1e-8);
            maxBounds[m] = (long)Math.Ceiling(maxF[m] + maxr[m] + 1e-8);
        }
        // The loop below visits every image between the smallest and largest fractional coordinate: bound it before
        // starting (a coordinate of 2e9 once meant billions of iterations).
        double visits = (double)Math.Max(n, 1);
        for (int m = 0; m < 3; m++) visits *= Math.Max(1.0, (double)maxBounds[m] - minBounds[m]);
        if (!(visits <= MaxImageVisits))
            throw new ArgumentException($"the sites span fractional coordinates {minF[0]:G3}..{maxF[0]:G3}, {minF[1]:G3}..{maxF[1]:G3}, " +
                                        $"{minF[2]:G3}..{maxF[2]:G3} with a {r} Å cutoff: {visits:G3} image visits (limit {MaxImageVisits:G3}); wrap the sites into the cell");
        var inCell = new double[3 * n];
        MatMul3(wrapped, n, lattice, inCell);

        // Translated images inside the valid box, in pymatgen's loop order.
        int cap = Math.Max(16, n * 27);
        var offsets = new int[3 * cap];
        var indices = new int[cap];
        var expanded = new double[3 * cap];
        int count = 0;
        Span<double> c = stackalloc double[3];
        for (long i = minBounds[0]; i < maxBounds[0]; i++)
            for (long j = minBounds[1]; j < maxBounds[1]; j++)
                for (long k = minBounds[2]; k < maxBounds[2]; k++)
                    for (int a = 0; a < n; a++)
                    {
                        for (int m = 0; m < 3; m++)
                            c[m] = (double)i * lattice[m] + (double)j * lattice[3 + m] + (double)k * lattice[6 + m] + inCell[3 * a + m];
                        if (c[0] > validMin[0] && c[0] < validMax[0] && c[1] > validMin[1] && c[1] < validMax[1]
                            && c[2] > validMin[2] && c[2] < validMax[2])
                        {
                            if (count == cap)
                            {
                                cap *= 2;
                                Array.Resize(ref offsets, 3 * cap);
                                Array.Resize(ref indices, cap);
                                Array.Resize(ref expanded, 3 * cap);
                            }
                            offsets[3 * count] = (int)i;
                            offsets[3 * count + 1] = (int)j;
                            offsets[3 * count + 2] = (int)k;
                            indices[count] = a;
                            expanded[3 * count] = c[0];
                            expanded[3 * count + 1] = c[1];
                            expanded[3 * count + 2] = c[2];
                            count++;
                        }
                    }

        Span<long> ncube = stackalloc long[3];
        for (int m = 0; m < 3; m++) ncube[m] = (long)Math.Ceiling((validMax[m] - validMin[m]) / ledge);
        long nbCubes = ncube[0] * ncube[1] * ncube[2];
        var head = new int[nbCubes];
        Array.Fill(head, -1);
        var next = new int[count];
        for (int p = 0; p < count; p++)
        {
            long cube = CubeIndex(expanded, p, validMin, ledge, ncube);
            next[p] = head[cube];
            head[cube] = p;
        }

        int edgeCap = Math.Max(64, n * 64);
        var src = new int[edgeCap];
        var dst = new int[edgeCap];
        var img = new int[3 * edgeCap];
        var dist = new double[edgeCap];
        int ne = 0;
        double r2 = r * r;
        for (int ci = 0; ci < n; ci++)
        {
            long cx = (long)Math.Floor((cart[3 * ci] - validMin[0] + 1e-8) / ledge);
            long cy = (long)Math.Floor((cart[3 * ci + 1] - validMin[1] + 1e-8) / ledge);
            long cz = (long)Math.Floor((cart[3 * ci + 2] - validMin[2] + 1e-8) / ledge);
            for (long dx = -1; dx <= 1; dx++)
                for (long dy = -1; dy <= 1; dy++)
                    for (long dz = -1; dz <= 1; dz++)
                    {
                        long x = cx + dx, y = cy + dy, z = cz + dz;
                        if (x < 0 || x >= ncube[0] || y < 0 || y >= ncube[1] || z < 0 || z >= ncube[2]) continue;
                        int link = head[x * ncube[1] * ncube[2] + y * ncube[2] + z];
                        while (link != -1)
                        {
                            double d2 = 0;
                            for (int m = 0; m < 3; m++)
                            {
                                double d = expanded[3 * link + m] - cart[3 * ci + m];
                                d2 += d * d;
                            }
                            if (d2 < r2 + Tol)
                            {
                                if (ne == edgeCap)
                                {
                                    edgeCap *= 2;
                                    Array.Resize(ref src, edgeCap);
                                    Array.Resize(ref dst, edgeCap);
                                    Array.Resize(ref img, 3 * edgeCap);
                                    Array.Resize(ref dist, edgeCap);
                                }
                                int atom = indices[link];
                                src[ne] = ci;
                                dst[ne] = atom;
                                for (int m = 0; m < 3; m++)
                                    img[3 * ne + m] = (int)Math.Round(offsets[3 * link + m] - offsetCorrection[3 * atom + m]);
                                dist[ne] = Math.Sqrt(d2);
                                ne++;
                            }
                            link = next[link];
                        }
                    }
        }
        Array.Resize(ref src, ne);
        Array.Resize(ref dst, ne);
        Array.Resize(ref img, 3 * ne);
        Array.Resize(ref dist, ne);
        return new Result(ne, src, dst, img, dist);
    }

    private static long CubeIndex(double[] coords, int p, ReadOnlySpan<double> validMin, double ledge, ReadOnlySpan<long> ncube)
    {
        long x = (long)Math.Floor((coords[3 * p] - validMin[0] + 1e-8) / ledge);
        long y = (long)Math.Floor((coords[3 * p + 1] - validMin[1] + 1e-8) / ledge);
        long z = (long)Math.Floor((coords[3 * p + 2] - validMin[2] + 1e-8) / ledge);
        return x * ncube[1] * ncube[2] + y * ncube[2] + z;
    }

    /// <summary>Python's float modulo by 1 (Cython with cdivision=False): the result has the sign of the divisor.</summary>
    private static double PyMod1(double x)
    {
        double m = x % 1.0; // C fmod: sign of x
        if (m < 0) m += 1.0;
        return m == 0 ? 0.0 : m;
    }

    private static void MaxAndMin(ReadOnlySpan<double> coords, int n, Span<double> max, Span<double> min)
    {
        for (int m = 0; m < 3; m++) { max[m] = coords[m]; min[m] = coords[m]; }
        for (int i = 0; i < n; i++)
            for (int m = 0; m < 3; m++)
            {
                double v = coords[3 * i + m];
                if (v >= max[m]) max[m] = v;
                if (v <= min[m]) min[m] = v;
            }
    }

    /// <summary>out[n,3] = a[n,3] · b[3,3], summing k = 0, 1, 2 in order from zero (as the Cython matmul).</summary>
    private static void MatMul3(ReadOnlySpan<double> a, int n, ReadOnlySpan<double> b, Span<double> output)
    {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < 3; j++)
            {
                double s = 0;
                for (int k = 0; k < 3; k++) s += a[3 * i + k] * b[3 * k + j];
                output[3 * i + j] = s;
            }
    }

    private static void MatrixInverse(ReadOnlySpan<double> m, Span<double> inv)
    {
        double det = m[0] * (m[4] * m[8] - m[5] * m[7]) + m[1] * (m[5] * m[6] - m[3] * m[8]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                inv[3 * i + j] = (m[3 * ((j + 1) % 3) + (i + 1) % 3] * m[3 * ((j + 2) % 3) + (i + 2) % 3]
                    - m[3 * ((j + 2) % 3) + (i + 1) % 3] * m[3 * ((j + 1) % 3) + (i + 2) % 3]) / det;
    }

    /// <summary>Number of lattice repetitions per axis that a sphere of radius r (+0.15 Å margin) can reach.</summary>
    private static void MaxRepetitions(ReadOnlySpan<double> l, double r, Span<double> maxr)
    {
        for (int i = 0; i < 3; i++)
        {
            int i1 = (i + 1) % 3, i2 = (i + 2) % 3;
            // reciprocal vector b_i = 2π (a_{i+1} × a_{i+2}) / (a_i · (a_{i+1} × a_{i+2}))
            double x0 = l[3 * i1 + 1] * l[3 * i2 + 2] - l[3 * i1 + 2] * l[3 * i2 + 1];
            double x1 = l[3 * i1 + 2] * l[3 * i2] - l[3 * i1] * l[3 * i2 + 2];
            double x2 = l[3 * i1] * l[3 * i2 + 1] - l[3 * i1 + 1] * l[3 * i2];
            double prod = 0;
            prod += l[3 * i] * x0;
            prod += l[3 * i + 1] * x1;
            prod += l[3 * i + 2] * x2;
            double b0 = 2 * Math.PI * x0 / prod, b1 = 2 * Math.PI * x1 / prod, b2 = 2 * Math.PI * x2 / prod;
            double len = Math.Sqrt(0 + b0 * b0 + b1 * b1 + b2 * b2);
            maxr[i] = Math.Ceiling((r + 0.15) * len / (2 * Math.PI));
        }
    }
}
