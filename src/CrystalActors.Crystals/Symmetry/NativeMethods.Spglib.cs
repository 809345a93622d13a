using System.Reflection;
using System.Runtime.InteropServices;

namespace CrystalActors.Crystals.Symmetry;

/// <summary>P/Invoke into spglib's C library (Debian libsymspg1: file libsymspg.so.2.0.2, soname libsymspg.so.1).</summary>
internal static unsafe partial class NativeMethods
{
    private const string Lib = "symspg";

    static NativeMethods()
    {
        NativeLibrary.SetDllImportResolver(typeof(NativeMethods).Assembly, Resolve);
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Lib) return IntPtr.Zero;
        // The soname differs between distributions/versions; try the names a system may carry.
        foreach (var candidate in new[] { "libsymspg.so.1", "libsymspg.so.2", "libsymspg.so", "libsymspg.dylib", "symspg.dll" })
            if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle)) return handle;
        return IntPtr.Zero;
    }

    /// <summary>Space group number (0 on failure) and short international symbol (11 bytes) at the given
    /// distance (Å) and angle (degrees; negative = spglib's default) tolerances.</summary>
    [LibraryImport(Lib, EntryPoint = "spgat_get_international")]
    internal static partial int spgat_get_international(byte* symbol, double* lattice, double* positions, int* types, int numAtom, double symprec, double angleTolerance);

    /// <summary>Writes the operations of the given Hall setting (at most 192) and returns their count (0 on error).</summary>
    [LibraryImport(Lib, EntryPoint = "spg_get_symmetry_from_database")]
    internal static partial int spg_get_symmetry_from_database(int* rotations, double* translations, int hallNumber);

    [LibraryImport(Lib, EntryPoint = "spg_get_spacegroup_type")]
    internal static partial SpglibSpacegroupType spg_get_spacegroup_type(int hallNumber);

    [LibraryImport(Lib, EntryPoint = "spg_get_error_code")]
    internal static partial int spg_get_error_code();

    [LibraryImport(Lib, EntryPoint = "spg_get_error_message")]
    internal static partial IntPtr spg_get_error_message(int code);
}

/// <summary>spglib.h's SpglibSpacegroupType (C layout; 128 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SpglibSpacegroupType
{
    public int number;
    public fixed byte international_short[11];
    public fixed byte international_full[20];
    public fixed byte international[32];
    public fixed byte schoenflies[7];
    public int hall_number;
    public fixed byte hall_symbol[17];
    public fixed byte choice[6];
    public fixed byte pointgroup_international[6];
    public fixed byte pointgroup_schoenflies[4];
    public int arithmetic_crystal_class_number;
    public fixed byte arithmetic_crystal_class_symbol[7];
}
