namespace CrystalActors.Crystals.Symmetry;

/// <summary>What every call into spglib shares: one lock, and the cell's sites in spglib's layout.</summary>
internal static class SpglibCell
{
    /// <summary>spglib keeps global state (its error code): every call into it, from any class, holds this one lock.</summary>
    public static readonly object Gate = new();

    /// <summary>Fractional positions (3 per site, flat) and atomic numbers, in arrays with room for
    /// <paramref name="capacity"/> × the sites (spglib writes a standardised cell of up to 4 × n sites back in place).</summary>
    public static (double[] Positions, int[] Types) Sites(Structure structure, int capacity = 1)
    {
        int n = structure.NumSites;
        var positions = new double[3 * capacity * n];
        var types = new int[capacity * n];
        for (int i = 0; i < n; i++)
        {
            var f = structure.Sites[i].FracCoords;
            positions[3 * i] = f.X;
            positions[3 * i + 1] = f.Y;
            positions[3 * i + 2] = f.Z;
            types[i] = structure.Sites[i].Species.Z;
        }
        return (positions, types);
    }
}
