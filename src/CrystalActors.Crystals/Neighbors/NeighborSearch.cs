namespace CrystalActors.Crystals.Neighbors;

/// <summary>
/// Periodic neighbour search within a radius.
///
/// Method: wrap sites into [0, 1); replicate them over the lattice translations that can reach the home
/// cell (per axis ceil(cutoff / plane spacing), so skewed cells and cells smaller than the cutoff are
/// handled); keep only images whose fractional coordinates lie within cutoff/spacing of the home cell.
/// Small systems (the usual MP-20 crystal) then test every centre against every image directly, which
/// yields pairs already ordered. Large systems bin the images in Cartesian cubes of side = cutoff and test
/// only the 27 cubes around each centre (cell lists: time linear in the number of sites at fixed density).
/// </summary>
public static class NeighborSearch
{
    /// <summary>Above this many centre × image tests, cell lists replace the direct double loop.</summary>
    internal const long DirectPairLimit = 60_000;

    /// <summary>Largest |fractional coordinate| accepted: beyond it a site is far outside any sensible cell (and integer
    /// image shifts would overflow).</summary>
    public const double MaxFractionalCoordinate = 1e6;

    /// <summary>Most periodic images a search may generate (sites × images per site): a cell far smaller than the cutoff
    /// (e.g. a 2e-3 Å³ cell at 5 Å) would need billions.</summary>
    public const long MaxImages = 20_000_000;

    /// <summary>All pairs (i, j, image) with 0 &lt; |cart(f_j + image) - cart(f_i)| ≤ cutoff, except i = j at zero image.
    /// Two distinct sites at the same position are reported at distance 0.</summary>
    public static NeighborList FindNeighbors(Structure structure, double cutoff)
    {
        ArgumentNullException.ThrowIfNull(structure);
        var frac = new Vec3[structure.NumSites];
        for (int i = 0; i < frac.Length; i++) frac[i] = structure.Sites[i].FracCoords;
        return FindNeighbors(structure.Lattice, frac, cutoff);
    }

    public static NeighborList FindNeighbors(Lattice lattice, ReadOnlySpan<Vec3> fracCoords, double cutoff) =>
        FindNeighbors(lattice, fracCoords, cutoff, forceCellLists: false);

    internal static NeighborList FindNeighbors(Lattice lattice, ReadOnlySpan<Vec3> fracCoords, double cutoff, bool forceCellLists)
    {
        ArgumentNullException.ThrowIfNull(lattice);
        if (!(cutoff > 0) || !double.IsFinite(cutoff))
            throw new ArgumentOutOfRangeException(nameof(cutoff), cutoff, "cutoff must be a positive finite distance in Å");
        int n = fracCoords.Length;
        var ws = t_workspace ??= new Workspace();
        ws.EnsureSites(n);
        Mat3 m = lattice.Matrix;

        // Home-cell copies: wrapped fractional coordinate, its Cartesian position, and the integer shift removed.
        for (int i = 0; i < n; i++)
        {
            Vec3 f = fracCoords[i];
            if (!f.IsFinite) throw new ArgumentException($"site {i} has a non-finite fractional coordinate {f}", nameof(fracCoords));
            if (Math.Abs(f.X) > MaxFractionalCoordinate || Math.Abs(f.Y) > MaxFractionalCoordinate || Math.Abs(f.Z) > MaxFractionalCoordinate)
                throw new ArgumentException($"site {i} has a fractional coordinate {f} beyond ±{MaxFractionalCoordinate:0e0}", nameof(fracCoords));
            double sa = Math.Floor(f.X), sb = Math.Floor(f.Y), sc = Math.Floor(f.Z);
            ws.Shift[3 * i] = (int)sa; ws.Shift[3 * i + 1] = (int)sb; ws.Shift[3 * i + 2] = (int)sc;
            ws.Home[i] = new Vec3(f.X - sa, f.Y - sb, f.Z - sc);
            ws.HomeCart[i] = ws.Home[i] * m;
        }

        Vec3 widths = lattice.PerpendicularWidths;
        double ra = cutoff / widths.X, rb = cutoff / widths.Y, rc = cutoff / widths.Z; // reach in fractional units
        // Bound the work before doing it: (2n+1)³ images per site, counted in floating point so that it cannot overflow.
        double images = (2 * Math.Ceiling(ra) + 1) * (2 * Math.Ceiling(rb) + 1) * (2 * Math.Ceiling(rc) + 1) * Math.Max(n, 1);
        if (!(images <= MaxImages))
            throw new ArgumentException($"the cell (perpendicular widths {widths.X:G3}, {widths.Y:G3}, {widths.Z:G3} Å, {lattice.Volume:G3} Å³) is too small for a " +
                                        $"{cutoff} Å neighbour search: it would need {images:G3} periodic images (limit {MaxImages:G3})");
        int na = (int)Math.Ceiling(ra), nb = (int)Math.Ceiling(rb), nc = (int)Math.Ceiling(rc);

        // Candidate images, generated in (site, a, b, c) order.
        int count = 0;
        for (int j = 0; j < n; j++)
        {
            Vec3 h = ws.Home[j];
            for (int a = -na; a <= na; a++)
            {
                double fa = h.X + a;
                if (fa < -ra || fa >= 1 + ra) continue;
                for (int b = -nb; b <= nb; b++)
                {
                    double fb = h.Y + b;
                    if (fb < -rb || fb >= 1 + rb) continue;
                    for (int c = -nc; c <= nc; c++)
                    {
                        double fc = h.Z + c;
                        if (fc < -rc || fc >= 1 + rc) continue;
                        ws.EnsureCandidates(count + 1);
                        ws.Candidates[count++] = new Candidate(
                            fa * m.M00 + fb * m.M10 + fc * m.M20,
                            fa * m.M01 + fb * m.M11 + fc * m.M21,
                            fa * m.M02 + fb * m.M12 + fc * m.M22,
                            j, a, b, c);
                    }
                }
            }
        }

        ws.ResetOutput();
        double cutoff2 = cutoff * cutoff;
        if (!forceCellLists && (long)n * count <= DirectPairLimit)
        {
            // Direct: candidates are in (site, image) order, so each centre's pairs come out sorted.
            var cand = ws.Candidates.AsSpan(0, count);
            for (int i = 0; i < n; i++)
            {
                Vec3 p = ws.HomeCart[i];
                for (int k = 0; k < cand.Length; k++)
                {
                    ref readonly Candidate q = ref cand[k];
                    double dx = q.X - p.X, dy = q.Y - p.Y, dz = q.Z - p.Z;
                    double d2 = dx * dx + dy * dy + dz * dz;
                    if (d2 > cutoff2 || (q.Site == i && q.A == 0 && q.B == 0 && q.C == 0)) continue;
                    ws.AddFound(new Found(q.Site, q.A, q.B, q.C, d2, dx, dy, dz));
                }
                ws.FlushCentre(i, sort: false);
            }
        }
        else
        {
            CellListSearch(ws, n, count, cutoff, cutoff2);
        }
        return ws.ToNeighborList(cutoff, n);
    }

    private static void CellListSearch(Workspace ws, int n, int count, double cutoff, double cutoff2)
    {
        var cand = ws.Candidates.AsSpan(0, count);
        double minX = double.PositiveInfinity, minY = double.PositiveInfinity, minZ = double.PositiveInfinity;
        double maxX = double.NegativeInfinity, maxY = double.NegativeInfinity, maxZ = double.NegativeInfinity;
        foreach (ref readonly var q in cand)
        {
            minX = Math.Min(minX, q.X); maxX = Math.Max(maxX, q.X);
            minY = Math.Min(minY, q.Y); maxY = Math.Max(maxY, q.Y);
            minZ = Math.Min(minZ, q.Z); maxZ = Math.Max(maxZ, q.Z);
        }
        // Counting sort of the candidates into cubes of side `cutoff`.
        double inv = 1.0 / cutoff;
        int gx = Math.Max(1, (int)((maxX - minX) * inv) + 1);
        int gy = Math.Max(1, (int)((maxY - minY) * inv) + 1);
        int gz = Math.Max(1, (int)((maxZ - minZ) * inv) + 1);
        int bins = gx * gy * gz;
        var binOf = new int[count];
        var binStart = new int[bins + 1];
        for (int k = 0; k < count; k++)
        {
            ref readonly var q = ref cand[k];
            int bin = (Cell(q.X, minX, inv, gx) * gy + Cell(q.Y, minY, inv, gy)) * gz + Cell(q.Z, minZ, inv, gz);
            binOf[k] = bin;
            binStart[bin + 1]++;
        }
        for (int b = 0; b < bins; b++) binStart[b + 1] += binStart[b];
        var sorted = new Candidate[count];
        var fill = (int[])binStart.Clone();
        for (int k = 0; k < count; k++) sorted[fill[binOf[k]]++] = cand[k];

        for (int i = 0; i < n; i++)
        {
            Vec3 p = ws.HomeCart[i];
            int cx = Cell(p.X, minX, inv, gx), cy = Cell(p.Y, minY, inv, gy), cz = Cell(p.Z, minZ, inv, gz);
            for (int bx = Math.Max(0, cx - 1); bx <= Math.Min(gx - 1, cx + 1); bx++)
                for (int by = Math.Max(0, cy - 1); by <= Math.Min(gy - 1, cy + 1); by++)
                    for (int bz = Math.Max(0, cz - 1); bz <= Math.Min(gz - 1, cz + 1); bz++)
                    {
                        int bin = (bx * gy + by) * gz + bz;
                        for (int k = binStart[bin]; k < binStart[bin + 1]; k++)
                        {
                            ref readonly Candidate q = ref sorted[k];
                            double dx = q.X - p.X, dy = q.Y - p.Y, dz = q.Z - p.Z;
                            double d2 = dx * dx + dy * dy + dz * dz;
                            if (d2 > cutoff2 || (q.Site == i && q.A == 0 && q.B == 0 && q.C == 0)) continue;
                            ws.AddFound(new Found(q.Site, q.A, q.B, q.C, d2, dx, dy, dz));
                        }
                    }
            ws.FlushCentre(i, sort: true);
        }
    }

    private static int Cell(double x, double min, double inv, int g)
    {
        int c = (int)((x - min) * inv);
        return c < 0 ? 0 : c >= g ? g - 1 : c;
    }

    [ThreadStatic] private static Workspace? t_workspace;

    private readonly record struct Candidate(double X, double Y, double Z, int Site, int A, int B, int C);

    private readonly record struct Found(int Site, int A, int B, int C, double D2, double Dx, double Dy, double Dz) : IComparable<Found>
    {
        public int CompareTo(Found o) =>
            Site != o.Site ? Site.CompareTo(o.Site) : A != o.A ? A.CompareTo(o.A) : B != o.B ? B.CompareTo(o.B) : C.CompareTo(o.C);
    }

    /// <summary>Per-thread scratch buffers, reused across calls so that a search allocates only its result.</summary>
    private sealed class Workspace
    {
        public int[] Shift = new int[96];
        public Vec3[] Home = new Vec3[32];
        public Vec3[] HomeCart = new Vec3[32];
        public Candidate[] Candidates = new Candidate[1024];
        private Found[] _found = new Found[256];
        private int _foundCount;
        private int[] _centers = new int[1024], _neighbors = new int[1024];
        private LatticeImage[] _images = new LatticeImage[1024];
        private double[] _distances = new double[1024];
        private Vec3[] _vectors = new Vec3[1024];
        private int _out;

        public void EnsureSites(int n)
        {
            if (Home.Length < n)
            {
                Shift = new int[3 * n];
                Home = new Vec3[n];
                HomeCart = new Vec3[n];
            }
        }

        public void EnsureCandidates(int count)
        {
            if (Candidates.Length < count) Array.Resize(ref Candidates, Math.Max(count, 2 * Candidates.Length));
        }

        public void ResetOutput() { _out = 0; _foundCount = 0; }

        public void AddFound(in Found f)
        {
            if (_foundCount == _found.Length) Array.Resize(ref _found, 2 * _found.Length);
            _found[_foundCount++] = f;
        }

        /// <summary>Moves centre i's pairs to the output, translating images from wrapped to as-given coordinates:
        /// with w = f - s, image' = T - s_j + s_i. The offset is constant per (i, j), so sorted order survives.</summary>
        public void FlushCentre(int i, bool sort)
        {
            var found = _found.AsSpan(0, _foundCount);
            if (sort) found.Sort();
            int need = _out + found.Length;
            if (_centers.Length < need)
            {
                int size = Math.Max(need, 2 * _centers.Length);
                Array.Resize(ref _centers, size); Array.Resize(ref _neighbors, size); Array.Resize(ref _images, size);
                Array.Resize(ref _distances, size); Array.Resize(ref _vectors, size);
            }
            int sia = Shift[3 * i], sib = Shift[3 * i + 1], sic = Shift[3 * i + 2];
            foreach (ref readonly var f in found)
            {
                _centers[_out] = i;
                _neighbors[_out] = f.Site;
                _images[_out] = new LatticeImage(f.A - Shift[3 * f.Site] + sia, f.B - Shift[3 * f.Site + 1] + sib, f.C - Shift[3 * f.Site + 2] + sic);
                _distances[_out] = Math.Sqrt(f.D2);
                _vectors[_out] = new Vec3(f.Dx, f.Dy, f.Dz);
                _out++;
            }
            _foundCount = 0;
        }

        public NeighborList ToNeighborList(double cutoff, int n) => new(cutoff, n,
            _centers.AsSpan(0, _out).ToArray(), _neighbors.AsSpan(0, _out).ToArray(), _images.AsSpan(0, _out).ToArray(),
            _distances.AsSpan(0, _out).ToArray(), _vectors.AsSpan(0, _out).ToArray());
    }
}
