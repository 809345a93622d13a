namespace CrystalActors.Crystals;

/// <summary>
/// An immutable periodic crystal: a lattice and the sites of one cell, plus an optional identifier
/// (e.g. a Materials Project id). Fractional coordinates are kept as given (MP-20 has values slightly
/// outside [0, 1)); <see cref="WrapToUnitCell"/> returns a copy with all coordinates in [0, 1).
/// </summary>
public sealed class Structure
{
    private readonly Site[] _sites;
    private readonly IReadOnlyList<Site> _sitesView; // read-only wrapper: callers cannot cast back to the array
    private IReadOnlyList<Vec3>? _cart;
    private IReadOnlyList<Element>? _species;
    private IReadOnlyList<Vec3>? _frac;
    private Composition? _composition;

    public Lattice Lattice { get; }
    public IReadOnlyList<Site> Sites => _sitesView;
    /// <summary>Identifier such as "mp-1234", or null.</summary>
    public string? Id { get; }

    /// <exception cref="ArgumentException">no sites, or a non-finite coordinate (naming the site).</exception>
    public Structure(Lattice lattice, IEnumerable<Site> sites, string? id = null)
    {
        ArgumentNullException.ThrowIfNull(lattice);
        Lattice = lattice;
        _sites = sites.ToArray();
        if (_sites.Length == 0) throw new ArgumentException("a structure needs at least one site", nameof(sites));
        for (int i = 0; i < _sites.Length; i++)
        {
            if (_sites[i].Species is null) throw new ArgumentException($"site {i} has no species", nameof(sites));
            if (!_sites[i].FracCoords.IsFinite)
                throw new ArgumentException($"site {i} ({_sites[i].Species.Symbol}) has a non-finite fractional coordinate {_sites[i].FracCoords}", nameof(sites));
        }
        Id = id;
        _sitesView = Array.AsReadOnly(_sites);
    }

    /// <exception cref="ArgumentException">species and coordinate lists of different lengths.</exception>
    public static Structure FromSpecies(Lattice lattice, IReadOnlyList<Element> species, IReadOnlyList<Vec3> fracCoords, string? id = null)
    {
        if (species.Count != fracCoords.Count)
            throw new ArgumentException($"{species.Count} species but {fracCoords.Count} coordinate triples");
        return new Structure(lattice, species.Select((e, i) => new Site(e, fracCoords[i])), id);
    }

    public int NumSites => _sites.Length;
    public Site this[int i] => _sites[i];
    /// <summary>Species of each site, in site order (computed once).</summary>
    public IReadOnlyList<Element> Species => _species ??= Array.AsReadOnly(_sites.Select(s => s.Species).ToArray());
    /// <summary>Fractional coordinates of each site as stored, in site order (computed once).</summary>
    public IReadOnlyList<Vec3> FracCoords => _frac ??= Array.AsReadOnly(_sites.Select(s => s.FracCoords).ToArray());

    /// <summary>Cartesian coordinates in Å (computed once).</summary>
    public IReadOnlyList<Vec3> CartesianCoords => _cart ??= Array.AsReadOnly(_sites.Select(s => Lattice.GetCartesianCoords(s.FracCoords)).ToArray());

    public Composition Composition => _composition ??= Composition.FromSpecies(_sites.Select(s => s.Species));

    /// <summary>Cell volume in Å³.</summary>
    public double Volume => Lattice.Volume;

    /// <summary>Mass density in g/cm³.</summary>
    public double Density => _sites.Sum(s => s.Species.AtomicMass) * 1.66053906660 / Volume;

    /// <summary>A copy with every fractional coordinate wrapped into [0, 1).</summary>
    public Structure WrapToUnitCell() => new(Lattice, _sites.Select(s => s with { FracCoords = s.FracCoords.WrapUnit() }), Id);

    public Structure WithId(string? id) => new(Lattice, _sites, id);

    /// <summary>Same lattice (tolerance in Å), same species in the same order and fractional coordinates within
    /// <paramref name="fracTol"/> modulo lattice translations.</summary>
    public bool ApproxEquals(Structure other, double latticeTol = 1e-6, double fracTol = 1e-6)
    {
        if (other.NumSites != NumSites || !Lattice.ApproxEquals(other.Lattice, latticeTol)) return false;
        for (int i = 0; i < NumSites; i++)
        {
            if (_sites[i].Species != other._sites[i].Species) return false;
            var d = other._sites[i].FracCoords - _sites[i].FracCoords;
            if (!(d - d.Round()).ApproxEquals(Vec3.Zero, fracTol)) return false;
        }
        return true;
    }

    public override string ToString() => $"Structure {Id ?? ""} {Composition.ReducedFormula} ({NumSites} sites, {Lattice})";
}
