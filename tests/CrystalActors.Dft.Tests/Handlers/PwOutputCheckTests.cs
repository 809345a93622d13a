using CrystalActors.Dft.Handlers;
using CrystalActors.Dft.Parsing;

namespace CrystalActors.Dft.Tests.Handlers;

public class PwOutputCheckTests
{
    public static TheoryData<string> ReferenceOutputs => new(TestData.OutputNames);

    private static PwInputEcho Echo(string runName) => PwOutputParser.Parse(TestData.Output(runName)).InputEcho;

    private static DftCell Scaled(DftCell c, double factor) =>
        new(c.LatticeAngstrom.Select(r => r.Select(x => x * factor).ToArray()).ToArray(), c.Species, c.FractionalCoords);

    [Theory]
    [MemberData(nameof(ReferenceOutputs))]
    public void Mismatch_EveryReferenceOutputAgainstItsOwnCrystal_IsNull(string runName) =>
        Assert.Null(PwOutputCheck.Mismatch(Echo(runName), TestData.RunOf(runName).Cell, requireComplete: true));

    [Theory]
    [MemberData(nameof(ReferenceOutputs))]
    public void Mismatch_EveryReferenceOutputAgainstEveryOtherCrystal_IsNamed(string runName)
    {
        var echo = Echo(runName);
        var run = TestData.RunOf(runName);
        foreach (var other in TestData.ReferenceRuns.Where(r => r.MaterialId != run.MaterialId))
            Assert.NotNull(PwOutputCheck.Mismatch(echo, other.Cell, requireComplete: true));
    }

    [Fact]
    public void Mismatch_LatticeWithinThePrintedDigits_AgreesAndBeyondThemDoesNot()
    {
        // AgI: alat printed to 1e-6 bohr and the axes to 1e-6 alat allow ~3e-6 Å on 4.7 Å, about 6e-7 relative.
        var echo = Echo("val_mp-22894_A");
        var cell = TestData.Run("val_mp-22894_A").Cell;
        Assert.Null(PwOutputCheck.Mismatch(echo, Scaled(cell, 1 + 1e-8), requireComplete: true));
        string? d = PwOutputCheck.Mismatch(echo, Scaled(cell, 1 + 1e-5), requireComplete: true);
        Assert.NotNull(d);
        Assert.StartsWith("lattice vector a1", d);
    }

    [Fact]
    public void Mismatch_OneSiteMoved_NamesTheSite()
    {
        var cell = TestData.Run("val_mp-22894_A").Cell;
        var coords = cell.FractionalCoords.Select(r => r.ToArray()).ToArray();
        coords[2][2] += 1e-4; // 0.8 mÅ along c
        var d = PwOutputCheck.Mismatch(Echo("val_mp-22894_A"), new DftCell(cell.LatticeAngstrom, cell.Species, coords), requireComplete: true);
        Assert.StartsWith("site 3 (I)", d);
    }

    [Fact]
    public void Mismatch_SameCompositionInAnotherSiteOrder_NamesTheSite()
    {
        var cell = TestData.Run("val_mp-22894_A").Cell; // Ag Ag I I
        var swapped = new DftCell(cell.LatticeAngstrom, ["I", "Ag", "Ag", "I"], cell.FractionalCoords);
        Assert.Equal("site 1 is Ag in the output, I in the input", PwOutputCheck.Mismatch(Echo("val_mp-22894_A"), swapped, requireComplete: true));
    }

    [Fact]
    public void Mismatch_OtherAtomCount_SaysBoth()
    {
        var cell = TestData.Run("val_mp-22894_A").Cell;
        var fewer = new DftCell(cell.LatticeAngstrom, cell.Species[..3], cell.FractionalCoords[..3]);
        Assert.Equal("pw.x computed 4 atoms, the input has 3", PwOutputCheck.Mismatch(Echo("val_mp-22894_A"), fewer, requireComplete: true));
    }

    [Fact]
    public void Mismatch_NothingPrinted_IsAFindingOnlyWhenCompletenessIsRequired()
    {
        var cell = TestData.Run("val_mp-22894_A").Cell;
        Assert.Null(PwOutputCheck.Mismatch(PwInputEcho.Empty, cell, requireComplete: false));
        Assert.Contains("number of atoms", PwOutputCheck.Mismatch(PwInputEcho.Empty, cell, requireComplete: true));
    }

    [Fact]
    public void Mismatch_UnreadablePosition_NeverAgrees()
    {
        string text = TestData.Output("val_mp-22894_A").Replace("-0.2886752  -1.0026253", "************-1.0026253");
        var echo = PwOutputParser.Parse(text).InputEcho;
        Assert.StartsWith("site 3 (I)", PwOutputCheck.Mismatch(echo, TestData.Run("val_mp-22894_A").Cell, requireComplete: true));
    }

    [Fact]
    public void Unphysical_ReferenceResults_AreNull()
    {
        foreach (var name in new[] { "val_mp-22894_A", "val_mp-1186119_B_smear" })
            Assert.Null(PwOutputCheck.Unphysical(PwOutputParser.Parse(TestData.Output(name)), 4));
    }

    [Theory]
    [InlineData(double.NaN, "not a finite number")]
    [InlineData(-1e6, "per atom")] // Ry: 3.4e6 eV per atom over 4 atoms
    public void Unphysical_Energy_IsNamed(double energyRy, string expected) =>
        Assert.Contains(expected, PwOutputCheck.Unphysical(new PwOutput { TotalEnergyRy = energyRy }, 4));

    [Theory]
    [InlineData(1e22)]
    [InlineData(20.5)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void Unphysical_GapOutOfRange_IsNamed(double gap) =>
        Assert.StartsWith("band gap", PwOutputCheck.Unphysical(new PwOutput { TotalEnergyRy = -100, BandGapEv = gap }, 1));

    [Fact]
    public void Unphysical_InfiniteFermiEnergy_IsNamed() =>
        Assert.Equal("Fermi energy Infinity eV, not a finite number",
            PwOutputCheck.Unphysical(new PwOutput { TotalEnergyRy = -100, FermiEnergyEv = double.PositiveInfinity }, 1));
}
