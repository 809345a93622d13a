namespace CrystalActors.Crystals;

/// <summary>
/// An immutable non-periodic structure (a molecule or an atomic cluster): species and Cartesian positions in Å,
/// plus an optional identifier. The counterpart of <see cref="Structure"/> without a lattice; for a periodic code
/// put it in a vacuum box with <see cref="InBox"/>.
/// </summary>
public sealed class Molecule
{
    private readonly Element[] _species;
    private readonly Vec3[] _positions;
    private Composition? _composition;

    /// <exception cref="ArgumentException">no atoms, lists of different lengths, or a non-finite position (naming the atom).</exception>
    public Molecule(IEnumerable<Element> species, IEnumerable<Vec3> positions, string? id = null)
    {
        _species = species.ToArray();
        _positions = positions.ToArray();
        if (_species.Length != _positions.Length)
            throw new ArgumentException($"{_species.Length} species but {_positions.Length} positions");
        if (_species.Length == 0) throw new ArgumentException("a molecule needs at least one atom", nameof(species));
        for (int i = 0; i < _species.Length; i++)
        {
            if (_species[i] is null) throw new ArgumentException($"atom {i} has no species", nameof(species));
            if (!_positions[i].IsFinite)
                throw new ArgumentException($"atom {i} ({_species[i].Symbol}) has a non-finite position {_positions[i]}", nameof(positions));
        }
        Id = id;
    }

    /// <summary>A molecule of one element at the given flattened [n, 3] Cartesian positions (Å).</summary>
    public static Molecule FromFlat(IReadOnlyList<Element> species, ReadOnlySpan<double> flat, string? id = null)
    {
        if (flat.Length != 3 * species.Count)
            throw new ArgumentException($"{species.Count} species but {flat.Length} coordinates (expected {3 * species.Count})");
        var p = new Vec3[species.Count];
        for (int i = 0; i < p.Length; i++) p[i] = new Vec3(flat[3 * i], flat[3 * i + 1], flat[3 * i + 2]);
        return new Molecule(species, p, id);
    }

    public int NumAtoms => _species.Length;
    public IReadOnlyList<Element> Species => _species;
    /// <summary>Cartesian positions in Å.</summary>
    public IReadOnlyList<Vec3> Positions => _positions;
    /// <summary>Identifier or label, or null.</summary>
    public string? Id { get; }

    public Composition Composition => _composition ??= Composition.FromSpecies(_species);

    /// <summary>Positions flattened [n, 3] (a fresh array).</summary>
    public double[] FlatPositions()
    {
        var f = new double[3 * NumAtoms];
        for (int i = 0; i < NumAtoms; i++) { f[3 * i] = _positions[i].X; f[3 * i + 1] = _positions[i].Y; f[3 * i + 2] = _positions[i].Z; }
        return f;
    }

    /// <summary>Mean position (Å), unweighted.</summary>
    public Vec3 Centroid
    {
        get
        {
            var s = Vec3.Zero;
            foreach (var p in _positions) s += p;
            return s / NumAtoms;
        }
    }

    /// <summary>Distance between atoms i and j (Å).</summary>
    public double Distance(int i, int j) => (_positions[i] - _positions[j]).Length;

    /// <summary>The smallest distance from <paramref name="point"/> to any atom (Å).</summary>
    public double MinDistanceTo(Vec3 point)
    {
        double best = double.PositiveInfinity;
        foreach (var p in _positions) best = Math.Min(best, (p - point).Length);
        return best;
    }

    public Molecule WithId(string? id) => new(_species, _positions, id);

    /// <summary>A copy with one more atom appended.</summary>
    public Molecule WithAtom(Element species, Vec3 position) => new(_species.Append(species), _positions.Append(position), Id);

    /// <summary>The same species at new flattened [n, 3] positions.</summary>
    public Molecule WithPositions(ReadOnlySpan<double> flat) => FromFlat(_species, flat, Id);

    public Molecule Translated(Vec3 shift) => new(_species, _positions.Select(p => p + shift), Id);

    /// <summary>Translated so that the centroid is at the origin.</summary>
    public Molecule Centered() => Translated(-Centroid);

    /// <summary>Every position x mapped to R·x (about the origin; R a rotation or any 3×3 map).</summary>
    public Molecule Transformed(Mat3 r) => new(_species, _positions.Select(p => r * p), Id);

    /// <summary>The molecule centred in a cubic box of edge <paramref name="edge"/> Å (for periodic codes).</summary>
    /// <exception cref="ArgumentException">the box is not larger than the molecule's extent.</exception>
    public Structure InBox(double edge)
    {
        var c = Centroid;
        double extent = _positions.Max(p => (p - c).Length) * 2;
        if (!(edge > extent)) throw new ArgumentException($"a box of {edge} Å does not hold a molecule {extent:F2} Å across", nameof(edge));
        var lattice = Lattice.Cubic(edge);
        var centre = new Vec3(edge / 2, edge / 2, edge / 2);
        return Structure.FromSpecies(lattice, _species, _positions.Select(p => lattice.GetFractionalCoords(p - c + centre)).ToArray(), Id);
    }

    /// <summary>Same species in the same order and every position within <paramref name="tol"/> Å (per component).</summary>
    public bool ApproxEquals(Molecule other, double tol = 1e-6)
    {
        if (other.NumAtoms != NumAtoms) return false;
        for (int i = 0; i < NumAtoms; i++)
            if (_species[i] != other._species[i] || !_positions[i].ApproxEquals(other._positions[i], tol)) return false;
        return true;
    }

    public override string ToString() => $"Molecule {Id ?? ""} {Composition.Formula} ({NumAtoms} atoms)";
}
