namespace CrystalActors.Crystals;

/// <summary>
/// A permutation-, rotation-, translation- and reflection-invariant fingerprint of a molecule: its composition and
/// the sorted list of all n(n−1)/2 interatomic distances (Å). Two minimised clusters are taken as the same isomer
/// when their compositions agree and the sorted distances differ by at most a tolerance everywhere. (Mirror images
/// count as one isomer; homometric distinct clusters, rare for small metal clusters, would also be merged.)
/// </summary>
public sealed class IsomerFingerprint
{
    public IsomerFingerprint(Molecule molecule)
    {
        ArgumentNullException.ThrowIfNull(molecule);
        Formula = molecule.Composition.Formula;
        int n = molecule.NumAtoms;
        var d = new double[n * (n - 1) / 2];
        int k = 0;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) d[k++] = molecule.Distance(i, j);
        Array.Sort(d);
        SortedDistances = d;
    }

    public string Formula { get; }
    /// <summary>All pair distances, ascending (Å).</summary>
    public IReadOnlyList<double> SortedDistances { get; }

    /// <summary>Largest difference between corresponding sorted distances (Å); +∞ for different compositions.</summary>
    public double MaxDeviation(IsomerFingerprint other)
    {
        if (Formula != other.Formula || SortedDistances.Count != other.SortedDistances.Count) return double.PositiveInfinity;
        double m = 0;
        for (int i = 0; i < SortedDistances.Count; i++) m = Math.Max(m, Math.Abs(SortedDistances[i] - other.SortedDistances[i]));
        return m;
    }

    /// <summary>True when <see cref="MaxDeviation"/> is at most <paramref name="tol"/> Å.</summary>
    public bool Matches(IsomerFingerprint other, double tol) => MaxDeviation(other) <= tol;
}

/// <summary>One distinct isomer: the lowest-energy copy seen, its energy (eV) and how many copies were merged into it.</summary>
public sealed record Isomer(Molecule Molecule, double Energy, IsomerFingerprint Fingerprint, int Count);

/// <summary>
/// De-duplicates clusters by <see cref="IsomerFingerprint"/> (distance tolerance <see cref="Tolerance"/> Å, default
/// 0.05) and, when <see cref="EnergyTolerance"/> is set, also requires energies within it (eV). Keeps the lowest-energy
/// copy of each isomer.
/// </summary>
public sealed class IsomerSet
{
    private readonly List<Isomer> _isomers = new();

    public IsomerSet(double tolerance = 0.05, double? energyTolerance = null)
    {
        if (!(tolerance >= 0)) throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "tolerance must be >= 0 Å");
        Tolerance = tolerance;
        EnergyTolerance = energyTolerance;
    }

    public double Tolerance { get; }
    public double? EnergyTolerance { get; }
    public int Count => _isomers.Count;

    /// <summary>Isomers sorted by energy, lowest first.</summary>
    public IReadOnlyList<Isomer> Isomers => _isomers.OrderBy(i => i.Energy).ToList();

    /// <summary>Adds a cluster; returns true when it is a new isomer.</summary>
    public bool Add(Molecule molecule, double energy)
    {
        var fp = new IsomerFingerprint(molecule);
        for (int i = 0; i < _isomers.Count; i++)
        {
            var iso = _isomers[i];
            if (EnergyTolerance is double et && Math.Abs(iso.Energy - energy) > et) continue;
            if (!iso.Fingerprint.Matches(fp, Tolerance)) continue;
            _isomers[i] = energy < iso.Energy ? new Isomer(molecule, energy, fp, iso.Count + 1) : iso with { Count = iso.Count + 1 };
            return false;
        }
        _isomers.Add(new Isomer(molecule, energy, fp, 1));
        return true;
    }
}
