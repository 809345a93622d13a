using CrystalActors.Crystals.Symmetry;

namespace CrystalActors.Crystals.Matching;

/// <summary>
/// The primitive-cell search of pymatgen's <c>IStructure.get_primitive_structure(tolerance=0.25)</c>, which
/// StructureMatcher runs on the Niggli cell of each structure. Read from pymatgen (2022.11 and current): candidate
/// translations are the vectors from the first site of the smallest element group (elements ordered by symbol) to the
/// others of that group, kept when they map every group onto itself within twice the per-axis tolerance
/// (tolerance / |a_k| in fractional units). Sub-lattices are then enumerated as Hermite normal forms of determinant
/// dividing the gcd of the element counts, smallest determinant first; one is accepted when each of its basis vectors
/// is such a translation and the sites fall into cliques of exactly det mutually close sites (per-axis tolerance of the
/// new cell, never two sites that were apart by more than twice the tolerance in the old one). Each clique becomes one
/// site at its periodic mean position. The search repeats on the result, which is then Niggli-reduced.
/// </summary>
internal static class PrimitiveCellFinder
{
    /// <summary>pymatgen's default tolerance, Å per fractional axis.</summary>
    public const double DefaultTolerance = 0.25;

    /// <summary>The primitive cell (Niggli-reduced when smaller than the input), or <paramref name="structure"/> itself.</summary>
    public static Structure Find(Structure structure, double tolerance = DefaultTolerance)
    {
        var current = structure;
        // Each accepted cell is strictly smaller, so this ends; the bound only guards against surprises.
        for (int depth = 0; depth < 64; depth++)
        {
            var smaller = FindSmaller(current, tolerance);
            if (smaller is null) return current;
            current = CellReduction.NiggliReduce(smaller);
        }
        return current;
    }

    private sealed class Group(Element species, Vec3[] frac)
    {
        public Element Species { get; } = species;
        public Vec3[] Frac { get; } = frac;
        public bool[,] NonNeighbours { get; set; } = new bool[0, 0];
    }

    private static Structure? FindSmaller(Structure s, double tol)
    {
        var groups = s.Sites.GroupBy(x => x.Species.Symbol, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new Group(g.First().Species, g.Select(x => x.FracCoords).ToArray())).ToList();
        int numFu = groups.Aggregate(0, (acc, g) => Composition.GcdOf(acc, g.Frac.Length));
        if (numFu <= 1) return null;

        var lp = s.Lattice.Parameters;
        Vec3 superTol = new(tol / lp.A, tol / lp.B, tol / lp.C);
        Vec3 superTol2 = 2 * superTol;

        var smallest = groups.MinBy(g => g.Frac.Length)!; // first of the minimal size, in symbol order
        var minVecs = smallest.Frac.Select(f => f - smallest.Frac[0]).ToList();
        foreach (var g in groups.OrderBy(g => g.Frac.Length)) // stable
            foreach (var f in g.Frac)
                minVecs = minVecs.Where(v => g.Frac.Any(x => AllBelow(v - (x - f), superTol2))).ToList();
        if (minVecs.Count == 0) return null;

        foreach (var g in groups)
        {
            int m = g.Frac.Length;
            var nn = new bool[m, m];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < m; j++)
                    nn[i, j] = i == j || AnyAbove(g.Frac[j] - g.Frac[i], superTol2);
            g.NonNeighbours = nn;
        }

        foreach (var (size, hnf) in HermiteNormalForms(numFu))
        {
            var inv = hnf.Inverse();
            if (!(minVecs.Any(v => AllBelow(inv.Row(0) - v, superTol)) && minVecs.Any(v => AllBelow(inv.Row(1) - v, superTol))
                  && minVecs.Any(v => AllBelow(inv.Row(2) - v, superTol))))
                continue;
            var newMatrix = inv * s.Lattice.Matrix;
            Vec3 ftol = new(tol / newMatrix.Row(0).Length, tol / newMatrix.Row(1).Length, tol / newMatrix.Row(2).Length);
            var sites = TryCollapse(groups, hnf, size, ftol);
            if (sites is null) continue;
            Lattice lattice;
            try { lattice = new Lattice(newMatrix); }
            catch (ArgumentException) { continue; }
            return new Structure(lattice, sites, s.Id);
        }
        return null;
    }

    /// <summary>Groups each element's sites, in the candidate cell, into cliques of exactly <paramref name="size"/>
    /// close sites and returns one averaged site per clique; null when the cell is not a valid sub-lattice.</summary>
    private static List<Site>? TryCollapse(List<Group> groups, Mat3 hnf, int size, Vec3 ftol)
    {
        var sites = new List<Site>();
        foreach (var g in groups)
        {
            int m = g.Frac.Length;
            var f = g.Frac.Select(x => x * hnf).ToArray(); // fractional coordinates in the candidate cell
            var close = new bool[m, m];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < m; j++)
                    close[i, j] = AllBelow(f[j] - f[i], ftol) && g.NonNeighbours[i, j];
            for (int j = 0; j < m; j++)
            {
                int column = 0;
                for (int i = 0; i < m; i++) if (close[i, j]) column++;
                if (column != size) return null;
            }
            for (int r = 0; r < m; r++)
                for (int i = 0; i < m; i++)
                {
                    if (!close[r, i]) continue;
                    for (int j = 0; j < m; j++)
                        if (close[r, j] && !close[i, j]) return null;
                }
            var wrapped = f.Select(PythonMod1).ToArray();
            var added = new bool[m];
            for (int r = 0; r < m; r++)
            {
                if (added[r]) continue;
                var members = Enumerable.Range(0, m).Where(j => close[r, j]).ToArray();
                foreach (int j in members) added[j] = true;
                Vec3 mean = wrapped[members[0]];
                for (int k = 1; k < members.Length; k++)
                {
                    Vec3 offset = wrapped[members[k]] - mean;
                    mean += (offset - offset.Round()) / (k + 1);
                }
                sites.Add(new Site(g.Species, mean));
            }
        }
        return sites;
    }

    /// <summary>pymatgen's <c>get_hnf</c>: upper-triangular [[a, b, c], [0, e, f], [0, 0, g]] with det = a·e·g over the
    /// divisors det &gt; 1 of <paramref name="numFu"/> (ascending), 0 ≤ b, c &lt; a and 0 ≤ f &lt; e.</summary>
    private static IEnumerable<(int Size, Mat3 Hnf)> HermiteNormalForms(int numFu)
    {
        foreach (int det in Divisors(numFu))
        {
            if (det == 1) continue;
            foreach (int a in Divisors(det))
                foreach (int e in Divisors(det / a))
                {
                    int g = det / a / e;
                    for (int b = 0; b < a; b++)
                        for (int c = 0; c < a; c++)
                            for (int f = 0; f < e; f++)
                                yield return (det, new Mat3(a, b, c, 0, e, f, 0, 0, g));
                }
        }
    }

    private static IEnumerable<int> Divisors(int n)
    {
        for (int i = 1; i <= n; i++) if (n % i == 0) yield return i;
    }

    private static bool AllBelow(Vec3 d, Vec3 tol) =>
        Math.Abs(d.X - Math.Round(d.X)) < tol.X && Math.Abs(d.Y - Math.Round(d.Y)) < tol.Y && Math.Abs(d.Z - Math.Round(d.Z)) < tol.Z;

    private static bool AnyAbove(Vec3 d, Vec3 tol) =>
        Math.Abs(d.X - Math.Round(d.X)) > tol.X || Math.Abs(d.Y - Math.Round(d.Y)) > tol.Y || Math.Abs(d.Z - Math.Round(d.Z)) > tol.Z;

    private static Vec3 PythonMod1(Vec3 v) => new(v.X - Math.Floor(v.X), v.Y - Math.Floor(v.Y), v.Z - Math.Floor(v.Z));
}
