using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;

namespace CrystalActors.Crystals.Tests;

public class CifDataItemsTests
{
    private static readonly Structure Si = Structure.FromSpecies(Lattice.Cubic(5.43), [Element.FromSymbol("Si"), Element.FromSymbol("Si")],
        [new Vec3(0, 0, 0), new Vec3(0.25, 0.25, 0.25)]);

    [Fact]
    public void DataItems_RoundTripThroughTheReader_QuotedWhereNeeded()
    {
        var text = CifWriter.Write(Si, [("_x_number", "1.25"), ("_x_text", "scf not converged"), ("_x_quote", "it's"), ("_x_unknown", null)]);
        Assert.Contains("_x_text   'scf not converged'", text);
        Assert.Contains("_x_quote   \"it's\"", text);
        Assert.Contains("_x_unknown   ?", text);
        var items = CifReader.ReadDataItems(text);
        Assert.Equal("1.25", items["_x_number"]);
        Assert.Equal("scf not converged", items["_x_text"]);
        Assert.Equal("it's", items["_x_quote"]);
        Assert.Null(items["_x_unknown"]);
        Assert.Equal(2, CifReader.Parse(text).NumSites); // the structure reads as before
    }

    [Theory]
    [InlineData("no_underscore")]
    [InlineData("_with space")]
    [InlineData("_")]
    public void ATagThatIsNotACifTag_IsRefused(string tag) =>
        Assert.Throws<ArgumentException>(() => CifWriter.Write(Si, [(tag, "1")]));
}
