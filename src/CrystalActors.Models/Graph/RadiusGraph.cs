using CrystalActors.Crystals;

namespace CrystalActors.Models.Graph;

/// <summary>
/// The directed periodic radius graph of one crystal, as matgl builds it for M3GNet and MEGNet: every pair
/// (src → dst + image) with |pos[dst] + image·L − pos[src]| within the cutoff, self pairs at zero image removed,
/// both directions present. Edges come in exactly the order of pymatgen's <c>find_points_in_spheres</c>
/// (see <see cref="PointsInSpheres"/>), which M3GNet's three-body term depends on.
/// Arrays are struct-of-arrays so they go straight into tensors; images refer to the fractional coordinates
/// as given (not wrapped).
/// </summary>
public sealed class RadiusGraph
{
    /// <summary>Self pairs (an atom and itself at zero image) are recognised by a distance below this (Å), as in matgl.</summary>
    public const double SelfPairTolerance = 1e-8;

    public RadiusGraph(int numNodes, double cutoff, int[] src, int[] dst, int[] images, double[] distances)
    {
        int e = src.Length;
        if (dst.Length != e || images.Length != 3 * e || distances.Length != e)
            throw new ArgumentException($"edge arrays disagree: {src.Length} src, {dst.Length} dst, {images.Length / 3.0} images, {distances.Length} distances");
        NumNodes = numNodes;
        Cutoff = cutoff;
        Src = src;
        Dst = dst;
        Images = images;
        Distances = distances;
    }

    public int NumNodes { get; }
    public int NumEdges => Src.Length;
    /// <summary>Cutoff radius in Å.</summary>
    public double Cutoff { get; }
    /// <summary>Centre atom of each edge.</summary>
    public int[] Src { get; }
    /// <summary>Neighbour atom of each edge.</summary>
    public int[] Dst { get; }
    /// <summary>Lattice translation of the neighbour, flattened [edge, 3] (a, b, c).</summary>
    public int[] Images { get; }
    /// <summary>Edge lengths in Å (float64, from the coordinates given to <see cref="Build(Structure, double)"/>).</summary>
    public double[] Distances { get; }

    public (int A, int B, int C) Image(int edge) => (Images[3 * edge], Images[3 * edge + 1], Images[3 * edge + 2]);

    /// <summary>The radius graph of <paramref name="structure"/> with matgl's settings (tolerance 1e-8, pbc on all axes).</summary>
    public static RadiusGraph Build(Structure structure, double cutoff)
    {
        ArgumentNullException.ThrowIfNull(structure);
        var frac = new double[3 * structure.NumSites];
        for (int i = 0; i < structure.NumSites; i++)
        {
            var f = structure.Sites[i].FracCoords;
            frac[3 * i] = f.X; frac[3 * i + 1] = f.Y; frac[3 * i + 2] = f.Z;
        }
        return Build(structure.Lattice.Matrix, frac, cutoff);
    }

    /// <summary>
    /// The radius graph for a lattice (rows = lattice vectors, Å) and flattened fractional coordinates [n, 3].
    /// Cartesian positions are formed as frac·L with a sequential k = 0, 1, 2 sum, as matgl/pymatgen do.
    /// </summary>
    public static RadiusGraph Build(Mat3 lattice, ReadOnlySpan<double> fracCoords, double cutoff)
    {
        if (fracCoords.Length % 3 != 0 || fracCoords.Length == 0)
            throw new ArgumentException($"fractional coordinates must be a non-empty flattened [n, 3] array, got {fracCoords.Length} values", nameof(fracCoords));
        if (!(cutoff > 0) || !double.IsFinite(cutoff))
            throw new ArgumentOutOfRangeException(nameof(cutoff), cutoff, "cutoff must be a positive finite distance in Å");
        int n = fracCoords.Length / 3;
        var l = Lat9(lattice);
        var cart = new double[3 * n];
        for (int i = 0; i < n; i++)
        {
            double f0 = fracCoords[3 * i], f1 = fracCoords[3 * i + 1], f2 = fracCoords[3 * i + 2];
            if (!double.IsFinite(f0) || !double.IsFinite(f1) || !double.IsFinite(f2))
                throw new ArgumentException($"site {i} has a non-finite fractional coordinate ({f0}, {f1}, {f2})", nameof(fracCoords));
            for (int m = 0; m < 3; m++)
                cart[3 * i + m] = f0 * l[m] + f1 * l[3 + m] + f2 * l[6 + m];
        }
        return FromCartesian(n, l, cart, cutoff);
    }

    /// <summary>
    /// The radius graph from Cartesian positions (flattened [n, 3], Å), as matgl's ASE path builds it from
    /// <c>atoms.positions</c>; used by the relaxation so the edge order matches an ASE-driven matgl run.
    /// </summary>
    public static RadiusGraph BuildFromCartesian(Mat3 lattice, ReadOnlySpan<double> cartesian, double cutoff)
    {
        CheckCartesian(cartesian, cutoff, "site");
        return FromCartesian(cartesian.Length / 3, Lat9(lattice), cartesian, cutoff);
    }

    private static void CheckCartesian(ReadOnlySpan<double> cartesian, double cutoff, string what)
    {
        if (cartesian.Length % 3 != 0 || cartesian.Length == 0)
            throw new ArgumentException($"Cartesian coordinates must be a non-empty flattened [n, 3] array, got {cartesian.Length} values", nameof(cartesian));
        if (!(cutoff > 0) || !double.IsFinite(cutoff))
            throw new ArgumentOutOfRangeException(nameof(cutoff), cutoff, "cutoff must be a positive finite distance in Å");
        for (int i = 0; i < cartesian.Length; i++)
            if (!double.IsFinite(cartesian[i]))
                throw new ArgumentException($"{what} {i / 3} has a non-finite Cartesian coordinate", nameof(cartesian));
    }

    /// <summary>
    /// The non-periodic radius graph of a molecule or cluster (flattened [n, 3] Cartesian positions, Å), as matgl's
    /// <c>Atoms2Graph</c> builds it when the atoms are not periodic: every ordered pair i ≠ j with |x_j − x_i| ≤ cutoff,
    /// row-major (by i, then j), all images zero.
    /// </summary>
    public static RadiusGraph BuildNonPeriodic(ReadOnlySpan<double> cartesian, double cutoff)
    {
        CheckCartesian(cartesian, cutoff, "atom");
        int n = cartesian.Length / 3;
        var src = new List<int>();
        var dst = new List<int>();
        var dist = new List<double>();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                if (i == j) continue;
                double dx = cartesian[3 * j] - cartesian[3 * i], dy = cartesian[3 * j + 1] - cartesian[3 * i + 1], dz = cartesian[3 * j + 2] - cartesian[3 * i + 2];
                double d = Math.Sqrt(dx * dx + dy * dy + dz * dz);
                if (d > cutoff) continue;
                src.Add(i); dst.Add(j); dist.Add(d);
            }
        return new RadiusGraph(n, cutoff, src.ToArray(), dst.ToArray(), new int[3 * src.Count], dist.ToArray());
    }

    private static RadiusGraph FromCartesian(int n, double[] l, ReadOnlySpan<double> cart, double cutoff)
    {
        var raw = PointsInSpheres.Find(cart, l, cutoff);

        // matgl drops only the atom itself at zero distance; periodic images of the same atom stay.
        int keep = 0;
        for (int e = 0; e < raw.Count; e++)
            if (raw.Src[e] != raw.Dst[e] || raw.Distances[e] > SelfPairTolerance) keep++;
        var src = new int[keep];
        var dst = new int[keep];
        var img = new int[3 * keep];
        var dist = new double[keep];
        int k = 0;
        for (int e = 0; e < raw.Count; e++)
        {
            if (raw.Src[e] == raw.Dst[e] && raw.Distances[e] <= SelfPairTolerance) continue;
            src[k] = raw.Src[e];
            dst[k] = raw.Dst[e];
            img[3 * k] = raw.Images[3 * e];
            img[3 * k + 1] = raw.Images[3 * e + 1];
            img[3 * k + 2] = raw.Images[3 * e + 2];
            dist[k] = raw.Distances[e];
            k++;
        }
        return new RadiusGraph(n, cutoff, src, dst, img, dist);
    }

    internal static double[] Lat9(Mat3 m) => [m.M00, m.M01, m.M02, m.M10, m.M11, m.M12, m.M20, m.M21, m.M22];
}
