using CrystalActors.Crystals.Matching;
using Xunit.Abstractions;
using static CrystalActors.Crystals.Tests.Matching.MatchingFixtures;

namespace CrystalActors.Crystals.Tests.Matching;

public class StructureMatcherTests(ITestOutputHelper output)
{
    private static readonly StructureMatcher Matcher = new();

    /// <summary>A spread of val crystals: every 750th row (13 crystals, 1 to 20 sites, several crystal systems).</summary>
    public static TheoryData<int> ValRows => new(Enumerable.Range(0, 13).Select(i => i * 750));

    private static Structure Val(int row) => Mp20Val.Records[row].Structure!;

    [Theory]
    [MemberData(nameof(ValRows))]
    public void Fit_ValCrystal_MatchesItselfAndItsEquivalentCopies(int row)
    {
        var s = Val(row);
        var copies = new (string Name, Structure Copy)[]
        {
            ("itself", s),
            ("sites permuted", Permute(s, seed: row + 1)),
            ("frame rotated", Rotate(s, new Vec3(1, 2, 3), 37)),
            ("perturbed 0.02 Å", Perturb(s, 0.02, seed: row + 2)),
            ("volume +5%", ScaleVolume(s, 1.05)),
            ("2×1×1 supercell", Supercell(s, 2, 1, 1)),
            ("all at once", Supercell(ScaleVolume(Perturb(Rotate(Permute(s, row + 3), new Vec3(-1, 0.5, 2), 71), 0.02, row + 4), 0.95), 1, 1, 2)),
        };
        foreach (var (name, copy) in copies)
        {
            Assert.True(Matcher.Fit(s, copy), $"{s.Id} ({s.Composition.ReducedFormula}): {name} does not fit");
            Assert.True(Matcher.Fit(copy, s), $"{s.Id}: {name} does not fit the other way round");
        }
    }

    [Theory]
    [MemberData(nameof(ValRows))]
    public void GetRmsDist_ExactCopies_AreZero_PerturbedCopy_IsSmall(int row)
    {
        var s = Val(row);
        foreach (var copy in new[] { s, Permute(s, row), Rotate(s, new Vec3(0, 1, 1), 120), ScaleVolume(s, 1.05), Supercell(s, 2, 1, 1) })
        {
            var rms = Matcher.GetRmsDist(s, copy);
            Assert.NotNull(rms);
            // pymatgen stops at the first pairing with rms < 1e-5; symmetry-equivalent bases of a crystal stored to
            // ~1e-6 precision give such values, not exact zeros.
            Assert.True(rms.Value.Rms < 1e-5 && rms.Value.MaxDist < 1e-5, $"{s.Id}: {rms}");
        }
        var perturbed = Matcher.GetRmsDist(s, Perturb(s, 0.02, row));
        Assert.NotNull(perturbed);
        // Each site moved 0.02 Å; normalised by (V/n)^(1/3) (≥ 2 Å for these crystals).
        double freeLength = Math.Cbrt(s.Volume / s.NumSites);
        Assert.InRange(perturbed.Value.Rms, 1e-4, 0.02 / freeLength + 1e-9);
        Assert.True(perturbed.Value.MaxDist >= perturbed.Value.Rms);
    }

    [Fact]
    public void Fit_RockSaltAndCsClNaCl_SameFormulaDifferentPrototype_DoNotMatch()
    {
        var rockSalt = RockSalt(Na, Cl, 5.64);
        var cscl = CsClType(Na, Cl, 3.4);
        Assert.False(Matcher.Fit(rockSalt, cscl));
        Assert.False(Matcher.Fit(cscl, rockSalt));
        Assert.Null(Matcher.GetRmsDist(rockSalt, cscl));
        // Each matches its own kind at another lattice constant (scale = true).
        Assert.True(Matcher.Fit(rockSalt, RockSalt(Na, Cl, 6.1)));
        Assert.True(Matcher.Fit(cscl, CsClType(Na, Cl, 4.0)));
    }

    [Fact]
    public void Fit_DifferentCompositions_NeverMatch()
    {
        Assert.False(Matcher.Fit(RockSalt(Na, Cl, 5.64), RockSalt(K, Cl, 5.64)));
        Assert.False(Matcher.Fit(CsClType(Cs, Cl, 4.1), CsClType(K, Cl, 4.1)));
        Assert.Null(Matcher.GetRmsDist(RockSalt(Na, Cl, 5.64), RockSalt(K, Cl, 5.64)));
        // Same elements, other ratio: NaCl vs Na2Cl2 is one composition (reduced), Na3Cl is not.
        var na3cl = new Structure(Lattice.Cubic(4.5), [new Site(Cl, Vec3.Zero), new Site(Na, new Vec3(0.5, 0.5, 0)), new Site(Na, new Vec3(0.5, 0, 0.5)), new Site(Na, new Vec3(0, 0.5, 0.5))]);
        Assert.False(Matcher.Fit(RockSalt(Na, Cl, 5.64), na3cl));
        // Real crystals of different formulas from the val split.
        var records = Mp20Val.Records.Take(40).Select(r => r.Structure!).ToList();
        for (int i = 0; i + 1 < records.Count; i++)
            if (records[i].Composition.ReducedFormula != records[i + 1].Composition.ReducedFormula)
                Assert.False(Matcher.Fit(records[i], records[i + 1]), $"{records[i].Id} vs {records[i + 1].Id}");
    }

    [Fact]
    public void GetRmsDist_OneAtomDisplaced_InCubicCell_IsTheHandComputedValue()
    {
        // CsCl-type cell, a = 4 Å, V/n = 32 Å^3. Cl moved by d = 0.2 Å along z. The optimal extra translation removes
        // the mean displacement (d/2), leaving d/2 on both sites: rms = max = (d/2) / (V/n)^(1/3) = 0.1 / 32^(1/3).
        const double a = 4.0, d = 0.2;
        var ideal = CsClType(Na, Cl, a);
        var moved = new Structure(Lattice.Cubic(a), [new Site(Na, Vec3.Zero), new Site(Cl, new Vec3(0.5, 0.5, 0.5 + d / a))]);
        double expected = d / 2 / Math.Cbrt(a * a * a / 2);
        var rms = Matcher.GetRmsDist(ideal, moved);
        Assert.NotNull(rms);
        Assert.Equal(expected, rms.Value.Rms, 1e-9);
        Assert.Equal(expected, rms.Value.MaxDist, 1e-9);
        Assert.True(Matcher.Fit(ideal, moved));
        output.WriteLine($"rms = {rms.Value.Rms:F6} (hand: {expected:F6})");
    }

    [Fact]
    public void GetRmsDist_DisplacementBeyondStol_IsNull_AndFitFails()
    {
        // Two Na and two Cl in a tetragonal cell; shift one Na by 45% of the cell along z: far beyond stol.
        var lattice = Lattice.FromParameters(4, 4, 8, 90, 90, 90);
        Structure Make(double z) => new(lattice, [new Site(Na, Vec3.Zero), new Site(Na, new Vec3(0.5, 0.5, z)), new Site(Cl, new Vec3(0.5, 0, 0.25)), new Site(Cl, new Vec3(0, 0.5, 0.75))]);
        var a = Make(0.5);
        var b = Make(0.05);
        Assert.False(Matcher.Fit(a, b));
        Assert.Null(Matcher.GetRmsDist(a, b));
    }

    [Fact]
    public void Fit_MirrorImage_Matches_AsInPymatgen()
    {
        // pymatgen's find_all_mappings keeps bases of either handedness, so an enantiomorph matches.
        var s = Val(0);
        var mirrored = new Structure(s.Lattice, s.Sites.Select(x => x with { FracCoords = new Vec3(-x.FracCoords.X, -x.FracCoords.Y, -x.FracCoords.Z) }).ToArray());
        Assert.True(Matcher.Fit(s, mirrored));
    }

    [Fact]
    public void Reduce_ConventionalRockSalt_GivesTheTwoAtomPrimitiveCell()
    {
        var r = Matcher.Reduce(RockSalt(Na, Cl, 5.64));
        Assert.Equal(2, r.NumSites);
        Assert.Equal("NaCl", r.ReducedFormula);
        Assert.Equal(5.64 * 5.64 * 5.64 / 4, r.Structure.Volume, 1e-6);
        Assert.Same(r, Matcher.Reduce(r.Source)); // cached per Structure object
        var noPrimitive = new StructureMatcher(new StructureMatcherOptions { PrimitiveCell = false });
        Assert.Equal(8, noPrimitive.Reduce(RockSalt(Na, Cl, 5.64)).NumSites);
        Assert.False(noPrimitive.Fit(CsClType(Na, Cl, 4), Supercell(CsClType(Na, Cl, 4), 2, 1, 1)));
    }

    [Fact]
    public void GroupStructures_GroupsEquivalentCopies_FirstIndexLeads()
    {
        var a = RockSalt(Na, Cl, 5.64);
        var b = CsClType(Na, Cl, 4.0);
        var c = RockSalt(K, Cl, 6.3);
        var batch = new[] { a, b, Rotate(a, new Vec3(1, 1, 0), 30), c, Supercell(b, 1, 2, 1), Perturb(a, 0.02, 5) };
        var groups = Matcher.GroupStructures(batch);
        Assert.Equal([[0, 2, 5], [1, 4], [3]], groups.Select(g => g.ToArray()).ToArray());
    }

    [Fact]
    public void Options_OutOfRange_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StructureMatcherOptions { Stol = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new StructureMatcherOptions { Ltol = -0.1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new StructureMatcherOptions { AngleTol = 90 });
        Assert.Equal(0.2, StructureMatcherOptions.Default.Ltol);
        Assert.Equal(0.3, StructureMatcherOptions.Default.Stol);
        Assert.Equal(5.0, StructureMatcherOptions.Default.AngleTol);
    }
}
