using CrystalActors.Crystals.Symmetry;

namespace CrystalActors.Crystals.Tests.Symmetry;

public class SpaceGroupDatabaseTests
{
    [Fact]
    public void Settings_Are530HallSettingsOf230Groups()
    {
        var all = SpaceGroupDatabase.Settings;
        Assert.Equal(530, all.Count);
        Assert.Equal("P1", all[0].InternationalShort);
        Assert.Equal(230, all[^1].Number);
        Assert.Equal("Ia-3d", all[^1].InternationalShort);
        Assert.Equal(230, all.Select(s => s.Number).Distinct().Count());
    }

    [Theory]
    [InlineData("P 63 m c", 186, 12)]
    [InlineData("F m -3 m", 225, 192)]
    [InlineData("F d -3 m :2", 227, 192)]
    [InlineData("P 1 21/c 1", 14, 4)]
    [InlineData("R -3 m :H", 166, 36)]
    [InlineData("R -3 m :R", 166, 12)]
    public void FindByHermannMauguin_KnownSymbols_GiveTheGroupAndItsOperationCount(string symbol, int number, int ops)
    {
        var setting = SpaceGroupDatabase.FindByHermannMauguin(symbol);
        Assert.NotNull(setting);
        Assert.Equal(number, setting.Number);
        var operations = SpaceGroupDatabase.GetOperations(setting);
        Assert.Equal(ops, operations.Count);
        Assert.Contains(SymmetryOperation.Identity, operations);
    }

    [Fact]
    public void FindByHermannMauguin_Unknown_IsNull() => Assert.Null(SpaceGroupDatabase.FindByHermannMauguin("Q 9"));
}
