using CrystalActors.Crystals;

namespace CrystalActors.Dft;

/// <summary>Converts the crystal core's <see cref="Structure"/> into the DFT service's <see cref="DftCell"/>.</summary>
public static class StructureAdapter
{
    /// <summary>Lattice rows, species symbols and fractional coordinates as given (no wrapping or reordering).</summary>
    public static DftCell ToDftCell(this Structure structure)
    {
        ArgumentNullException.ThrowIfNull(structure);
        var m = structure.Lattice.Matrix;
        double[][] lattice = [[m.M00, m.M01, m.M02], [m.M10, m.M11, m.M12], [m.M20, m.M21, m.M22]];
        return new DftCell(lattice,
            structure.Species.Select(e => e.Symbol).ToArray(),
            structure.FracCoords.Select(f => new[] { f.X, f.Y, f.Z }).ToArray());
    }
}
