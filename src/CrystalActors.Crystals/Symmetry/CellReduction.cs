namespace CrystalActors.Crystals.Symmetry;

/// <summary>
/// Cell reductions through spglib: the primitive cell of a structure and the Niggli-reduced form of a lattice.
/// Both keep the crystal itself unchanged (same periodic arrangement of atoms, up to a rigid motion); only the
/// choice of cell changes.
/// </summary>
public static class CellReduction
{
    /// <summary>Tolerance (Å) for finding the primitive cell: pymatgen's <c>Structure.get_primitive_structure</c>
    /// default (<c>tolerance=0.25</c>), which StructureMatcher uses.</summary>
    public const double DefaultPrimitiveSymprec = 0.25;

    /// <summary>Niggli tolerance, relative to V^(1/3) as in pymatgen's <c>get_niggli_reduced_lattice(tol=1e-5)</c>.</summary>
    public const double DefaultNiggliTolerance = 1e-5;

    /// <summary>
    /// The primitive cell of <paramref name="structure"/>, found by spglib's <c>spgat_standardize_cell</c> with
    /// <c>to_primitive=1, no_idealize=1</c>: sites keep their (unsymmetrised) positions, and atoms that a lattice
    /// translation within <paramref name="symprec"/> Å maps onto each other are merged into one site at their mean
    /// position. Returns <paramref name="structure"/> itself when it is already primitive, or when spglib fails or
    /// returns a cell inconsistent with the input (a site count that does not divide the input's, another
    /// composition, or a volume per atom off by more than 1%). spglib is only called when a cheap exact test finds a
    /// candidate pure translation (see <see cref="HasCandidateTranslation"/>), so an already primitive cell, the
    /// common case, costs microseconds instead of spglib's full symmetry search.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="symprec"/> is not positive.</exception>
    public static unsafe Structure FindPrimitive(Structure structure, double symprec = DefaultPrimitiveSymprec)
    {
        ArgumentNullException.ThrowIfNull(structure);
        if (!(symprec > 0)) throw new ArgumentOutOfRangeException(nameof(symprec), symprec, "symprec must be positive (Å)");
        int n = structure.NumSites;
        if (n == 1 || !HasCandidateTranslation(structure, symprec)) return structure;
        var lattice = ToColumns(structure.Lattice.Matrix);
        var (positions, types) = SpglibCell.Sites(structure, capacity: 4);
        int m;
        fixed (double* lat = lattice)
        fixed (double* pos = positions)
        fixed (int* t = types)
        {
            lock (SpglibCell.Gate) m = NativeMethods.spgat_standardize_cell(lat, pos, t, n, 1, 1, symprec, -1.0);
        }
        if (m <= 0 || m >= n || n % m != 0) return structure;
        Lattice primitiveLattice;
        try { primitiveLattice = new Lattice(FromColumns(lattice)); }
        catch (ArgumentException) { return structure; }
        var sites = new Site[m];
        for (int i = 0; i < m; i++)
        {
            if (types[i] < 1 || types[i] > Element.MaxZ) return structure;
            sites[i] = new Site(Element.FromZ(types[i]), new Vec3(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2]).WrapUnit());
        }
        var primitive = new Structure(primitiveLattice, sites, structure.Id);
        double volumePerAtomRatio = primitive.Volume / m / (structure.Volume / n);
        if (Math.Abs(volumePerAtomRatio - 1) > 0.01 || !primitive.Composition.Reduced().Equals(structure.Composition.Reduced()))
            return structure;
        return primitive;
    }

    /// <summary>
    /// True when some lattice-vector-free translation might map the crystal onto itself within
    /// <paramref name="symprec"/> Å: the one that takes the first site of the least frequent element onto another site
    /// of that element brings every site within symprec / d_k (d_k: lattice plane spacing) of a site of its element
    /// along each fractional axis k. spglib declares two atoms overlapping when the Cartesian length of their
    /// nearest-image fractional difference is at most symprec, which implies this per-axis bound, so a false here
    /// means spglib would find no smaller primitive cell either.
    /// </summary>
    internal static bool HasCandidateTranslation(Structure structure, double symprec)
    {
        int n = structure.NumSites;
        var counts = structure.Composition.Counts;
        if (structure.Composition.Gcd == 1) return false; // no integer sub-cell composition
        var rarest = counts.MinBy(c => c.Count).Element;
        var frac = structure.FracCoords;
        var species = structure.Species;
        Vec3 d = structure.Lattice.PerpendicularWidths;
        Vec3 tol = new(symprec / d.X, symprec / d.Y, symprec / d.Z);
        int first = Enumerable.Range(0, n).First(i => species[i] == rarest);
        for (int k = first + 1; k < n; k++)
        {
            if (species[k] != rarest) continue;
            Vec3 t = frac[k] - frac[first];
            bool all = true;
            for (int i = 0; i < n && all; i++)
            {
                Vec3 moved = frac[i] + t;
                bool found = false;
                for (int j = 0; j < n && !found; j++)
                {
                    if (species[j] != species[i]) continue;
                    Vec3 diff = moved - frac[j];
                    found = Math.Abs(diff.X - Math.Round(diff.X)) <= tol.X && Math.Abs(diff.Y - Math.Round(diff.Y)) <= tol.Y
                        && Math.Abs(diff.Z - Math.Round(diff.Z)) <= tol.Z;
                }
                all = found;
            }
            if (all) return true;
        }
        return false;
    }

    /// <summary>
    /// The Niggli-reduced lattice (spglib's <c>spg_niggli_reduce</c>, tolerance <paramref name="tolerance"/> × V^(1/3)),
    /// made right-handed by negating all three vectors when needed (as pymatgen does). Returns
    /// <paramref name="lattice"/> itself when spglib fails.
    /// </summary>
    public static unsafe Lattice NiggliReduce(Lattice lattice, double tolerance = DefaultNiggliTolerance)
    {
        ArgumentNullException.ThrowIfNull(lattice);
        var m = ToColumns(lattice.Matrix);
        int ok;
        fixed (double* p = m)
        {
            lock (SpglibCell.Gate) ok = NativeMethods.spg_niggli_reduce(p, tolerance * Math.Cbrt(lattice.Volume));
        }
        if (ok == 0) return lattice;
        var reduced = FromColumns(m);
        if (reduced.Determinant < 0) reduced = -1.0 * reduced;
        if (Math.Abs(reduced.Determinant / lattice.Volume - 1) > 1e-6) return lattice;
        return new Lattice(reduced);
    }

    /// <summary>The same crystal in its Niggli-reduced cell, fractional coordinates wrapped into [0, 1).</summary>
    public static Structure NiggliReduce(Structure structure, double tolerance = DefaultNiggliTolerance)
    {
        ArgumentNullException.ThrowIfNull(structure);
        var reduced = NiggliReduce(structure.Lattice, tolerance);
        var cart = structure.CartesianCoords;
        return new Structure(reduced, structure.Sites.Select((s, i) => new Site(s.Species, reduced.GetFractionalCoords(cart[i]).WrapUnit())), structure.Id);
    }

    private static double[] ToColumns(Mat3 rows) => [rows.M00, rows.M10, rows.M20, rows.M01, rows.M11, rows.M21, rows.M02, rows.M12, rows.M22];

    private static Mat3 FromColumns(double[] c) => new(c[0], c[3], c[6], c[1], c[4], c[7], c[2], c[5], c[8]);
}
