using CrystalActors.Crystals.Validity;

namespace CrystalActors.Crystals.Tests.Validity;

public class PhysicalSanityTests
{
    private static Structure Si(params Vec3[] coords) =>
        Structure.FromSpecies(Lattice.Cubic(5.43), coords.Select(_ => Element.FromSymbol("Si")).ToArray(), coords);

    [Fact]
    public void Diamond_IsFit()
    {
        // Si–Si bonds of 2.35 Å.
        Assert.Null(PhysicalSanity.Check(Si(new Vec3(0, 0, 0), new Vec3(0.25, 0.25, 0.25))));
    }

    [Fact]
    public void OverlappingAtoms_AreNamedWithTheirDistance()
    {
        // 0.01 · 5.43 Å = 0.0543 Å apart.
        Assert.Equal("sites 0 and 1 are 0.054 Å apart (overlapping atoms: the limit is 0.5 Å)",
            PhysicalSanity.Check(Si(new Vec3(0, 0, 0), new Vec3(0.01, 0, 0), new Vec3(0.5, 0.5, 0.5))));
        // Across the cell boundary too: 0.995 and 0.0 are 0.027 Å apart through the periodic image.
        Assert.StartsWith("sites 0 and 1 are 0.027 Å apart", PhysicalSanity.Check(Si(new Vec3(0.995, 0, 0), new Vec3(0, 0, 0))));
    }

    [Fact]
    public void HugeCoordinates_AreTheSamePointsModuloTheLattice()
    {
        Assert.Null(PhysicalSanity.Check(Si(new Vec3(1e7, 0, 0), new Vec3(0.25, 0.25, 0.25))));
    }

    [Fact]
    public void MoreSitesThanTheLimit_AreRefusedBeforeAnySearch()
    {
        var coords = Enumerable.Range(0, PhysicalSanity.MaxSites + 1).Select(i => new Vec3(i % 11 / 11.0, i / 11 % 11 / 11.0, i / 121 / 11.0)).ToArray();
        Assert.Equal("1001 sites, more than the limit of 1000", PhysicalSanity.Check(Si(coords)));
    }
}
