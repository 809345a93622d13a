using CrystalActors.Dft.Handlers;
using CrystalActors.Dft.Input;

namespace CrystalActors.Dft.Tests.Input;

public class PwInputWriterTests
{
    private static readonly DftProtocol SsspAt333 = DftProtocol.Sssp with { KPoints = new KMesh(3, 3, 3) };

    public static TheoryData<string> FirstAttemptRuns => new(
        TestData.ReferenceRuns.Where(r => r.RunName.EndsWith("_A") || r.RunName.EndsWith("_B_fixed")).Select(r => r.RunName));

    public static TheoryData<string> SmearingRuns => new(
        TestData.ReferenceRuns.Where(r => r.RunName.EndsWith("_B_smear")).Select(r => r.RunName));

    private static PwPaths ReferencePaths(string runName) =>
        new(runName, $"./scratch/{runName}", "../shared/pseudo/SSSP_1.3.0_PBE_efficiency");

    [Theory]
    [MemberData(nameof(FirstAttemptRuns))]
    public void Write_ProtocolFirstAttempt_ReproducesTheReferenceInputText(string runName)
    {
        var run = TestData.Run(runName);
        var protocol = run.Protocol == "A" ? DftProtocol.Paper : SsspAt333;
        var p = protocol.Resolve(run.Cell, TestData.Pseudos, out _);
        string text = PwInputWriter.Write(run.Cell, p, TestData.Pseudos, ReferencePaths(runName));
        Assert.Equal(run.InputText, text);
    }

    [Theory]
    [MemberData(nameof(SmearingRuns))]
    public void Write_SpinPolarisedSmearingFix_ReproducesTheReferenceRerun(string runName)
    {
        var run = TestData.Run(runName);
        var first = SsspAt333.Resolve(run.Cell, TestData.Pseudos, out _);
        var fix = new PwErrorHandlers().Propose(DftFailureClass.ChargeWrongSmearingNeeded, first, [], run.Cell,
            TestData.Pseudos.ValenceElectrons(run.Cell));
        Assert.NotNull(fix);
        Assert.Equal(PwErrorHandlers.SpinPolarisedSmearing, fix.Name);
        Assert.Equal(run.InputText, PwInputWriter.Write(run.Cell, fix.Next, TestData.Pseudos, ReferencePaths(runName)));
    }

    [Fact]
    public void Write_SameInputTwice_IsByteIdentical()
    {
        var run = TestData.Run("val_mp-22894_A");
        var p = DftProtocol.Paper.Resolve(run.Cell, TestData.Pseudos, out _);
        var paths = new PwPaths("x", "./out", "/pp");
        Assert.Equal(PwInputWriter.Write(run.Cell, p, TestData.Pseudos, paths), PwInputWriter.Write(run.Cell, p, TestData.Pseudos, paths));
    }

    [Fact]
    public void Write_FixedOccupationsWithNspin2AndNoMoment_IsRejectedBeforeRunning()
    {
        var run = TestData.Run("val_mp-22894_A");
        var p = DftProtocol.Paper.Resolve(run.Cell, TestData.Pseudos, out _) with { Nspin = 2 };
        var e = Assert.Throws<ArgumentException>(() => PwInputWriter.Write(run.Cell, p, TestData.Pseudos, new PwPaths("x", "./out", "/pp")));
        Assert.Contains("tot_magnetization", e.Message);
    }

    [Theory]
    [InlineData(30.0, "30.0")]
    [InlineData(245.0, "245.0")]
    [InlineData(1e-6, "1e-06")]
    [InlineData(1.5e-10, "1.5e-10")]
    [InlineData(0.7, "0.7")]
    [InlineData(0.001, "0.001")]
    [InlineData(126.9, "126.9")]
    [InlineData(0.0001, "0.0001")]
    public void Real_PythonReprStyle(double x, string expected) => Assert.Equal(expected, FortranFormat.Real(x));
}
