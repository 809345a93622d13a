namespace CrystalActors.Crystals.Graphs;

/// <summary>A validated lattice and site list with the derived quantities every site's search needs.</summary>
internal sealed class CrystalNNInput
{
    public required Vec3 A { get; init; }
    public required Vec3 B { get; init; }
    public required Vec3 C { get; init; }
    public required Vec3[] Frac { get; init; }
    public required Vec3[] Cart { get; init; }
    /// <summary>Lattice-plane spacings of the (100), (010), (001) planes (Å): how far one image step moves
    /// a point perpendicular to the other two lattice vectors.</summary>
    public required Vec3 PlaneSpacing { get; init; }
    /// <summary>pymatgen's cap on the growing cutoff: longest cell diagonal + 0.01 Å.</summary>
    public required double MaxCutoff { get; init; }

    public int SiteCount => Frac.Length;

    public static CrystalNNInput Create(double[,] lattice, IReadOnlyList<double[]> fracCoords)
    {
        ArgumentNullException.ThrowIfNull(lattice);
        ArgumentNullException.ThrowIfNull(fracCoords);
        if (lattice.GetLength(0) != 3 || lattice.GetLength(1) != 3)
            throw new ArgumentException($"lattice must be 3x3, got {lattice.GetLength(0)}x{lattice.GetLength(1)}", nameof(lattice));
        var a = new Vec3(lattice[0, 0], lattice[0, 1], lattice[0, 2]);
        var b = new Vec3(lattice[1, 0], lattice[1, 1], lattice[1, 2]);
        var c = new Vec3(lattice[2, 0], lattice[2, 1], lattice[2, 2]);
        if (!a.IsFinite || !b.IsFinite || !c.IsFinite)
            throw new ArgumentException("lattice contains a non-finite number", nameof(lattice));
        double volume = Math.Abs(a.Dot(b.Cross(c)));
        if (!(volume > 1e-3))
            throw new ArgumentException($"lattice volume {volume:G4} Å³ is (nearly) zero", nameof(lattice));
        if (fracCoords.Count == 0)
            throw new ArgumentException("the structure has no sites", nameof(fracCoords));

        var frac = new Vec3[fracCoords.Count];
        var cart = new Vec3[fracCoords.Count];
        for (int i = 0; i < frac.Length; i++)
        {
            var f = fracCoords[i];
            if (f is null || f.Length != 3)
                throw new ArgumentException($"site {i}: fractional coordinates must have 3 components", nameof(fracCoords));
            frac[i] = new Vec3(f[0], f[1], f[2]);
            if (!frac[i].IsFinite)
                throw new ArgumentException($"site {i}: fractional coordinates {frac[i]} are not finite", nameof(fracCoords));
            cart[i] = f[0] * a + f[1] * b + f[2] * c;
        }

        double maxDiagonal = Math.Max(
            Math.Max((a + b + c).Length, (-1 * a + b + c).Length),
            Math.Max((a - b + c).Length, (a + b - c).Length));
        return new CrystalNNInput
        {
            A = a, B = b, C = c, Frac = frac, Cart = cart,
            PlaneSpacing = new Vec3(volume / b.Cross(c).Length, volume / c.Cross(a).Length, volume / a.Cross(b).Length),
            MaxCutoff = maxDiagonal + 0.01,
        };
    }
}

/// <summary>
/// The per-site CrystalNN computation with reusable buffers (one instance per thread): gather the periodic
/// images within the cutoff, build the Voronoi cell, weight the faces, choose the CN.
/// </summary>
internal sealed class CrystalNNWorker
{
    private readonly VoronoiCell _cell = new();
    private readonly List<VoronoiFace> _faces = new();

    // Candidate neighbours of the current centre, nearest first.
    private Vec3[] _rel = new Vec3[512];
    private double[] _dist2 = new double[512];
    private int[] _site = new int[512];
    private (int A, int B, int C)[] _image = new (int, int, int)[512];
    private int[] _order = new int[512];
    private Vec3[] _sortedRel = new Vec3[512];
    private int _count;

    // The current site's faces with positive weight, weight-descending (stable in face order).
    private readonly List<int> _byWeight = new();
    private double[] _weight = new double[64];
    private double[] _normalized = new double[64];

    /// <summary>Adds the site's chosen bonds to <paramref name="edges"/> in canonical form.</summary>
    public void AddEdges(CrystalNNInput input, int site, HashSet<PeriodicEdge> edges)
    {
        Analyse(input, site);
        double chosenBin = ChooseBin(out _, null);
        foreach (int f in _byWeight)
        {
            if (_weight[f] < chosenBin) break;
            int n = _faces[f].Neighbor;
            var img = ImageOf(n);
            edges.Add(PeriodicEdge.Canonical(site, SiteOf(n), img.A, img.B, img.C));
        }
    }

    /// <summary>Everything CrystalNN knows about one site, for tests and diagnostics.</summary>
    public CrystalNNSite Describe(CrystalNNInput input, int site)
    {
        Analyse(input, site);
        var cnWeights = new List<KeyValuePair<int, double>>();
        double chosenBin = ChooseBin(out int cn, cnWeights);
        var faces = new List<CrystalNNFace>(_byWeight.Count);
        foreach (int f in _byWeight)
        {
            var face = _faces[f];
            int n = face.Neighbor;
            var img = ImageOf(n);
            faces.Add(new CrystalNNFace(SiteOf(n), img.A, img.B, img.C, face.SolidAngle, face.Area,
                Math.Sqrt(_dist2[n]), _normalized[f], _weight[f]));
        }
        var chosen = faces.Where(x => x.Weight >= chosenBin).ToList();
        return new CrystalNNSite(site, cn, chosen, cnWeights, faces);
    }

    /// <summary>Voronoi faces of <paramref name="site"/>, then the weights: solid angle / max solid angle,
    /// rounded as Python's round(w, 3); faces whose rounded weight is 0 are dropped, as in CrystalNN.</summary>
    private void Analyse(CrystalNNInput input, int site)
    {
        double cutoff = CrystalNN.SearchCutoff;
        while (true)
        {
            Gather(input, site, cutoff);
            // The starting cube is far larger than any bounded cell of points within the cutoff, so a surviving
            // cube face means the centre is not enclosed by its neighbours (Qhull's infinite vertex).
            if (_cell.Compute(_sortedRel.AsSpan(0, _count), 10 * cutoff, _faces) && _faces.Count > 0)
                break;
            if (cutoff >= input.MaxCutoff)
                throw new InvalidOperationException(
                    $"site {site}: the Voronoi cell is still unbounded at cutoff {cutoff:F2} Å (the longest cell diagonal)");
            cutoff = Math.Min(cutoff * 2, input.MaxCutoff + 0.001);
        }

        int nf = _faces.Count;
        if (_weight.Length < nf)
        {
            _weight = new double[2 * nf];
            _normalized = new double[2 * nf];
        }
        double max = 0;
        foreach (var f in _faces)
            if (f.SolidAngle > max) max = f.SolidAngle;
        _byWeight.Clear();
        for (int f = 0; f < nf; f++)
        {
            _normalized[f] = _faces[f].SolidAngle / max;
            _weight[f] = PythonRounding.Round3(_normalized[f]);
            if (_weight[f] > 0) _byWeight.Add(f);
        }
        // Stable descending sort (List.Sort is not stable; break ties by face order).
        _byWeight.Sort((x, y) =>
        {
            int c = _weight[y].CompareTo(_weight[x]);
            return c != 0 ? c : x.CompareTo(y);
        });
    }

    /// <summary>
    /// CrystalNN's CN choice over the rounded weights. Returns the weight of the winning bin: the chosen
    /// neighbours are the faces with weight ≥ it (+∞ when CN 0 wins).
    /// </summary>
    private double ChooseBin(out int cn, List<KeyValuePair<int, double>>? cnWeights)
    {
        double bestProbability = double.NegativeInfinity, bestBin = double.PositiveInfinity, sum = 0;
        cn = 0;
        int k = 0;
        while (k < _byWeight.Count)
        {
            double bin = _weight[_byWeight[k]];
            while (k < _byWeight.Count && _weight[_byWeight[k]] == bin) k++;
            double next = k < _byWeight.Count ? _weight[_byWeight[k]] : 0.0;
            double probability = SemicircleIntegral(bin, next);
            sum += probability;
            cnWeights?.Add(new KeyValuePair<int, double>(k, probability));
            if (probability > bestProbability) // strict: the first (smaller) CN wins a tie, as Python's max()
            {
                bestProbability = probability;
                bestBin = bin;
                cn = k;
            }
        }
        double zero = 1.0 - sum;
        if (zero > 0)
        {
            cnWeights?.Add(new KeyValuePair<int, double>(0, zero));
            if (zero > bestProbability)
            {
                bestBin = double.PositiveInfinity;
                cn = 0;
            }
        }
        return bestBin;
    }

    /// <summary>pymatgen's <c>CrystalNN._semicircle_integral</c>: area under the unit semicircle between
    /// <paramref name="x2"/> and <paramref name="x1"/>, over the quarter-circle area.</summary>
    internal static double SemicircleIntegral(double x1, double x2)
    {
        double area1 = x1 == 1 ? 0.25 * Math.PI : Area(x1);
        return (area1 - Area(x2)) / (0.25 * Math.PI);

        static double Area(double x)
        {
            double s = Math.Sqrt(1 - x * x);
            return 0.5 * (x * s + Math.Atan(x / s));
        }
    }

    /// <summary>All periodic images (site, image) within <paramref name="cutoff"/> of the centre except the
    /// centre itself, as positions relative to it, sorted by distance.</summary>
    private void Gather(CrystalNNInput input, int site, double cutoff)
    {
        _count = 0;
        double r2 = cutoff * cutoff + 1e-8;
        var ci = input.Cart[site];
        var fi = input.Frac[site];
        var sp = input.PlaneSpacing;
        double ra = cutoff / sp.X, rb = cutoff / sp.Y, rc = cutoff / sp.Z;
        for (int j = 0; j < input.SiteCount; j++)
        {
            var df = input.Frac[j] - fi;
            var d0 = input.Cart[j] - ci;
            int a0 = (int)Math.Ceiling(-ra - df.X), a1 = (int)Math.Floor(ra - df.X);
            int b0 = (int)Math.Ceiling(-rb - df.Y), b1 = (int)Math.Floor(rb - df.Y);
            int c0 = (int)Math.Ceiling(-rc - df.Z), c1 = (int)Math.Floor(rc - df.Z);
            for (int na = a0; na <= a1; na++)
            {
                var da = d0 + na * input.A;
                for (int nb = b0; nb <= b1; nb++)
                {
                    var db = da + nb * input.B;
                    for (int nc = c0; nc <= c1; nc++)
                    {
                        var d = db + nc * input.C;
                        double l2 = d.LengthSquared;
                        if (l2 > r2) continue;
                        if (j == site && na == 0 && nb == 0 && nc == 0) continue;
                        if (l2 < 1e-16)
                            throw new ArgumentException(
                                $"sites {site} and {j} (image [{na}, {nb}, {nc}]) coincide; the structure has overlapping atoms");
                        Add(d, l2, j, (na, nb, nc));
                    }
                }
            }
        }

        for (int k = 0; k < _count; k++) _order[k] = k;
        Array.Sort(_dist2, _order, 0, _count); // _order[k] = the candidate that is k-th nearest
        for (int k = 0; k < _count; k++) _sortedRel[k] = _rel[_order[k]];
    }

    /// <summary>Site index and lattice image of the k-th nearest candidate.</summary>
    private int SiteOf(int k) => _site[_order[k]];
    private (int A, int B, int C) ImageOf(int k) => _image[_order[k]];

    private void Add(Vec3 d, double l2, int j, (int, int, int) image)
    {
        if (_count == _rel.Length)
        {
            int n = 2 * _count;
            Array.Resize(ref _rel, n);
            Array.Resize(ref _dist2, n);
            Array.Resize(ref _site, n);
            Array.Resize(ref _image, n);
            Array.Resize(ref _order, n);
            Array.Resize(ref _sortedRel, n);
        }
        _rel[_count] = d;
        _dist2[_count] = l2;
        _site[_count] = j;
        _image[_count] = image;
        _count++;
    }
}
