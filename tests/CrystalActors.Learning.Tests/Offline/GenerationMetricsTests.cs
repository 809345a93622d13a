using CrystalActors.Crystals;
using CrystalActors.Learning.Offline;

namespace CrystalActors.Learning.Tests.Offline;

public class GenerationMetricsTests
{
    private static Element[] E(params string[] s) => s.Select(Element.FromSymbol).ToArray();

    [Fact]
    public void Compute_HandMadeCrystals_GivesTableOneFractions()
    {
        Assert.Equal(ActionVocabulary.ClassOf(Element.FromSymbol("Cl")), ActionVocabulary.ClassOf(Element.FromSymbol("Br")));
        Assert.NotEqual(ActionVocabulary.ClassOf(Element.FromSymbol("Fe")), ActionVocabulary.ClassOf(Element.FromSymbol("Na")));
        Assert.NotEqual(ActionVocabulary.ClassOf(Element.FromSymbol("O")), ActionVocabulary.ClassOf(Element.FromSymbol("Cl")));
        var pairs = new List<(IReadOnlyList<Element>, IReadOnlyList<Element>)>
        {
            (E("Na", "Br"), E("Na", "Cl")),        // half right, same classes, NaBr valid
            (E("Si", "O", "O"), E("Si", "O", "O")), // reconstructed, SiO2 valid
            (E("Na", "Cl", "Cl"), E("Fe", "O", "O")), // nothing right, other classes, NaCl2 not charge balanced
        };
        var m = GenerationMetrics.Compute(pairs);
        Assert.Equal((0.5 + 1 + 0) / 3, m.Accuracy, 12);
        Assert.Equal((1 + 1 + 0) / 3.0, m.Similarity, 12);
        Assert.Equal(2 / 3.0, m.Validity, 12);
        Assert.Equal(1 / 3.0, m.Reconstruction, 12);
        Assert.Equal(3, m.N);
        Assert.Equal("| p | 50.00 | 66.67 | 66.67 | 33.33 | 3 |", m.TableRow("p"));
    }

    [Fact]
    public void Compute_ByMaterialId_NamesAMissingId()
    {
        var truth = new Dictionary<string, IReadOnlyList<Element>> { ["mp-1"] = E("Na", "Cl") };
        var gen = new[] { new GeneratedCrystal("mp-1", new[] { "Na", "Cl" }), new GeneratedCrystal("mp-2", new[] { "O" }) };
        var ex = Assert.Throws<ArgumentException>(() => GenerationMetrics.Compute(gen, truth));
        Assert.Contains("mp-2", ex.Message);
        var ok = GenerationMetrics.Compute(gen.Take(1).ToArray(), truth);
        Assert.Equal(1.0, ok.Reconstruction);
    }
}
