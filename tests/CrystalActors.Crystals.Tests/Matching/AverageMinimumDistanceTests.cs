using CrystalActors.Crystals.Matching;
using static CrystalActors.Crystals.Tests.Matching.MatchingFixtures;

namespace CrystalActors.Crystals.Tests.Matching;

public class AverageMinimumDistanceTests
{
    [Fact]
    public void Compute_SimpleCubic_IsTheNeighbourShells()
    {
        // Shells of the simple cubic lattice: 6 at a, 12 at a√2, 8 at a√3, 6 at 2a, 24 at a√5.
        const double a = 3.0;
        var amd = AverageMinimumDistance.Compute(new Structure(Lattice.Cubic(a), [new Site(Na, Vec3.Zero)]), 56);
        double[] expected = [.. Enumerable.Repeat(a, 6), .. Enumerable.Repeat(a * Math.Sqrt(2), 12), .. Enumerable.Repeat(a * Math.Sqrt(3), 8),
            .. Enumerable.Repeat(2 * a, 6), .. Enumerable.Repeat(a * Math.Sqrt(5), 24)];
        for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], amd[k], 1e-9);
    }

    [Fact]
    public void Compute_CsClType_AveragesOverBothSites()
    {
        // Each atom sees 8 of the other kind at a√3/2, then 6 of its own at a, then 12 at a√2: species are ignored.
        const double a = 4.0;
        var amd = AverageMinimumDistance.Compute(CsClType(Cs, Cl, a), 26);
        for (int k = 0; k < 8; k++) Assert.Equal(a * Math.Sqrt(3) / 2, amd[k], 1e-9);
        for (int k = 8; k < 14; k++) Assert.Equal(a, amd[k], 1e-9);
        for (int k = 14; k < 26; k++) Assert.Equal(a * Math.Sqrt(2), amd[k], 1e-9);
    }

    [Fact]
    public void Compute_IsInvariantToCellChoiceAndRigidMotions()
    {
        var s = Mp20Val.Records[100].Structure!;
        var amd = AverageMinimumDistance.Compute(s);
        Assert.Equal(AverageMinimumDistance.DefaultK, amd.Length);
        foreach (var copy in new[] { Supercell(s, 2, 1, 1), Rotate(Permute(s, 3), new Vec3(1, 0, 1), 50) })
            Assert.True(AverageMinimumDistance.ChebyshevDistance(amd, AverageMinimumDistance.Compute(copy)) < 1e-9);
        // A 0.02 Å perturbation moves each entry by at most about twice that.
        double d = AverageMinimumDistance.ChebyshevDistance(amd, AverageMinimumDistance.Compute(Perturb(s, 0.02, 1)));
        Assert.InRange(d, 1e-6, 0.04 + 1e-9);
    }
}
