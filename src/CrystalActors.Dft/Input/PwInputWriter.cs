using System.Globalization;
using System.Text;

namespace CrystalActors.Dft.Input;

/// <summary>Where pw.x finds and puts things: written into &amp;CONTROL.</summary>
public sealed record PwPaths(string Prefix, string OutDir, string PseudoDir);

/// <summary>
/// Writes a pw.x input file. Deterministic: the same cell, settings and paths give the same text, laid out as
/// the reference inputs (ibrav 0, CELL_PARAMETERS in Å, crystal coordinates with 10 decimals, species in order
/// of first appearance, numbers in Python repr style).
/// </summary>
public static class PwInputWriter
{
    public static string Write(DftCell cell, PwParameters p, PseudopotentialLibrary pseudos, PwPaths paths)
    {
        ArgumentNullException.ThrowIfNull(cell);
        ArgumentNullException.ThrowIfNull(p);
        p.Validate();
        var species = cell.DistinctSpecies;
        var sb = new StringBuilder();
        void L(string s) => sb.Append(s).Append('\n');
        string R(double x) => FortranFormat.Real(x);

        L("&CONTROL");
        L($"  calculation = '{p.Calculation}'");
        L($"  prefix = '{paths.Prefix}'");
        L($"  outdir = '{paths.OutDir}'");
        L($"  pseudo_dir = '{paths.PseudoDir}'");
        L("/");
        L("&SYSTEM");
        L("  ibrav = 0");
        L($"  nat = {cell.NumSites}");
        L($"  ntyp = {species.Count}");
        L($"  ecutwfc = {R(p.EcutWfcRy)}");
        L($"  ecutrho = {R(p.EcutRhoRy)}");
        if (p.Nbnd is { } nbnd) L($"  nbnd = {nbnd}");
        L($"  tot_charge = {(p.TotCharge == Math.Round(p.TotCharge) ? ((long)p.TotCharge).ToString(CultureInfo.InvariantCulture) : R(p.TotCharge))}");
        L($"  nspin = {p.Nspin}");
        if (p.NoSymmetry) L("  nosym = .true.");
        L($"  occupations = '{p.Occupations}'");
        if (p.IsSmearing)
        {
            L($"  smearing = '{p.Smearing}'");
            L($"  degauss = {R(p.DegaussRy!.Value)}");
        }
        if (p.Nspin == 2)
        {
            if (p.StartingMagnetization is { } m)
                for (int i = 0; i < species.Count; i++) L($"  starting_magnetization({i + 1}) = {R(m)}");
            if (p.TotMagnetization is { } tm) L($"  tot_magnetization = {R(tm)}");
        }
        L("/");
        L("&ELECTRONS");
        L($"  conv_thr = {R(p.ConvThr)}");
        L($"  mixing_beta = {R(p.MixingBeta)}");
        L($"  diagonalization = '{p.Diagonalization}'");
        L($"  electron_maxstep = {p.ElectronMaxstep}");
        L("/");
        L("ATOMIC_SPECIES");
        foreach (var s in species) L($"  {s} {R(AtomicMasses.Of(s))} {pseudos.Get(s).FileName}");
        L("CELL_PARAMETERS angstrom");
        foreach (var row in cell.LatticeAngstrom) L("  " + string.Join(" ", row.Select(FortranFormat.Fixed10)));
        L("ATOMIC_POSITIONS crystal");
        for (int i = 0; i < cell.NumSites; i++)
            L($"  {cell.Species[i]} " + string.Join(" ", cell.FractionalCoords[i].Select(FortranFormat.Fixed10)));
        L("K_POINTS automatic");
        var k = p.KPoints;
        int s0 = k.Shifted ? 1 : 0;
        L($"  {k.N1} {k.N2} {k.N3} {s0} {s0} {s0}");
        return sb.ToString();
    }
}
