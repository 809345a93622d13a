using Xunit.Abstractions;

namespace CrystalActors.Crystals.Tests;

public class CompositionTests(ITestOutputHelper output)
{
    [Fact]
    public void Reduced_DividesByGcd()
    {
        var c = Composition.Parse("Fe4O6");
        Assert.Equal(2, c.Gcd);
        Assert.Equal(10, c.NumAtoms);
        Assert.Equal(Composition.Parse("Fe2O3"), c.Reduced());
        Assert.Equal("Fe2O3", c.ReducedFormula);
        Assert.Equal("Fe4 O6", c.Formula);
    }

    [Fact]
    public void ReducedFormula_OrdersByElectronegativity_AndZOrderedFormulaByZ()
    {
        var c = Composition.FromSpecies(new[] { "Tm", "Mg", "Hg", "Hg" }.Select(Element.FromSymbol));
        Assert.Equal("TmMgHg2", c.ReducedFormula);
        Assert.Equal("MgTmHg2", c.ZOrderedReducedFormula);
        Assert.Equal("O2", Composition.Parse("O4").ReducedFormula);
        Assert.Equal("Si", Composition.Parse("Si8").ReducedFormula);
        Assert.Equal("Na2O2", Composition.Parse("Na2O2").ReducedFormula); // pymatgen's peroxide name
        Assert.Equal("RbAl(SO4)2", Composition.Parse("RbAlS2O8").ReducedFormula);
        Assert.Equal("Li3(NiO2)4", Composition.Parse("Li6Ni8O16").ReducedFormula);
        Assert.Equal("LiFePO4", Composition.Parse("Li4Fe4P4O16").ReducedFormula); // PO4 once: no brackets
    }

    [Fact]
    public void Parse_UnknownElement_NamesIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => Composition.Parse("NaQq2"));
        Assert.Contains("'Qq'", ex.Message);
    }

    [Fact]
    public void Parse_Brackets_MultiplyOut()
    {
        var c = Composition.Parse("RbAl(SO4)2");
        Assert.Equal(8, c[Element.FromSymbol("O")]);
        Assert.Equal(2, c[Element.FromSymbol("S")]);
        Assert.Throws<ArgumentException>(() => Composition.Parse("Ca(OH2"));
    }

    [Fact]
    public void ReducedComposition_AgreesWithMaterialsProjectPrettyFormulaOnValSplit()
    {
        // MP's pretty_formula is pymatgen's reduced_formula: polyanion brackets, pymatgen's electronegativities.
        int sameComposition = 0, sameText = 0, total = 0;
        foreach (var r in Mp20Val.Records)
        {
            total++;
            var ours = r.Composition.Reduced();
            if (ours.Equals(Composition.Parse(r.PrettyFormula!).Reduced())) sameComposition++;
            if (r.Composition.ReducedFormula == r.PrettyFormula) sameText++;
        }
        output.WriteLine($"reduced composition agrees on {sameComposition}/{total}; formula text identical on {sameText}/{total}");
        Assert.Equal(total, sameComposition);
        Assert.Equal(total, sameText);
    }
}
