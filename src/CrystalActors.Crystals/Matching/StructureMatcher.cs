using System.Runtime.CompilerServices;
using CrystalActors.Crystals.Symmetry;

namespace CrystalActors.Crystals.Matching;

/// <summary>
/// Decides whether two crystals are the same structure, with the semantics of pymatgen's
/// <c>pymatgen.analysis.structure_matcher.StructureMatcher</c> at its defaults (see
/// <see cref="StructureMatcherOptions"/>; read from pymatgen's <c>structure_matcher.py</c>, <c>Lattice.find_all_mappings</c>
/// and <c>coord_cython.pbc_shortest_vectors</c>):
/// <list type="number">
/// <item>reduced compositions must be equal (the species comparator's hash);</item>
/// <item>both structures are put in their Niggli cells and reduced to primitive cells (pymatgen's
/// <c>get_primitive_structure</c> algorithm, ported in this library, or spglib; see
/// <see cref="StructureMatcherOptions.PrimitiveAlgorithm"/>); different site counts then mean no match (no supercell
/// attempt);</item>
/// <item>both lattices are scaled to the same volume, the geometric mean of the two;</item>
/// <item>every unimodular basis of the first structure's lattice whose lengths are within ltol and angles within
/// angle_tol of the second's lattice is tried (mirror-image bases included, so enantiomorphs match, as in pymatgen);
/// the first structure's sites are expressed in that basis and both are compared on the lattice whose parameters
/// are the average of the two;</item>
/// <item>for each basis, every translation that puts the anchor of the second structure (its first site, in the
/// reduced cell's own order, of an element with the fewest sites) on a site of the same element in the first is tried; a fractional pre-filter (each site within
/// 2·stol·(V/n)^(1/3)/d_hkl of some same-element site along each axis) discards hopeless ones;</item>
/// <item>sites are paired element by element by a minimum-cost assignment on squared periodic distances (shortest
/// image among the 27 neighbours in the LLL basis, pairs further apart than the LLL fractional tolerance forbidden),
/// then the mean displacement is removed (the translation that minimises the RMS);</item>
/// <item>displacements are divided by (V/n)^(1/3) of the averaged lattice. <see cref="Fit(Structure, Structure)"/>
/// accepts the first pairing whose largest normalised displacement is below stol;
/// <see cref="GetRmsDist(Structure, Structure)"/> searches all of them for the smallest RMS.</item>
/// </list>
/// The matcher is immutable and thread-safe. It caches each structure's reduced form (keyed by the
/// <see cref="Structure"/> object, held weakly), so matching one structure against many costs one reduction.
/// </summary>
public sealed class StructureMatcher
{
    private readonly ConditionalWeakTable<Structure, ReducedStructure> _reduced = new();

    public StructureMatcher(StructureMatcherOptions? options = null)
    {
        Options = options ?? StructureMatcherOptions.Default;
    }

    public StructureMatcherOptions Options { get; }

    /// <summary>The structure as the matcher compares it: primitive (when enabled), Niggli-reduced, sites sorted by
    /// element. Cached per <see cref="Structure"/> object.</summary>
    public ReducedStructure Reduce(Structure structure)
    {
        ArgumentNullException.ThrowIfNull(structure);
        return _reduced.GetValue(structure, ReduceUncached);
    }

    private ReducedStructure ReduceUncached(Structure structure)
    {
        // pymatgen: Niggli cell first, then the primitive search on it (whose result is Niggli-reduced again).
        var s = CellReduction.NiggliReduce(structure);
        if (Options.PrimitiveCell)
        {
            s = Options.PrimitiveAlgorithm == PrimitiveCellAlgorithm.Pymatgen
                ? PrimitiveCellFinder.Find(s, Options.PrimitiveTolerance)
                : CellReduction.NiggliReduce(CellReduction.FindPrimitive(s, Options.PrimitiveTolerance));
        }
        return new ReducedStructure(structure, s);
    }

    /// <summary>True when <paramref name="a"/> and <paramref name="b"/> are the same structure within the tolerances
    /// (pymatgen's <c>fit(a, b)</c>, non-symmetric: candidate bases are taken from <paramref name="a"/>'s lattice).</summary>
    public bool Fit(Structure a, Structure b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!SameReducedComposition(a.Composition, b.Composition)) return false;
        return Fit(Reduce(a), Reduce(b));
    }

    /// <inheritdoc cref="Fit(Structure, Structure)"/>
    public bool Fit(ReducedStructure a, ReducedStructure b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.ReducedFormula != b.ReducedFormula) return false;
        return Match(a, b, useRms: false, breakOnMatch: true) is not null;
    }

    /// <summary>
    /// pymatgen's <c>get_rms_dist(a, b)</c>: over all candidate bases and translations, the pairing with the smallest
    /// RMS displacement; returns that RMS and the largest displacement of the same pairing, both divided by
    /// (V/n)^(1/3) of the averaged, volume-scaled lattice. Null when the compositions differ or no pairing has an
    /// RMS below stol.
    /// </summary>
    public (double Rms, double MaxDist)? GetRmsDist(Structure a, Structure b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!SameReducedComposition(a.Composition, b.Composition)) return null;
        return GetRmsDist(Reduce(a), Reduce(b));
    }

    /// <inheritdoc cref="GetRmsDist(Structure, Structure)"/>
    public (double Rms, double MaxDist)? GetRmsDist(ReducedStructure a, ReducedStructure b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.ReducedFormula != b.ReducedFormula) return null;
        var m = Match(a, b, useRms: true, breakOnMatch: false);
        return m is { } r ? (r.Value, r.MaxDist) : null;
    }

    /// <summary>
    /// pymatgen's <c>group_structures</c>: structures are pre-grouped by reduced formula; within a formula, in input
    /// order, a structure joins the group of the first earlier group leader that fits it (<c>Fit(leader, s)</c>), or
    /// else leads a new group. Returns groups of indices into <paramref name="structures"/>, each in ascending order
    /// (its first index is the leader), groups ordered by leader. The leaders are the "unique" structures of the
    /// CDVAE/Chemeleon2 metric.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<int>> GroupStructures(IReadOnlyList<Structure> structures)
    {
        ArgumentNullException.ThrowIfNull(structures);
        var reduced = structures.Select(Reduce).ToArray();
        var groups = new List<List<int>>();
        var leadersByFormula = new Dictionary<string, List<List<int>>>();
        for (int i = 0; i < reduced.Length; i++)
        {
            if (!leadersByFormula.TryGetValue(reduced[i].ReducedFormula, out var formulaGroups))
                leadersByFormula[reduced[i].ReducedFormula] = formulaGroups = [];
            List<int>? home = null;
            foreach (var g in formulaGroups)
                if (Fit(reduced[g[0]], reduced[i])) { home = g; break; }
            if (home is null)
            {
                home = [];
                formulaGroups.Add(home);
                groups.Add(home);
            }
            home.Add(i);
        }
        return groups;
    }

    internal static bool SameReducedComposition(Composition x, Composition y)
    {
        if (x.NumElements != y.NumElements) return false;
        int gx = x.Gcd, gy = y.Gcd;
        foreach (var (e, n) in x.Counts)
            if ((long)n * gy != (long)y[e] * gx) return false;
        return true;
    }

    private readonly record struct MatchResult(double Value, double MaxDist);

    /// <summary>pymatgen's <c>_preprocess</c> scaling + <c>_strict_match</c> with fu = 1: struct1 = a supplies the
    /// candidate bases, struct2 = b is the fixed one.</summary>
    private MatchResult? Match(ReducedStructure a, ReducedStructure b, bool useRms, bool breakOnMatch)
    {
        if (!a.HasSameBlocks(b)) return null; // different site counts after reduction: no match without supercells
        int n = a.NumSites;
        double stol = Options.Stol;
        double ratio = Options.Scale ? Math.Pow(Math.Abs(b.Matrix.Determinant) / Math.Abs(a.Matrix.Determinant), 1.0 / 6.0) : 1.0;
        Mat3 m1 = ratio * a.Matrix, m2 = (1.0 / ratio) * b.Matrix;
        var p2 = LatticeMappings.Parameters(m2);
        var bases = LatticeMappings.FindMappings(m1, p2, Options.Ltol, Options.AngleTol);
        if (bases.Count == 0) return null;

        var cart1 = new Vec3[n];
        for (int i = 0; i < n; i++) cart1[i] = a.Frac[i] * m1;
        var f2 = b.Frac;

        // Anchor: the first site of b, in its reduced cell's order, of an element with the fewest sites; every site
        // of that element in a is tried as its image.
        int anchor2 = b.AnchorSite;
        int anchorBlock = b.BlockOf(anchor2);

        var ws = new Workspace(n);
        MatchResult? best = null;
        foreach (var basis in bases)
        {
            var inv = basis.Inverse();
            for (int i = 0; i < n; i++) ws.F1[i] = (cart1[i] * inv).WrapUnit();
            var p1 = LatticeMappings.Parameters(basis);
            Lattice avg;
            try
            {
                avg = Lattice.FromParameters((p1.A + p2.A) / 2, (p1.B + p2.B) / 2, (p1.C + p2.C) / 2,
                    (p1.Alpha + p2.Alpha) / 2, (p1.Beta + p2.Beta) / 2, (p1.Gamma + p2.Gamma) / 2);
            }
            catch (ArgumentException)
            {
                continue; // averaged angles that cannot close a cell
            }
            double norm = Math.Cbrt(n / avg.Volume); // inverse of (V/n)^(1/3)
            // |reciprocal vector| * stol / (pi * norm) = 2 stol / (d_hkl * norm)
            Vec3 d = avg.PerpendicularWidths;
            Vec3 fracTol = new(2 * stol / (d.X * norm), 2 * stol / (d.Y * norm), 2 * stol / (d.Z * norm));
            LllFrame? lll = null;

            for (int s1 = a.BlockStarts[anchorBlock]; s1 < a.BlockStarts[anchorBlock + 1]; s1++)
            {
                Vec3 t = ws.F1[s1] - f2[anchor2];
                for (int i = 0; i < n; i++) ws.F2[i] = f2[i] + t;
                if (!IsSubsetPbc(a, ws.F2, ws.F1, fracTol)) continue;
                lll ??= new LllFrame(avg.Matrix, stol, norm);
                if (!CartesianDistances(a, ws, lll, norm)) continue;
                double val;
                if (useRms)
                {
                    double s2 = 0;
                    for (int i = 0; i < n; i++) s2 += ws.Dist[i] * ws.Dist[i];
                    val = Math.Sqrt(s2 / n);
                }
                else val = ws.Dist.Max();
                if (best is null || val < best.Value.Value)
                {
                    best = new MatchResult(val, ws.Dist.Max());
                    if ((breakOnMatch || val < 1e-5) && val < stol) return best;
                }
            }
        }
        return best is { } r && r.Value < stol ? r : null;
    }

    /// <summary>pymatgen's <c>is_coord_subset_pbc</c>: every site of <paramref name="sub"/> lies, per fractional
    /// axis, within <paramref name="tol"/> (modulo 1) of some site of the same element in <paramref name="super"/>.</summary>
    private static bool IsSubsetPbc(ReducedStructure blocks, Vec3[] sub, Vec3[] super, Vec3 tol)
    {
        for (int blk = 0; blk < blocks.NumBlocks; blk++)
        {
            int start = blocks.BlockStarts[blk], end = blocks.BlockStarts[blk + 1];
            for (int i = start; i < end; i++)
            {
                bool found = false;
                for (int j = start; j < end && !found; j++)
                {
                    Vec3 d = sub[i] - super[j];
                    found = Math.Abs(d.X - Math.Round(d.X)) <= tol.X && Math.Abs(d.Y - Math.Round(d.Y)) <= tol.Y
                        && Math.Abs(d.Z - Math.Round(d.Z)) <= tol.Z;
                }
                if (!found) return false;
            }
        }
        return true;
    }

    /// <summary>pymatgen's <c>_cart_dists</c>: element-wise minimum-cost pairing of the sites of F2 with those of F1
    /// on squared periodic distances in the averaged lattice, mean displacement removed, result × norm into Dist.
    /// False when some element block has no pairing within the LLL fractional tolerance.</summary>
    private static bool CartesianDistances(ReducedStructure blocks, Workspace ws, LllFrame lll, double norm)
    {
        int n = ws.F1.Length;
        for (int i = 0; i < n; i++)
        {
            ws.L1[i] = lll.ToLllFrac(ws.F1[i]);
            ws.L2[i] = lll.ToLllFrac(ws.F2[i]);
        }
        Vec3 mean = Vec3.Zero;
        for (int blk = 0; blk < blocks.NumBlocks; blk++)
        {
            int start = blocks.BlockStarts[blk], m = blocks.BlockStarts[blk + 1] - start;
            var cost = ws.Cost.AsSpan(0, m * m);
            for (int r = 0; r < m; r++)
            {
                int i = start + r; // site of structure 2 (row)
                for (int c = 0; c < m; c++)
                {
                    int j = start + c; // site of structure 1 (column)
                    Vec3 fd = ws.L1[j] - ws.L2[i];
                    if (Math.Abs(fd.X - Math.Round(fd.X)) > lll.FracTol.X || Math.Abs(fd.Y - Math.Round(fd.Y)) > lll.FracTol.Y
                        || Math.Abs(fd.Z - Math.Round(fd.Z)) > lll.FracTol.Z)
                    {
                        cost[r * m + c] = double.PositiveInfinity;
                        continue;
                    }
                    Vec3 v = lll.ShortestImage(ws.L1[j] * lll.Matrix - ws.L2[i] * lll.Matrix);
                    ws.Vecs[r * m + c] = v;
                    cost[r * m + c] = v.LengthSquared;
                }
            }
            var assign = ws.Assign.AsSpan(0, m);
            if (!LinearAssignment.Solve(cost, m, assign)) return false;
            for (int r = 0; r < m; r++)
            {
                Vec3 v = ws.Vecs[r * m + assign[r]];
                ws.Short[start + r] = v;
                mean += v;
            }
        }
        mean /= n;
        for (int i = 0; i < n; i++) ws.Dist[i] = (ws.Short[i] - mean).Length * norm;
        return true;
    }

    /// <summary>The averaged lattice's LLL basis: fractional coordinates in it (wrapped into [0, 1) as pymatgen does),
    /// its 27 neighbouring images, and the fractional pre-filter tolerance per LLL axis.</summary>
    private sealed class LllFrame
    {
        private readonly Mat3 _toLll;
        private readonly Vec3[] _images = new Vec3[27];

        public LllFrame(Mat3 avg, double stol, double norm)
        {
            Matrix = LatticeMappings.LllReduce(avg);
            _toLll = avg * Matrix.Inverse();
            Vec3 d = LatticeMappings.PlaneSpacings(Matrix);
            FracTol = new(2 * stol / (d.X * norm), 2 * stol / (d.Y * norm), 2 * stol / (d.Z * norm));
            int k = 0;
            for (int i = -1; i <= 1; i++)
                for (int j = -1; j <= 1; j++)
                    for (int l = -1; l <= 1; l++)
                        _images[k++] = new Vec3(i, j, l) * Matrix;
        }

        public Mat3 Matrix { get; }
        public Vec3 FracTol { get; }

        public Vec3 ToLllFrac(Vec3 frac)
        {
            Vec3 f = frac * _toLll;
            return new Vec3(f.X - Math.Floor(f.X), f.Y - Math.Floor(f.Y), f.Z - Math.Floor(f.Z));
        }

        public Vec3 ShortestImage(Vec3 pre)
        {
            Vec3 best = pre;
            double best2 = double.PositiveInfinity;
            foreach (var im in _images)
            {
                Vec3 v = pre + im;
                double d2 = v.LengthSquared;
                if (d2 < best2) { best2 = d2; best = v; }
            }
            return best;
        }
    }

    private sealed class Workspace(int n)
    {
        public readonly Vec3[] F1 = new Vec3[n], F2 = new Vec3[n], L1 = new Vec3[n], L2 = new Vec3[n], Short = new Vec3[n];
        public readonly double[] Dist = new double[n];
        public readonly double[] Cost = new double[n * n];
        public readonly Vec3[] Vecs = new Vec3[n * n];
        public readonly int[] Assign = new int[n];
    }
}
