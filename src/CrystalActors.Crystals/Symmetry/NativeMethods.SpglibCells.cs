using System.Runtime.InteropServices;

namespace CrystalActors.Crystals.Symmetry;

/// <summary>spglib's cell-transforming entry points (primitive cell, Niggli reduction). Both overwrite their
/// arguments in place. The lattice is 3×3 with the lattice vectors as columns, as everywhere in spglib.</summary>
internal static unsafe partial class NativeMethods
{
    /// <summary>Standardised cell (primitive when <paramref name="toPrimitive"/> is 1) written over the input; returns its
    /// number of atoms, 0 on failure. The position and type arrays must have room for 4 × numAtom entries.</summary>
    [LibraryImport(Lib, EntryPoint = "spgat_standardize_cell")]
    internal static partial int spgat_standardize_cell(double* lattice, double* positions, int* types, int numAtom,
        int toPrimitive, int noIdealize, double symprec, double angleTolerance);

    /// <summary>Niggli-reduces the lattice in place; returns 0 on failure.</summary>
    [LibraryImport(Lib, EntryPoint = "spg_niggli_reduce")]
    internal static partial int spg_niggli_reduce(double* lattice, double symprec);
}
