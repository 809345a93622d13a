using System.Runtime.InteropServices;

namespace CrystalActors.Crystals.Symmetry;

/// <summary>The space group spglib finds for a structure.</summary>
public readonly record struct SpaceGroupInfo(int Number, string InternationalSymbol);

/// <summary>
/// Space-group determination with spglib (the C library, through P/Invoke). The defaults are pymatgen's
/// SpacegroupAnalyzer settings, which produced the MP-20 field <c>spacegroup_number_symprec0.1</c>:
/// symprec 0.1 Å and angle tolerance 5°.
/// </summary>
public static class SpaceGroupAnalyzer
{
    public const double DefaultSymprec = 0.1;
    /// <summary>Angle tolerance in degrees (pymatgen's default); a negative value selects spglib's own default.</summary>
    public const double DefaultAngleTolerance = 5.0;

    /// <exception cref="InvalidOperationException">spglib reports an error (message included).</exception>
    /// <exception cref="DllNotFoundException">spglib is not installed (Debian: apt-get install libsymspg1).</exception>
    public static unsafe SpaceGroupInfo GetSpaceGroup(Structure structure, double symprec = DefaultSymprec, double angleTolerance = DefaultAngleTolerance)
    {
        ArgumentNullException.ThrowIfNull(structure);
        if (!(symprec > 0)) throw new ArgumentOutOfRangeException(nameof(symprec), symprec, "symprec must be positive (Å)");
        int n = structure.NumSites;
        // spglib takes the lattice vectors as columns.
        var m = structure.Lattice.Matrix.Transpose();
        double* lattice = stackalloc double[9] { m.M00, m.M01, m.M02, m.M10, m.M11, m.M12, m.M20, m.M21, m.M22 };
        var (positions, types) = SpglibCell.Sites(structure);
        byte* symbol = stackalloc byte[11];
        int number;
        fixed (double* pos = positions)
        fixed (int* t = types)
        {
            // spglib keeps global error state; serialise calls so the error code read below is ours.
            lock (SpglibCell.Gate)
            {
                number = NativeMethods.spgat_get_international(symbol, lattice, pos, t, n, symprec, angleTolerance);
                if (number == 0)
                {
                    int code = NativeMethods.spg_get_error_code();
                    string message = Marshal.PtrToStringAnsi(NativeMethods.spg_get_error_message(code)) ?? $"error {code}";
                    throw new InvalidOperationException($"spglib found no space group for {structure.Id ?? structure.Composition.ReducedFormula} at symprec {symprec}: {message}");
                }
            }
        }
        return new SpaceGroupInfo(number, Marshal.PtrToStringAnsi((IntPtr)symbol)!.Trim());
    }

    public static int GetSpaceGroupNumber(Structure structure, double symprec = DefaultSymprec, double angleTolerance = DefaultAngleTolerance) =>
        GetSpaceGroup(structure, symprec, angleTolerance).Number;
}
