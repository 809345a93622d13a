namespace CrystalActors.Crystals.Graphs;

/// <summary>
/// An undirected periodic edge: site <see cref="I"/> in the home cell is bonded to site <see cref="J"/> shifted
/// by the lattice translation (<see cref="A"/>, <see cref="B"/>, <see cref="C"/>).
/// </summary>
/// <remarks>
/// Canonical form (as pymatgen's <c>StructureGraph.add_edge</c> plus the reference's comparison rule):
/// I ≤ J; for a self-image edge (I == J) the first non-zero image component is positive, so (i, i, v) and
/// (i, i, −v) are the same edge; (i, i, 0, 0, 0) never occurs.
/// </remarks>
public readonly record struct PeriodicEdge(int I, int J, int A, int B, int C) : IComparable<PeriodicEdge>
{
    public (int A, int B, int C) Image => (A, B, C);

    /// <summary>Puts the directed relation i → (j, image) in canonical form.</summary>
    public static PeriodicEdge Canonical(int i, int j, int a, int b, int c)
    {
        if (j < i)
            return new PeriodicEdge(j, i, -a, -b, -c);
        if (i == j)
        {
            int first = a != 0 ? a : b != 0 ? b : c;
            if (first < 0)
                return new PeriodicEdge(i, j, -a, -b, -c);
        }
        return new PeriodicEdge(i, j, a, b, c);
    }

    public int CompareTo(PeriodicEdge o)
    {
        int c = I.CompareTo(o.I);
        if (c != 0) return c;
        if ((c = J.CompareTo(o.J)) != 0) return c;
        if ((c = A.CompareTo(o.A)) != 0) return c;
        if ((c = B.CompareTo(o.B)) != 0) return c;
        return C.CompareTo(o.C);
    }

    public override string ToString() => $"({I}, {J}, [{A}, {B}, {C}])";
}

/// <summary>One Voronoi face of a site: the neighbour (site J at lattice image A, B, C) across it and its weights.</summary>
/// <param name="SolidAngle">Solid angle of the face seen from the centre (sr).</param>
/// <param name="Area">Face area (Å²).</param>
/// <param name="Distance">Centre-to-neighbour distance (Å).</param>
/// <param name="NormalizedWeight">Solid angle divided by the largest solid angle of the site's faces (unrounded).</param>
/// <param name="Weight">CrystalNN's weight: <see cref="NormalizedWeight"/> rounded as Python's <c>round(w, 3)</c>.</param>
public sealed record CrystalNNFace(
    int J, int A, int B, int C, double SolidAngle, double Area, double Distance, double NormalizedWeight, double Weight)
{
    public (int A, int B, int C) Image => (A, B, C);
}

/// <summary>CrystalNN's result for one site.</summary>
/// <param name="Site">Index of the centre site.</param>
/// <param name="CoordinationNumber">The most probable coordination number (= <c>Neighbors.Count</c>).</param>
/// <param name="Neighbors">The faces chosen as bonds, weight-descending.</param>
/// <param name="CnWeights">CrystalNN's probability for each candidate CN, in pymatgen's insertion order
/// (increasing CN, then CN 0 last when present).</param>
/// <param name="Faces">Every Voronoi face of the site with positive solid angle, weight-descending.</param>
public sealed record CrystalNNSite(
    int Site,
    int CoordinationNumber,
    IReadOnlyList<CrystalNNFace> Neighbors,
    IReadOnlyList<KeyValuePair<int, double>> CnWeights,
    IReadOnlyList<CrystalNNFace> Faces);

/// <summary>
/// pymatgen's <c>CrystalNN(distance_cutoffs=None, x_diff_weight=-1, porous_adjustment=False)</c> (all other
/// parameters at their defaults: <c>search_cutoff=7</c>, <c>weighted_cn=False</c>, <c>cation_anion=False</c>)
/// as used through <c>StructureGraph.with_local_env_strategy</c> by CDVAE and crystal-design.
/// </summary>
/// <remarks>
/// For every site: the Voronoi cell among all periodic images within 7 Å (the cutoff doubles, up to the
/// longest cell diagonal, while the cell is unbounded); face weight = solid angle / largest solid angle,
/// rounded to 3 decimals; the distinct weights w₁ = 1 &gt; w₂ &gt; … are CN bins, CN(wₖ) = number of faces with
/// weight ≥ wₖ and probability = the unit-semicircle area between wₖ and wₖ₊₁ (wₙ₊₁ = 0) over π/4; CN 0
/// takes what is left. The most probable CN wins (the smaller CN on a tie, CN 0 last). Species play no role
/// under these settings. The graph is the union of every site's chosen neighbours. Thread-safe.
/// </remarks>
public static class CrystalNN
{
    /// <summary>pymatgen's default <c>search_cutoff</c> (Å).</summary>
    public const double SearchCutoff = 7.0;

    [ThreadStatic] private static CrystalNNWorker? t_worker;

    private static CrystalNNWorker Worker => t_worker ??= new CrystalNNWorker();

    /// <summary>The undirected CrystalNN graph of a periodic structure, sorted, in canonical form.</summary>
    /// <param name="lattice">Lattice matrix, rows = lattice vectors a, b, c (Å).</param>
    /// <param name="fracCoords">Fractional coordinates of the sites, as given (not wrapped: images are
    /// relative to these coordinates, as in pymatgen).</param>
    public static IReadOnlyList<PeriodicEdge> GetEdges(double[,] lattice, IReadOnlyList<double[]> fracCoords)
    {
        var input = CrystalNNInput.Create(lattice, fracCoords);
        var edges = new HashSet<PeriodicEdge>();
        var worker = Worker;
        for (int i = 0; i < input.SiteCount; i++)
            worker.AddEdges(input, i, edges);
        var list = edges.ToList();
        list.Sort();
        return list;
    }

    /// <summary>The undirected CrystalNN graph of <paramref name="structure"/>, sorted, in canonical form.
    /// Images are relative to the fractional coordinates as stored (not wrapped), as in pymatgen.</summary>
    public static IReadOnlyList<PeriodicEdge> GetEdges(Structure structure)
    {
        ArgumentNullException.ThrowIfNull(structure);
        return GetEdges(LatticeArray(structure.Lattice), FracArray(structure));
    }

    /// <summary>CrystalNN's full result for every site of <paramref name="structure"/>.</summary>
    public static IReadOnlyList<CrystalNNSite> GetAllSiteNeighbors(Structure structure)
    {
        ArgumentNullException.ThrowIfNull(structure);
        return GetAllSiteNeighbors(LatticeArray(structure.Lattice), FracArray(structure));
    }

    /// <summary>CrystalNN's full result for site <paramref name="site"/> of <paramref name="structure"/>.</summary>
    public static CrystalNNSite GetSiteNeighbors(Structure structure, int site)
    {
        ArgumentNullException.ThrowIfNull(structure);
        return GetSiteNeighbors(LatticeArray(structure.Lattice), FracArray(structure), site);
    }

    /// <summary>CrystalNN's full result for one site: faces, weights, CN distribution and chosen neighbours.</summary>
    public static CrystalNNSite GetSiteNeighbors(double[,] lattice, IReadOnlyList<double[]> fracCoords, int site)
    {
        var input = CrystalNNInput.Create(lattice, fracCoords);
        if ((uint)site >= (uint)input.SiteCount)
            throw new ArgumentOutOfRangeException(nameof(site), site, $"the structure has {input.SiteCount} sites");
        return Worker.Describe(input, site);
    }

    /// <summary>CrystalNN's full result for every site.</summary>
    public static IReadOnlyList<CrystalNNSite> GetAllSiteNeighbors(double[,] lattice, IReadOnlyList<double[]> fracCoords)
    {
        var input = CrystalNNInput.Create(lattice, fracCoords);
        var worker = Worker;
        return Enumerable.Range(0, input.SiteCount).Select(i => worker.Describe(input, i)).ToList();
    }

    internal static double[,] LatticeArray(Lattice lattice)
    {
        var m = lattice.Matrix;
        return new double[3, 3] { { m.M00, m.M01, m.M02 }, { m.M10, m.M11, m.M12 }, { m.M20, m.M21, m.M22 } };
    }

    private static double[][] FracArray(Structure s)
    {
        var frac = new double[s.NumSites][];
        for (int i = 0; i < frac.Length; i++)
        {
            var f = s[i].FracCoords;
            frac[i] = [f.X, f.Y, f.Z];
        }
        return frac;
    }
}
