namespace CrystalActors.Dft;

/// <summary>
/// The crystal as the DFT service needs it: lattice vectors (rows, Å), species symbols and fractional
/// coordinates, in site order. Kept as plain arrays so that the service does not depend on how the crystal
/// core evolves; <c>StructureAdapter</c> converts a core Structure into one.
/// </summary>
public sealed record DftCell
{
    public DftCell(double[][] latticeAngstrom, string[] species, double[][] fractionalCoords)
    {
        ArgumentNullException.ThrowIfNull(latticeAngstrom);
        ArgumentNullException.ThrowIfNull(species);
        ArgumentNullException.ThrowIfNull(fractionalCoords);
        if (latticeAngstrom.Length != 3 || latticeAngstrom.Any(r => r is null || r.Length != 3))
            throw new ArgumentException("lattice must be 3 rows of 3 numbers (Å)", nameof(latticeAngstrom));
        if (species.Length == 0)
            throw new ArgumentException("a cell needs at least one site", nameof(species));
        if (species.Length != fractionalCoords.Length)
            throw new ArgumentException($"{species.Length} species but {fractionalCoords.Length} coordinate rows", nameof(fractionalCoords));
        for (int i = 0; i < fractionalCoords.Length; i++)
            if (fractionalCoords[i] is null || fractionalCoords[i].Length != 3 || fractionalCoords[i].Any(x => !double.IsFinite(x)))
                throw new ArgumentException($"site {i} ({species[i]}): fractional coordinates must be 3 finite numbers", nameof(fractionalCoords));
        if (latticeAngstrom.SelectMany(r => r).Any(x => !double.IsFinite(x)))
            throw new ArgumentException("lattice contains a non-finite number", nameof(latticeAngstrom));
        LatticeAngstrom = latticeAngstrom.Select(r => r.ToArray()).ToArray();
        Species = species.ToArray();
        FractionalCoords = fractionalCoords.Select(r => r.ToArray()).ToArray();
        if (Math.Abs(VolumeAngstrom3) < 1e-6)
            throw new ArgumentException("lattice vectors are linearly dependent (zero volume)", nameof(latticeAngstrom));
    }

    public double[][] LatticeAngstrom { get; }
    public string[] Species { get; }
    public double[][] FractionalCoords { get; }
    public int NumSites => Species.Length;

    /// <summary>Distinct species in order of first appearance (the ATOMIC_SPECIES order).</summary>
    public IReadOnlyList<string> DistinctSpecies => Species.Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Signed cell volume a1·(a2×a3), Å³.</summary>
    public double VolumeAngstrom3
    {
        get
        {
            var a = LatticeAngstrom;
            return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1])
                 - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
                 + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
        }
    }

    /// <summary>Reciprocal lattice vectors (rows) including the 2π factor, 1/Å.</summary>
    public double[][] ReciprocalLatticeInvAngstrom
    {
        get
        {
            var a = LatticeAngstrom;
            double v = VolumeAngstrom3;
            double[] Cross(double[] x, double[] y) =>
                [x[1] * y[2] - x[2] * y[1], x[2] * y[0] - x[0] * y[2], x[0] * y[1] - x[1] * y[0]];
            double f = 2 * Math.PI / v;
            return [Cross(a[1], a[2]).Select(x => x * f).ToArray(),
                    Cross(a[2], a[0]).Select(x => x * f).ToArray(),
                    Cross(a[0], a[1]).Select(x => x * f).ToArray()];
        }
    }

    public string Formula => string.Concat(DistinctSpecies.Select(s =>
    {
        int n = Species.Count(x => x == s);
        return n == 1 ? s : s + n;
    }));
}
