using CrystalActors.Crystals.Thermo;

namespace CrystalActors.Crystals.Tests.Thermo;

/// <summary>Hulls computed by hand, then random diagrams against brute force over every basis.</summary>
public class PhaseDiagramTests
{
    // A, B, C stand for Na, Cl, K: any elements serve, only the compositions matter.
    private static PhaseDiagramEntry E(string formula, double energyPerAtom, string? id = null) => new(Composition.Parse(formula), energyPerAtom, id);

    /// <summary>A–B with AB at −1.0 and A2B at −0.5 eV/atom. Hull in x = x_B: A (0, 0), AB (1/2, −1), B (1, 0). At
    /// x = 1/3 (A2B) the A–AB tie-line gives −1 · (1/3)/(1/2) = −2/3, so A2B lies −0.5 + 2/3 = 1/6 eV/atom above it and
    /// decomposes into 2/3 AB + 1/3 A (atom fractions: 2/3 · 1/2 = 1/3 B).</summary>
    private static PhaseDiagram Binary() => new([E("NaCl", -1.0, "AB"), E("Na2Cl", -0.5, "A2B")]);

    [Fact]
    public void EnergyAboveHull_BinaryByHand_IsOneSixth()
    {
        var pd = Binary();
        Assert.Equal(1.0 / 6, pd.EnergyAboveHull(Composition.Parse("Na2Cl"), -0.5), 12);
        Assert.Equal(-2.0 / 3, pd.HullEnergyPerAtom(Composition.Parse("Na4Cl2")), 12);
        // Between AB and B: x = 3/4 gives −1 · (1/4)/(1/2) = −0.5.
        Assert.Equal(-0.5, pd.HullEnergyPerAtom(Composition.Parse("NaCl3")), 12);
        Assert.Equal(0.0, pd.HullEnergyPerAtom(Composition.Parse("Na")), 12);
    }

    [Fact]
    public void EnergyAboveHull_StableEntry_IsZero_AndBelowHullIsNegative()
    {
        var pd = Binary();
        Assert.Equal(0.0, pd.EnergyAboveHull(pd.Entries[0]), 12);
        Assert.Equal(0.0, pd.EnergyAboveHull(Composition.Parse("Na2Cl2"), -1.0), 12);
        // pymatgen's allow_negative=True: a new phase below the hull gets a negative distance.
        Assert.Equal(-0.1, pd.EnergyAboveHull(Composition.Parse("NaCl"), -1.1), 12);
        Assert.Equal(-0.8 + 2.0 / 3, pd.EnergyAboveHull(Composition.Parse("Na2Cl"), -0.8), 12);
    }

    [Fact]
    public void Decomposition_BinaryByHand_TwoThirdsAbPlusOneThirdA()
    {
        var parts = Binary().Decomposition(Composition.Parse("Na2Cl"));
        Assert.Equal(2, parts.Count);
        Assert.Equal("AB", parts[0].Entry.Id);
        Assert.Equal(2.0 / 3, parts[0].Fraction, 12);
        Assert.True(parts[1].Entry.IsElementalReference);
        Assert.Equal("Na", parts[1].Entry.Composition.ReducedFormula);
        Assert.Equal(1.0 / 3, parts[1].Fraction, 12);
    }

    [Fact]
    public void Decomposition_StableEntry_IsItselfAlone()
    {
        var parts = Binary().Decomposition(Composition.Parse("Na3Cl3"));
        var only = Assert.Single(parts);
        Assert.Equal("AB", only.Entry.Id);
        Assert.Equal(1.0, only.Fraction, 12);
    }

    [Fact]
    public void StableEntries_DropThePhaseAboveTheHull()
    {
        var stable = Binary().StableEntries(Composition.Parse("NaCl"));
        Assert.Equal(["Cl2", "Na", "NaCl"], stable.Select(e => e.Composition.ReducedFormula).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(stable, e => e.Id == "A2B");
    }

    /// <summary>A–B–C with only AB (−1.0) bound: ABC (1/3 each) lies over the AB–C tie-line, 2/3 AB + 1/3 C, whose
    /// energy is 2/3 · (−1) = −2/3; ABC at −0.5 is 1/6 above it.</summary>
    [Fact]
    public void EnergyAboveHull_TernaryAboveBinaryTieLine()
    {
        var pd = new PhaseDiagram([E("NaCl", -1.0, "AB"), E("NaClK", -0.5, "ABC")]);
        var abc = Composition.Parse("NaClK");
        Assert.Equal(1.0 / 6, pd.EnergyAboveHull(abc, -0.5), 12);
        var parts = pd.Decomposition(abc);
        Assert.Equal(["AB", "K (elemental reference)"], parts.Select(p => p.Entry.Name));
        Assert.Equal(2.0 / 3, parts[0].Fraction, 12);
        Assert.Equal(1.0 / 3, parts[1].Fraction, 12);
    }

    /// <summary>AB −1.0, BC −0.8, AC −0.4: the plane through the three is E = −0.6 x_A − 1.4 x_B − 0.2 x_C (it passes below
    /// all three elements, so it is a hull facet); at A2B2C (0.4, 0.4, 0.2) it gives −0.84, mixing 0.6 AB + 0.2 BC + 0.2 AC.</summary>
    [Fact]
    public void Decomposition_TernaryFacetByHand()
    {
        var pd = new PhaseDiagram([E("NaCl", -1.0, "AB"), E("ClK", -0.8, "BC"), E("NaK", -0.4, "AC")]);
        var x = Composition.Parse("Na2Cl2K");
        Assert.Equal(-0.84, pd.HullEnergyPerAtom(x), 12);
        Assert.Equal(0.04, pd.EnergyAboveHull(x, -0.80), 12);
        var fractions = pd.Decomposition(x).ToDictionary(p => p.Entry.Id!, p => p.Fraction);
        Assert.Equal(3, fractions.Count);
        Assert.Equal(0.6, fractions["AB"], 12);
        Assert.Equal(0.2, fractions["BC"], 12);
        Assert.Equal(0.2, fractions["AC"], 12);
        // A binary query of the same diagram sees only its own subsystem.
        Assert.Equal(-0.5, pd.HullEnergyPerAtom(Composition.Parse("NaCl3")), 12);
    }

    [Fact]
    public void ElementalEntries_AboveZeroKeepTheZeroReference_BelowZeroReplaceIt()
    {
        var above = new PhaseDiagram([E("Na", 0.1, "Na-polymorph"), E("NaCl", -1.0)]);
        Assert.Equal(0.0, above.HullEnergyPerAtom(Composition.Parse("Na")), 12);
        Assert.Equal(0.1, above.EnergyAboveHull(above.Entries[0]), 12);
        var below = new PhaseDiagram([E("Na", -0.2, "Na-low"), E("NaCl", -1.0)]);
        Assert.Equal(-0.2, below.HullEnergyPerAtom(Composition.Parse("Na")), 12);
        Assert.Equal("Na-low", Assert.Single(below.Decomposition(Composition.Parse("Na2"))).Entry.Id);
        // A given elemental entry at exactly 0 keeps its own name in decompositions.
        var zero = new PhaseDiagram([E("Na", 0.0, "mp-Na"), E("NaCl", -1.0)]);
        Assert.Equal("mp-Na", Assert.Single(zero.Decomposition(Composition.Parse("Na"))).Entry.Id);
    }

    [Fact]
    public void Query_UnknownElement_ThrowsNamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => Binary().EnergyAboveHull(Composition.Parse("NaXe2"), -0.1));
        Assert.Contains("Xe", ex.Message);
    }

    [Fact]
    public void Entry_NaNEnergy_ThrowsNamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => new PhaseDiagram([E("NaCl", -1.0), E("Na2Cl", double.NaN, "mp-bad")]));
        Assert.Contains("mp-bad", ex.Message);
        Assert.Contains("Na2Cl", ex.Message);
        Assert.Throws<ArgumentException>(() => Binary().EnergyAboveHull(Composition.Parse("NaCl"), double.PositiveInfinity));
    }

    [Fact]
    public void ChemicalSystems_AreBuiltOnce()
    {
        var pd = new PhaseDiagram([E("NaCl", -1.0), E("ClK", -0.8), E("NaK", -0.4)]);
        Assert.Equal(0, pd.CachedSystemCount);
        for (int i = 0; i < 5; i++) pd.HullEnergyPerAtom(Composition.Parse("Na2Cl2K"));
        pd.HullEnergyPerAtom(Composition.Parse("NaClK3"));
        Assert.Equal(1, pd.CachedSystemCount);
        pd.HullEnergyPerAtom(Composition.Parse("NaCl2"));
        Assert.Equal(2, pd.CachedSystemCount);
        Assert.Equal("Cl-K-Na", PhaseDiagram.ChemicalSystemName(Composition.Parse("KNaCl")));
    }

    [Fact]
    public void EightElements_MixOfBinaries()
    {
        // One binary per neighbouring pair at −0.5; the 8-element equiatomic point is 1/4 of each of the four disjoint
        // pairs, so its hull energy is −0.5.
        string[] els = ["Li", "Na", "K", "Rb", "Mg", "Ca", "Sr", "Ba"];
        var entries = Enumerable.Range(0, 7).Select(i => E(els[i] + els[i + 1], -0.5)).ToList();
        var pd = new PhaseDiagram(entries);
        var all = Composition.Parse(string.Concat(els));
        Assert.Equal(-0.5, pd.HullEnergyPerAtom(all), 12);
        Assert.Equal(1.0, pd.Decomposition(all).Sum(p => p.Fraction), 12);
    }

    /// <summary>Random quaternary diagrams (ties and duplicates included): the simplex equals brute force over every
    /// choice of k phases that mixes to the composition with non-negative weights.</summary>
    [Fact]
    public void HullEnergy_RandomQuaternaries_MatchesBruteForce()
    {
        var rng = new Random(5);
        var els = new[] { "Li", "Fe", "P", "O" }.Select(Element.FromSymbol).ToArray();
        for (int trial = 0; trial < 20; trial++)
        {
            var entries = new List<PhaseDiagramEntry>();
            for (int i = 0; i < 14; i++)
                entries.Add(new PhaseDiagramEntry(RandomComposition(rng, els), Math.Round(rng.NextDouble() * 1.5 - 1.2, trial % 2 == 0 ? 1 : 6), $"e{i}"));
            var pd = new PhaseDiagram(entries);
            var columns = entries.Select(e => e.Composition).Concat(els.Select(e => new Composition([new(e, 1)]))).ToArray();
            var energies = entries.Select(e => e.EnergyPerAtom).Concat(els.Select(_ => 0.0)).ToArray();
            for (int q = 0; q < 10; q++)
            {
                var c = q < 4 ? entries[q].Composition : RandomComposition(rng, els);
                double brute = BruteForceHull(columns, energies, c);
                Assert.Equal(brute, pd.HullEnergyPerAtom(c), 9);
                var parts = pd.Decomposition(c);
                Assert.Equal(1.0, parts.Sum(p => p.Fraction), 9);
                Assert.Equal(brute, parts.Sum(p => p.Fraction * p.Entry.EnergyPerAtom), 9);
                foreach (var e in c.Elements)
                    Assert.Equal((double)c[e] / c.NumAtoms, parts.Sum(p => p.Fraction * p.Entry.Composition[e] / p.Entry.Composition.NumAtoms), 9);
            }
        }
    }

    private static Composition RandomComposition(Random rng, Element[] els)
    {
        while (true)
        {
            var counts = els.Select(e => new KeyValuePair<Element, int>(e, rng.Next(0, 4))).Where(kv => kv.Value > 0).ToList();
            if (counts.Count > 0) return new Composition(counts);
        }
    }

    /// <summary>min over every k-subset of phases whose fraction matrix is invertible and gives λ ≥ 0.</summary>
    private static double BruteForceHull(Composition[] columns, double[] energies, Composition target)
    {
        var els = target.Elements.ToArray();
        int k = els.Length;
        var usable = Enumerable.Range(0, columns.Length).Where(j => columns[j].Elements.All(e => target[e] > 0)).ToArray();
        double best = double.PositiveInfinity;
        var b = els.Select(e => (double)target[e] / target.NumAtoms).ToArray();
        foreach (var subset in Subsets(usable, k))
        {
            var a = new double[k, k + 1];
            for (int i = 0; i < k; i++)
            {
                for (int j = 0; j < k; j++) a[i, j] = (double)columns[subset[j]][els[i]] / columns[subset[j]].NumAtoms;
                a[i, k] = b[i];
            }
            if (Solve(a, k) is not { } lambda || lambda.Any(l => l < -1e-12)) continue;
            best = Math.Min(best, Enumerable.Range(0, k).Sum(j => lambda[j] * energies[subset[j]]));
        }
        return best;
    }

    private static IEnumerable<int[]> Subsets(int[] items, int k)
    {
        if (k == 0) { yield return []; yield break; }
        for (int i = 0; i <= items.Length - k; i++)
            foreach (var rest in Subsets(items[(i + 1)..], k - 1)) yield return [items[i], .. rest];
    }

    private static double[]? Solve(double[,] a, int n)
    {
        for (int c = 0; c < n; c++)
        {
            int p = Enumerable.Range(c, n - c).MaxBy(r => Math.Abs(a[r, c]));
            if (Math.Abs(a[p, c]) < 1e-12) return null;
            for (int j = 0; j <= n; j++) (a[c, j], a[p, j]) = (a[p, j], a[c, j]);
            for (int r = 0; r < n; r++)
            {
                if (r == c) continue;
                double f = a[r, c] / a[c, c];
                for (int j = 0; j <= n; j++) a[r, j] -= f * a[c, j];
            }
        }
        return Enumerable.Range(0, n).Select(i => a[i, n] / a[i, i]).ToArray();
    }
}
