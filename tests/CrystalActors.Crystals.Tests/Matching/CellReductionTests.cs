using CrystalActors.Crystals.Matching;
using CrystalActors.Crystals.Symmetry;
using static CrystalActors.Crystals.Tests.Matching.MatchingFixtures;

namespace CrystalActors.Crystals.Tests.Matching;

/// <summary>The two primitive-cell searches the matcher can use, and spglib's Niggli reduction.</summary>
public class CellReductionTests
{
    [Fact]
    public void PrimitiveCellFinder_ConventionalRockSalt_GivesTwoAtoms()
    {
        var conventional = RockSalt(Na, Cl, 5.64);
        var p = PrimitiveCellFinder.Find(CellReduction.NiggliReduce(conventional));
        Assert.Equal(2, p.NumSites);
        Assert.Equal(conventional.Volume / 4, p.Volume, 1e-9);
        Assert.Equal(new[] { 60.0, 60.0, 60.0 }, new[] { p.Lattice.Parameters.Alpha, p.Lattice.Parameters.Beta, p.Lattice.Parameters.Gamma }, (x, y) => Math.Abs(x - y) < 1e-6);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1500)]
    [InlineData(6000)]
    public void PrimitiveCellFinder_Supercell_ComesBackToTheCellSize(int row)
    {
        var s = Mp20Val.Records[row].Structure!;
        int primitiveSites = PrimitiveCellFinder.Find(CellReduction.NiggliReduce(s)).NumSites;
        var super = Perturb(Supercell(s, 2, 2, 1), 0.02, row);
        var p = PrimitiveCellFinder.Find(CellReduction.NiggliReduce(super));
        Assert.Equal(primitiveSites, p.NumSites);
        Assert.Equal(s.Volume * primitiveSites / s.NumSites, p.Volume, 1e-6 * s.Volume);
        Assert.Equal(s.Composition.ReducedFormula, p.Composition.ReducedFormula);
    }

    [Fact]
    public void PrimitiveCellFinder_CoprimeCounts_ReturnsTheInputObject()
    {
        var s = new Structure(Lattice.Cubic(4.5), [new Site(Cl, Vec3.Zero), new Site(Na, new Vec3(0.5, 0.5, 0)), new Site(Na, new Vec3(0.5, 0, 0.5)), new Site(Na, new Vec3(0, 0.5, 0.5))]);
        Assert.Same(s, PrimitiveCellFinder.Find(s));
        Assert.Same(s, CellReduction.FindPrimitive(s));
    }

    [Fact]
    public void Spglib_FindPrimitive_ConventionalRockSaltAndSupercell()
    {
        Assert.Equal(2, CellReduction.FindPrimitive(RockSalt(Na, Cl, 5.64)).NumSites);
        var cscl = CsClType(Cs, Cl, 4.1);
        var p = CellReduction.FindPrimitive(Supercell(cscl, 1, 3, 2));
        Assert.Equal(2, p.NumSites);
        Assert.Equal(cscl.Volume, p.Volume, 1e-9);
        Assert.False(CellReduction.HasCandidateTranslation(cscl, 0.25));
        Assert.True(CellReduction.HasCandidateTranslation(Supercell(cscl, 2, 1, 1), 0.25));
    }

    [Fact]
    public void Spglib_NiggliReduce_KeepsVolumeAndIsIdempotent()
    {
        // A skewed basis of the simple cubic lattice: a' = a, b' = b + 2a, c' = c - a + b.
        var m = Mat3.FromRows(new Vec3(3, 0, 0), new Vec3(6, 3, 0), new Vec3(-3, 3, 3));
        var reduced = CellReduction.NiggliReduce(new Lattice(m));
        var p = reduced.Parameters;
        Assert.Equal(27, reduced.Volume, 1e-9);
        Assert.All(new[] { p.A, p.B, p.C }, l => Assert.Equal(3, l, 1e-9));
        Assert.All(new[] { p.Alpha, p.Beta, p.Gamma }, x => Assert.Equal(90, x, 1e-6));
        Assert.True(CellReduction.NiggliReduce(reduced).ApproxEquals(reduced, 1e-9));
    }
}
