using CrystalActors.Dft.Handlers;
using CrystalActors.Dft.Input;

namespace CrystalActors.Dft.Tests.Handlers;

public class PwErrorHandlersTests
{
    private static readonly DftCell Cell = TestData.Run("val_mp-22894_A").Cell;
    private static PwParameters Fixed => new() { EcutWfcRy = 30, EcutRhoRy = 245, Nbnd = 40, KPoints = new KMesh(3, 3, 3) };
    private readonly PwErrorHandlers _handlers = new();

    [Fact]
    public void Propose_ChargeWrong_SwitchesToSpinPolarisedGaussianSmearing()
    {
        var fix = _handlers.Propose(DftFailureClass.ChargeWrongSmearingNeeded, Fixed, [], Cell, 57)!;
        Assert.Equal(PwErrorHandlers.SpinPolarisedSmearing, fix.Name);
        Assert.Equal(2, fix.Next.Nspin);
        Assert.Equal(0.5, fix.Next.StartingMagnetization);
        Assert.Equal("smearing", fix.Next.Occupations);
        Assert.Equal("gaussian", fix.Next.Smearing);
        Assert.Equal(0.001, fix.Next.DegaussRy);
        fix.Next.Validate();
    }

    [Fact]
    public void Propose_SymmetryError_TurnsSymmetryOffOnce()
    {
        var fix = _handlers.Propose(DftFailureClass.SymmetryError, Fixed, [], Cell, 57)!;
        Assert.Equal(PwErrorHandlers.NoSymmetry, fix.Name);
        Assert.True(fix.Next.NoSymmetry);
        Assert.Null(_handlers.Propose(DftFailureClass.SymmetryError, fix.Next, [fix.Name], Cell, 57));
    }

    [Fact]
    public void Propose_NotConvergedLadder_SmearThenColdThenBoundedMixing()
    {
        var p = Fixed;
        var applied = new List<string>();
        var names = new List<string>();
        var betas = new List<double>();
        for (int i = 0; i < 10; i++)
        {
            var fix = _handlers.Propose(DftFailureClass.ScfNotConverged, p, applied, Cell, 52);
            if (fix is null) break;
            names.Add(fix.Name);
            applied.Add(fix.Name);
            p = fix.Next;
            betas.Add(p.MixingBeta);
        }
        Assert.Equal([PwErrorHandlers.SpinPolarisedSmearing, PwErrorHandlers.ColdSmearing,
            PwErrorHandlers.ReduceMixingBeta, PwErrorHandlers.ReduceMixingBeta, PwErrorHandlers.ReduceMixingBeta], names);
        Assert.Equal("marzari-vanderbilt", p.Smearing);
        Assert.Equal(0.02, p.DegaussRy);
        Assert.Equal(0.7 * 0.8 * 0.8 * 0.8, p.MixingBeta, 6);
    }

    [Fact]
    public void Propose_MixingBeta_NeverBelowTheFloor()
    {
        var h = new PwErrorHandlers(new PwHandlerOptions { MinMixingBeta = 0.5, MaxMixingBetaReductions = 10 });
        var p = Fixed with { Occupations = "smearing", Smearing = "marzari-vanderbilt", DegaussRy = 0.02, MixingBeta = 0.55 };
        var fix = h.Propose(DftFailureClass.ScfStagnated, p, [], Cell, 52)!;
        Assert.Equal(0.5, fix.Next.MixingBeta);
        Assert.Null(h.Propose(DftFailureClass.ScfStagnated, fix.Next, [fix.Name], Cell, 52));
    }

    [Fact]
    public void Propose_DiagonalizationFailures_CycleDavidPpcgCgThenGiveUp()
    {
        var p = Fixed;
        var seen = new List<string> { p.Diagonalization };
        while (_handlers.Propose(DftFailureClass.DiagonalizationFailure, p, [], Cell, 52) is { } fix)
        {
            p = fix.Next;
            seen.Add(p.Diagonalization);
        }
        Assert.Equal(["david", "ppcg", "cg"], seen);
    }

    [Fact]
    public void Propose_TooFewBands_GrowsNbndBounded()
    {
        var fix = _handlers.Propose(DftFailureClass.TooFewBands, Fixed, [], Cell, 52)!;
        Assert.Equal(52, fix.Next.Nbnd); // ceil(40 x 1.3)
        Assert.Null(_handlers.Propose(DftFailureClass.TooFewBands, fix.Next, [PwErrorHandlers.MoreBands, PwErrorHandlers.MoreBands], Cell, 52));
    }

    [Fact]
    public void Propose_TooManyBands_LowersToTheBasisButKeepsOccupiedBands()
    {
        var tiny = new DftCell([[0, 2.715, 2.715], [2.715, 0, 2.715], [2.715, 2.715, 0]], ["Si", "Si"], [[0, 0, 0], [0.25, 0.25, 0.25]]);
        var p = Fixed with { EcutWfcRy = 10, EcutRhoRy = 80, Nbnd = 256 };
        var fix = _handlers.Propose(DftFailureClass.TooManyBands, p, [], tiny, 8)!;
        Assert.Equal(PlaneWaveBasis.MaxBands(tiny, 10, "david"), fix.Next.Nbnd);
        Assert.True(fix.Next.Nbnd > 4);
    }

    [Theory]
    [InlineData(DftFailureClass.WallTimeExceeded)]
    [InlineData(DftFailureClass.Cancelled)]
    [InlineData(DftFailureClass.InputError)]
    public void Propose_UnfixableClasses_ReturnNull(DftFailureClass cls) =>
        Assert.Null(_handlers.Propose(cls, Fixed, [], Cell, 52));

    [Fact]
    public void Propose_CrashWithoutMessage_RetriesOnceUnchanged()
    {
        var fix = _handlers.Propose(DftFailureClass.Unknown, Fixed, [], Cell, 52)!;
        Assert.Equal(PwErrorHandlers.RetryUnchanged, fix.Name);
        Assert.Equal(Fixed, fix.Next);
        Assert.Null(_handlers.Propose(DftFailureClass.Unknown, fix.Next, [fix.Name], Cell, 52));
    }
}
