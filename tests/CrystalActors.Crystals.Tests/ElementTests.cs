namespace CrystalActors.Crystals.Tests;

public class ElementTests
{
    [Fact]
    public void All_Has103ElementsIndexedByZ()
    {
        Assert.Equal(103, Element.All.Count);
        for (int z = 1; z <= 103; z++) Assert.Equal(z, Element.All[z - 1].Z);
        Assert.Equal("Lr", Element.FromZ(103).Symbol);
    }

    [Fact]
    public void FromSymbol_Iron_HasTextbookData()
    {
        var fe = Element.FromSymbol("Fe");
        Assert.Equal(26, fe.Z);
        Assert.Equal("Iron", fe.Name);
        Assert.Equal(4, fe.Period);
        Assert.Equal(8, fe.Group);
        Assert.Equal(55.845, fe.AtomicMass, 3);
        Assert.Equal(1.32, fe.CovalentRadius!.Value, 2); // Cordero 2008, low spin
        Assert.Equal(1.83, fe.PaulingElectronegativity!.Value, 2);
        Assert.Contains(2, fe.OxidationStates);
        Assert.Contains(3, fe.OxidationStates);
        Assert.True(fe.IsSmactMetal);
        Assert.Same(fe, Element.FromZ(26));
    }

    [Theory]
    [InlineData("H", 1, 1)]
    [InlineData("He", 1, 18)]
    [InlineData("B", 2, 13)]
    [InlineData("Cl", 3, 17)]
    [InlineData("Zn", 4, 12)]
    [InlineData("Xe", 5, 18)]
    [InlineData("La", 6, 3)]
    [InlineData("Lu", 6, 3)]
    [InlineData("Hf", 6, 4)]
    [InlineData("Rn", 6, 18)]
    [InlineData("U", 7, 3)]
    [InlineData("Ra", 7, 2)]
    public void PeriodAndGroup_MatchThePeriodicTable(string symbol, int period, int group)
    {
        var e = Element.FromSymbol(symbol);
        Assert.Equal(period, e.Period);
        Assert.Equal(group, e.Group);
    }

    [Fact]
    public void FromSymbol_Unknown_ThrowsNamingTheSymbol()
    {
        var ex = Assert.Throws<ArgumentException>(() => Element.FromSymbol("Xx"));
        Assert.Contains("'Xx'", ex.Message);
        Assert.Throws<ArgumentException>(() => Element.FromSymbol("FE")); // symbols are case-sensitive
        Assert.Throws<ArgumentOutOfRangeException>(() => Element.FromZ(104));
    }

    [Fact]
    public void SmactQuirks_AreKept()
    {
        Assert.Equal(0.33, Element.FromSymbol("Zr").PaulingElectronegativity); // SMACT 2.5.2 data
        Assert.Null(Element.FromSymbol("Pm").PaulingElectronegativity);
        Assert.Empty(Element.FromSymbol("Ar").OxidationStates);
        Assert.False(Element.FromSymbol("Pm").IsSmactMetal);
        Assert.True(Element.FromSymbol("Ge").IsSmactMetal);
        Assert.False(Element.FromSymbol("Si").IsSmactMetal);
    }

    [Fact]
    public void EmbeddedData_MatchesTheSmactDataUsedByTheReference()
    {
        // symbol,Z,pauling_eneg,oxidation_states,in_smact_metals,in_88_vocab,seen_in_mp20_val_test
        var lines = File.ReadAllLines(SharedData.Path("reference", "smact", "smact_element_data_used.csv")).Skip(1);
        int checkedRows = 0;
        foreach (var line in lines)
        {
            var f = line.Split(',');
            var e = Element.FromSymbol(f[0]);
            Assert.Equal(int.Parse(f[1]), e.Z);
            if (f[2].Length == 0) Assert.Null(e.PaulingElectronegativity);
            else Assert.Equal(double.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture), e.PaulingElectronegativity);
            var ox = f[3].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            Assert.Equal(ox, e.OxidationStates);
            Assert.Equal(f[4] == "1", e.IsSmactMetal);
            Assert.Equal(f[5] == "1", e.ActionIndex is not null);
            checkedRows++;
        }
        Assert.True(checkedRows >= 88, $"only {checkedRows} rows checked");
    }
}

public class ActionVocabularyTests
{
    [Fact]
    public void Vocabulary_Has88ActionsInCsvOrder()
    {
        Assert.Equal(88, ActionVocabulary.Elements.Count);
        Assert.Equal("Cs", ActionVocabulary.ElementAt(0).Symbol);
        Assert.Equal("Ce", ActionVocabulary.ElementAt(87).Symbol);
        Assert.Equal(3, ActionVocabulary.ActionIndexOf(Element.FromSymbol("Tc")));
        Assert.Equal(88, ActionVocabulary.Elements.Distinct().Count());
    }

    [Fact]
    public void Classes_HaveTheDocumentedSizes()
    {
        var counts = ActionVocabulary.Elements.GroupBy(ActionVocabulary.ClassOf).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(29, counts[ElementClass.TransitionMetal]);
        Assert.Equal(15, counts[ElementClass.Lanthanide]);
        Assert.Equal(6, counts[ElementClass.Actinide]);
        Assert.Equal(4, counts[ElementClass.NobleGas]);
        Assert.Equal(4, counts[ElementClass.Halogen]);
        Assert.Equal(5, counts[ElementClass.AlkaliG1]);
        Assert.Equal(5, counts[ElementClass.AlkalineEarthG2]);
        Assert.Equal(11, counts[ElementClass.Nonmetal]);
        Assert.Equal(9, counts[ElementClass.PostTransitionMetal]);
        Assert.Equal(ElementClass.Halogen, ActionVocabulary.ClassOf(Element.FromSymbol("I")));
    }

    [Fact]
    public void Argon_IsNotAnAction()
    {
        var ar = Element.FromSymbol("Ar");
        Assert.Null(ar.ActionIndex);
        var ex = Assert.Throws<ArgumentException>(() => ActionVocabulary.ActionIndexOf(ar));
        Assert.Contains("Ar", ex.Message);
    }
}
