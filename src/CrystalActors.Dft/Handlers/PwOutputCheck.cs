using CrystalActors.Dft.Parsing;

namespace CrystalActors.Dft.Handlers;

/// <summary>
/// Checks a parsed pw.x output against the job it belongs to, so that a result is credited only to the crystal it
/// was computed for and only with values a crystal can have (issue #19: another crystal's output was accepted as
/// ok, and so was a 1e22 eV gap). Pure; each check returns its first finding as one line, or null.
/// </summary>
public static class PwOutputCheck
{
    /// <summary>
    /// Largest |total energy| per atom, eV. A pseudopotential energy counts the valence electrons only: the most
    /// negative pseudo-atom of SSSP 1.3 efficiency is Lr's, −1562 Ry (−21 keV), so 1e5 eV leaves room for any
    /// library while a garbled or diverged number is caught.
    /// </summary>
    public const double MaxAbsEnergyPerAtomEv = 1e5;

    /// <summary>Largest credible band gap, eV: LiF, the widest-gap crystal, has 14 eV measured and ~9 eV in PBE.</summary>
    public const double MaxBandGapEv = 20;

    /// <summary>
    /// Largest |level| (eigenvalue, HOMO, LUMO, Fermi energy), eV: the deepest semicore states of a pseudopotential
    /// lie some 100 eV down (Ag 4s: −87 eV in the reference runs). The bound also catches two positive HOMO/LUMO
    /// fields of 1e4 eV or more, which run together in pw.x's F10.4 format and cannot be split.
    /// </summary>
    public const double MaxAbsLevelEv = 1e4;

    /// <summary>
    /// Slack on top of the printed rounding when a cell is rebuilt from the summary: relative, for the Bohr radius of
    /// older QE versions (CODATA 2006, 4e-9 off ours); absolute, for the 10 decimals the input file gives pw.x.
    /// </summary>
    private const double RelativeSlack = 1e-8;
    private const double AbsoluteSlackAngstrom = 1e-9;

    /// <summary>
    /// Where pw.x's summary disagrees with the crystal the job wrote: atom count, species, composition, lattice
    /// vectors and positions, in that order. Lengths are compared in Å after rebuilding them from alat and the axes
    /// or positions in alat units, each within what the printed digits allow (half a step of every factor).
    /// </summary>
    /// <param name="requireComplete">
    /// A part not printed is a finding too (for a run that converged: its result must be verifiable). Otherwise only
    /// what was printed is compared, since a run that stopped early says less.
    /// </param>
    public static string? Mismatch(PwInputEcho echo, DftCell cell, bool requireComplete)
    {
        ArgumentNullException.ThrowIfNull(echo);
        ArgumentNullException.ThrowIfNull(cell);

        if (echo.NumberOfAtoms is { } nat)
        {
            if (nat != cell.NumSites) return $"pw.x computed {nat} atoms, the input has {cell.NumSites}";
        }
        else if (requireComplete) return "the output does not say how many atoms it computed ('number of atoms/cell')";

        if (echo.SpeciesLabels.Count > 0)
        {
            string printed = string.Join(" ", echo.SpeciesLabels.Order(StringComparer.Ordinal));
            string expected = string.Join(" ", cell.DistinctSpecies.Order(StringComparer.Ordinal));
            if (printed != expected) return $"species {printed} in the output, {expected} in the input";
        }
        else if (requireComplete) return "the output has no 'atomic species' table";

        if (echo.Sites.Count > 0)
        {
            if (echo.Sites.Count != cell.NumSites) return $"the output lists {echo.Sites.Count} positions for {cell.NumSites} atoms";
            var printed = echo.Sites.Select(s => s.Label).Order(StringComparer.Ordinal).ToList();
            var expected = cell.Species.Order(StringComparer.Ordinal).ToList();
            if (!printed.SequenceEqual(expected, StringComparer.Ordinal))
                return $"composition {Composition(printed)} in the output, {Composition(expected)} in the input";
        }
        else if (requireComplete) return "the output lists no atomic positions";

        if (echo.AlatBohr is not { } alat || echo.AxesAlat.Count != 3)
            return requireComplete ? "the output gives no lattice (alat and crystal axes)" : null;

        for (int i = 0; i < 3; i++)
            if (LengthMismatch(echo.AxesAlat[i], alat, cell.LatticeAngstrom[i]) is { } d)
                return $"lattice vector a{i + 1} {d}";

        for (int k = 0; k < echo.Sites.Count; k++)
        {
            var site = echo.Sites[k];
            if (site.Label != cell.Species[k]) return $"site {k + 1} is {site.Label} in the output, {cell.Species[k]} in the input";
            double[] cartesian = new double[3];
            for (int j = 0; j < 3; j++)
                for (int c = 0; c < 3; c++) cartesian[c] += cell.FractionalCoords[k][j] * cell.LatticeAngstrom[j][c];
            if (LengthMismatch(site.TauAlat, alat, cartesian) is { } d) return $"site {k + 1} ({site.Label}) {d}";
        }
        return null;
    }

    /// <summary>
    /// The first value of a converged run that no crystal has: a total energy that is not finite or beyond
    /// <see cref="MaxAbsEnergyPerAtomEv"/> per atom, a band gap outside 0..<see cref="MaxBandGapEv"/>, a level that is
    /// not finite or beyond <see cref="MaxAbsLevelEv"/>.
    /// </summary>
    public static string? Unphysical(PwOutput output, int numSites)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(numSites, 1);

        if (output.TotalEnergyEv is { } e)
        {
            if (!double.IsFinite(e)) return "the total energy is not a finite number";
            if (Math.Abs(e / numSites) > MaxAbsEnergyPerAtomEv)
                return FormattableString.Invariant($"total energy {e / numSites:G6} eV per atom, beyond ±{MaxAbsEnergyPerAtomEv:G} eV");
        }

        // The gap first: it is the value a result reports.
        if (output.BandGapEv is { } gap && !(gap is >= 0 and <= MaxBandGapEv))
            return FormattableString.Invariant($"band gap {gap:G6} eV, outside 0..{MaxBandGapEv:G} eV");

        string? level = Level("HOMO", output.HomoEv) ?? Level("LUMO", output.LumoEv) ?? Level("Fermi energy", output.FermiEnergyEv)
            ?? Level("spin-up Fermi energy", output.SpinFermiEnergiesEv?.Up) ?? Level("spin-down Fermi energy", output.SpinFermiEnergiesEv?.Down);
        if (level is not null) return level;

        var eig = output.EigenvaluesEv;
        for (int s = 0; s < eig.Count; s++)
            for (int k = 0; k < eig[s].Count; k++)
                for (int b = 0; b < eig[s][k].Count; b++)
                    if (!IsCredibleLevel(eig[s][k][b]))
                        return DescribeLevel($"eigenvalue (spin {s + 1}, k-point {k + 1}, band {b + 1})", eig[s][k][b]);
        return null;
    }

    private static bool IsCredibleLevel(double ev) => Math.Abs(ev) <= MaxAbsLevelEv; // false for NaN too

    private static string? Level(string name, double? ev) => ev is { } v && !IsCredibleLevel(v) ? DescribeLevel(name, v) : null;

    private static string DescribeLevel(string name, double ev) =>
        FormattableString.Invariant($"{name} {ev:G6} eV, {(double.IsFinite(ev) ? $"beyond ±{MaxAbsLevelEv:G} eV" : "not a finite number")}");

    /// <summary>
    /// Compares a vector printed in alat units with the expected one in Å. The printed components and alat are each
    /// within half a printed step of pw.x's values, so the rebuilt component x·alat·b may be off by
    /// b·(|x|·δalat + alat·δx); a NaN (unreadable) component never agrees.
    /// </summary>
    private static string? LengthMismatch(IReadOnlyList<PrintedNumber> printedAlat, PrintedNumber alat, double[] expectedAngstrom)
    {
        if (printedAlat.Count != 3) return "is unreadable in the output";
        double b = PwOutput.BohrRadiusAngstrom;
        double norm = Math.Sqrt(expectedAngstrom.Sum(x => x * x));
        var rebuilt = printedAlat.Select(x => x.Value * alat.Value * b).ToArray();
        for (int c = 0; c < 3; c++)
        {
            var x = printedAlat[c];
            double tolerance = b * (Math.Abs(x.Value) * alat.Rounding + alat.Value * x.Rounding) + RelativeSlack * norm + AbsoluteSlackAngstrom;
            if (!(Math.Abs(rebuilt[c] - expectedAngstrom[c]) <= tolerance))
                return FormattableString.Invariant(
                    $"is ({rebuilt[0]:F6}, {rebuilt[1]:F6}, {rebuilt[2]:F6}) Å in the output, ({expectedAngstrom[0]:F6}, {expectedAngstrom[1]:F6}, {expectedAngstrom[2]:F6}) Å in the input");
        }
        return null;
    }

    /// <summary>A multiset of labels for messages: 'Ag2 I2', labels in ordinal order.</summary>
    private static string Composition(IEnumerable<string> labels) => string.Join(" ",
        labels.GroupBy(l => l, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Count() == 1 ? g.Key : $"{g.Key}{g.Count()}"));
}
