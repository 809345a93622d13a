using System.Globalization;
using CrystalActors.Crystals.Neighbors;

namespace CrystalActors.Crystals.Validity;

/// <summary>
/// What a structure must be before any physics is computed on it: not larger than the work limits allow, and without
/// atoms on top of each other. Overlapping atoms do not fail loudly downstream — the band-gap model gives 0 eV and the
/// potential no energy — so they are refused here, with the pair named, instead of passed on as numbers.
/// </summary>
public static class PhysicalSanity
{
    /// <summary>Most sites per structure (MP-20 has at most 20; a CIF's symmetry expansion stops at the same 1000).</summary>
    public const int MaxSites = 1000;

    /// <summary>Closest two atoms may be (Å). The shortest bond in solids, H–H in H₂ at 0.74 Å, stays well above it.</summary>
    public const double MinInteratomicDistance = 0.5;

    /// <summary>Null when <paramref name="structure"/> is fit for physics; else why not, in one line.</summary>
    /// <exception cref="ArgumentException">coordinates or a cell beyond the neighbour search's limits (it names them).</exception>
    public static string? Check(Structure structure)
    {
        if (structure.NumSites > MaxSites)
            return string.Create(CultureInfo.InvariantCulture, $"{structure.NumSites} sites, more than the limit of {MaxSites}");
        // A site's position is only defined modulo the lattice: a fractional coordinate of 1e7 is the same point as 0.
        var frac = structure.Sites.Select(site => new Vec3(Wrap(site.FracCoords.X), Wrap(site.FracCoords.Y), Wrap(site.FracCoords.Z))).ToArray();
        var nl = NeighborSearch.FindNeighbors(structure.Lattice, frac, MinInteratomicDistance);
        if (nl.Count == 0) return null;
        int closest = 0;
        for (int k = 1; k < nl.Count; k++) if (nl.Distances[k] < nl.Distances[closest]) closest = k;
        return string.Create(CultureInfo.InvariantCulture,
            $"sites {nl.Centers[closest]} and {nl.Neighbors[closest]} are {nl.Distances[closest]:F3} Å apart (overlapping atoms: the limit is {MinInteratomicDistance} Å)");
    }

    private static double Wrap(double x) => x - Math.Floor(x);
}
