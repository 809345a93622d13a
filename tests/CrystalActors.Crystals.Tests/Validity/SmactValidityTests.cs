using CrystalActors.Crystals.Validity;
using Xunit.Abstractions;

namespace CrystalActors.Crystals.Tests.Validity;

public class SmactValidityTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("NaCl", true)]
    [InlineData("Fe2O3", true)]
    [InlineData("NaCl2", false)]
    [InlineData("Fe3O4", false)] // no single oxidation state per element balances it
    [InlineData("Ar", true)]    // single element
    [InlineData("LiFe", true)]  // alloy rule
    [InlineData("MgPm", false)] // Pm is not in SMACT's metals list
    [InlineData("NeO", false)]  // Ne has no oxidation states
    [InlineData("XeF2", true)]
    public void IsValid_TextbookCases(string formula, bool valid) =>
        Assert.Equal(valid, SmactValidity.IsValid(Composition.Parse(formula)));

    [Fact]
    public void IsValid_HandPickedReferenceExamples_AllAgree()
    {
        // input_formula,elems_Z,comps_reduced,reduced_formula,valid
        var rows = File.ReadAllLines(SharedData.Path("reference", "smact", "smact_validity_examples.csv")).Skip(1).ToList();
        var disagreements = new List<string>();
        foreach (var row in rows)
        {
            var f = row.Split(',');
            var elements = f[1].Split(' ').Select(z => Element.FromZ(int.Parse(z))).ToArray();
            var counts = f[2].Split(' ').Select(int.Parse).ToArray();
            bool ours = SmactValidity.IsValid(elements, counts);
            if (ours != (f[4] == "1")) disagreements.Add($"{f[0]}: ours {ours}, SMACT {f[4]}");
        }
        output.WriteLine($"{rows.Count - disagreements.Count}/{rows.Count} examples agree");
        Assert.Equal(102, rows.Count);
        Assert.Empty(disagreements);
    }

    [Fact]
    public void IsValid_EveryValCrystal_AgreesWithTheSmactReference()
    {
        // index,material_id,formula,valid
        var reference = File.ReadAllLines(SharedData.Path("reference", "smact", "smact_validity_val.csv")).Skip(1)
            .Select(l => l.Split(',')).ToDictionary(f => int.Parse(f[0]), f => (Id: f[1], Formula: f[2], Valid: f[3] == "1"));
        int agree = 0, formulaSame = 0, valid = 0;
        var disagreements = new List<string>();
        foreach (var r in Mp20Val.Records)
        {
            var expected = reference[r.Index];
            Assert.Equal(expected.Id, r.MaterialId);
            bool ours = SmactValidity.IsValid(r.Structure!);
            if (ours) valid++;
            if (ours == expected.Valid) agree++; else disagreements.Add($"{r.MaterialId} {expected.Formula}: ours {ours}");
            if (r.Composition.ZOrderedReducedFormula == expected.Formula) formulaSame++;
        }
        output.WriteLine($"validity agrees on {agree}/{reference.Count}; formula text on {formulaSame}; valid fraction {valid / (double)reference.Count:F5}");
        foreach (var d in disagreements.Take(20)) output.WriteLine(d);
        Assert.Equal(9047, reference.Count);
        Assert.Equal(reference.Count, formulaSame);
        Assert.Empty(disagreements);
        Assert.Equal(8200, valid); // README: 8200 valid, fraction 0.90638
    }

    [Fact]
    public void PaulingTest_MissingElectronegativityInOppositeSignPair_PassesLikeSmactTypeError()
    {
        // ox (+3, -1) with eneg (None, 3.16): Python raises TypeError and CDVAE treats the tuple as passing.
        Assert.True(SmactValidity.PaulingTestPasses([3, -1], [null, 3.16]));
        // Same-sign pair with a missing value: SMACT returns False.
        Assert.False(SmactValidity.PaulingTestPasses([3, 1], [null, 3.16]));
        // An earlier failing pair wins over a later TypeError.
        Assert.False(SmactValidity.PaulingTestPasses([1, -1, 3], [3.0, 1.0, null]));
        // Cation more electronegative than the anion fails.
        Assert.False(SmactValidity.PaulingTestPasses([1, -1], [3.0, 1.0]));
        Assert.True(SmactValidity.PaulingTestPasses([1, -1], [0.93, 3.16]));
    }
}
