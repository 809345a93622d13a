using CrystalActors.Dft.Handlers;
using CrystalActors.Dft.Input;
using CrystalActors.Dft.Parsing;

namespace CrystalActors.Dft.Tests.Handlers;

public class PwErrorClassifierTests
{
    private static PwParameters Fixed => new() { EcutWfcRy = 30, EcutRhoRy = 245, KPoints = new KMesh(3, 3, 3) };
    private static PwParameters Smearing => Fixed with { Nspin = 2, Occupations = "smearing", Smearing = "gaussian", DegaussRy = 0.001, StartingMagnetization = 0.5 };

    /// <summary>For outputs that stop before pw.x's summary, which therefore repeat no input to check.</summary>
    private static DftCell AnyCell => new([[3, 0, 0], [0, 3, 0], [0, 0, 3]], ["Si"], [[0, 0, 0]]);

    private static DftCell CellOf(string runName) => TestData.RunOf(runName).Cell;

    [Theory]
    [InlineData("val_mp-22894_A", PwTermination.Exited, 0, DftFailureClass.None)]
    [InlineData("val_mp-1186119_A", PwTermination.Exited, 1, DftFailureClass.ChargeWrongSmearingNeeded)]
    [InlineData("val_mp-1217106_B_fixed", PwTermination.Exited, 2, DftFailureClass.ScfNotConverged)]
    [InlineData("val_mp-753001_A", PwTermination.WallTime, null, DftFailureClass.WallTimeExceeded)]
    [InlineData("val_mp-864640_A", PwTermination.WallTime, null, DftFailureClass.WallTimeExceeded)]
    public void Classify_ReferenceOutputs_GivesTheirClass(string runName, PwTermination how, int? exit, DftFailureClass expected)
    {
        var o = PwOutputParser.Parse(TestData.Output(runName));
        Assert.Equal(expected, PwErrorClassifier.Classify(o, CellOf(runName), how, exit, Fixed).Class);
    }

    [Fact]
    public void Classify_SmearingRunOfAMetal_IsASuccess()
    {
        var o = PwOutputParser.Parse(TestData.Output("val_mp-1186119_B_smear"));
        Assert.Equal(DftFailureClass.None, PwErrorClassifier.Classify(o, CellOf("val_mp-1186119_B_smear"), PwTermination.Exited, 0, Smearing).Class);
    }

    [Fact]
    public void Classify_TruncatedOutputWithoutKill_IsUnknownNotSuccess()
    {
        var o = PwOutputParser.Parse(TestData.Output("val_mp-753001_A"));
        var d = PwErrorClassifier.Classify(o, CellOf("val_mp-753001_A"), PwTermination.Exited, 137, Fixed);
        Assert.Equal(DftFailureClass.Unknown, d.Class);
        Assert.Contains("137", d.Detail);
    }

    [Fact]
    public void Classify_KilledInsideThePositionsTable_IsUnknownNotAMismatch()
    {
        string full = TestData.Output("val_mp-22894_A");
        int cut = full.IndexOf("tau(   3)", StringComparison.Ordinal);
        var o = PwOutputParser.Parse(full[..full.LastIndexOf('\n', cut)] + "\n");
        Assert.Empty(o.InputEcho.Sites);
        Assert.Contains(o.Warnings, w => w.Contains("cut off"));
        Assert.Equal(DftFailureClass.Unknown, PwErrorClassifier.Classify(o, CellOf("val_mp-22894_A"), PwTermination.Exited, 137, Fixed).Class);
    }

    [Fact]
    public void Classify_NegativeGapUnderFixedOccupations_IsMetallic()
    {
        // NbH under the paper protocol converged with LUMO 0.78 eV below HOMO (reference gap_ev -0.7806).
        string text = TestData.Output("val_mp-22894_A").Replace("4.8426    6.2190", "6.2190    5.4384");
        var o = PwOutputParser.Parse(text);
        Assert.Equal(0.0, o.BandGapEv);
        Assert.Equal(DftFailureClass.MetallicUnderFixedOccupations, PwErrorClassifier.Classify(o, CellOf("val_mp-22894_A"), PwTermination.Exited, 0, Fixed).Class);
    }

    /// <summary>Issue #19: another crystal's output was accepted as ok.</summary>
    [Fact]
    public void Classify_AnotherCrystalsConvergedOutput_IsOutputMismatchNotSuccess()
    {
        var o = PwOutputParser.Parse(TestData.Output("val_mp-22894_A"));
        var d = PwErrorClassifier.Classify(o, CellOf("val_mp-1186119_B_smear"), PwTermination.Exited, 0, Fixed);
        Assert.Equal(DftFailureClass.OutputMismatch, d.Class);
        Assert.Contains("species", d.Detail);
    }

    [Fact]
    public void Classify_AnotherCrystalsErrorOutput_IsOutputMismatchNotItsError()
    {
        // The charge-is-wrong error belongs to NaCdPd2: under AgI's job it must not trigger the smearing fix.
        var o = PwOutputParser.Parse(TestData.Output("val_mp-1186119_A"));
        Assert.Equal(DftFailureClass.OutputMismatch, PwErrorClassifier.Classify(o, CellOf("val_mp-22894_A"), PwTermination.Exited, 1, Fixed).Class);
    }

    /// <summary>Issue #19: a 1e22 eV gap was accepted as ok.</summary>
    [Theory]
    [InlineData("4.8426    6.2190", "4.8426 10000000000000000000000.0000", "band gap")]
    [InlineData("4.8426    6.2190", "4.8426       NaN", "band gap")]
    [InlineData("-1332.07383779 Ry", "NaN Ry", "total energy")]
    [InlineData("=   -1332.07383779 Ry", "=*****************  Ry", "total energy")]
    [InlineData("=   -1332.07383779 Ry", "=-99999999.00000000 Ry", "per atom")]
    public void Classify_UnphysicalValueInAConvergedOutput_IsUnphysicalResult(string find, string replace, string named)
    {
        string text = TestData.Output("val_mp-22894_A");
        Assert.Contains(find, text);
        var o = PwOutputParser.Parse(text.Replace(find, replace));
        var d = PwErrorClassifier.Classify(o, CellOf("val_mp-22894_A"), PwTermination.Exited, 0, Fixed);
        Assert.Equal(DftFailureClass.UnphysicalResult, d.Class);
        Assert.Contains(named, d.Detail);
    }

    [Fact]
    public void Classify_NaNEigenvalueOfASmearingRun_IsUnphysicalResult()
    {
        string text = TestData.Output("val_mp-1186119_B_smear");
        var o = PwOutputParser.Parse(text.Replace("-71.3895", "     NaN"));
        var d = PwErrorClassifier.Classify(o, CellOf("val_mp-1186119_B_smear"), PwTermination.Exited, 0, Smearing);
        Assert.Equal(DftFailureClass.UnphysicalResult, d.Class);
        Assert.Contains("eigenvalue", d.Detail);
    }

    [Theory]
    [InlineData("cdiaghg", 14, "S matrix not positive definite", DftFailureClass.DiagonalizationFailure)]
    [InlineData("cdiaghg", 71, "problems computing cholesky", DftFailureClass.DiagonalizationFailure)]
    [InlineData("c_bands", 1, "too many bands are not converged", DftFailureClass.DiagonalizationFailure)]
    [InlineData("memory_report", 1, "more bands than PWs!", DftFailureClass.TooManyBands)]
    [InlineData("setup", 1, "too few bands", DftFailureClass.TooFewBands)]
    [InlineData("readpp", 1, "file /x/Fe.upf not found", DftFailureClass.InputError)]
    [InlineData("mystery", 3, "something new", DftFailureClass.Unknown)]
    public void Classify_ErrorMessages_MapToClasses(string routine, int code, string message, DftFailureClass expected)
    {
        string text = $"""

             %%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%
                 Error in routine {routine} ({code}):
                 {message}
             %%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%

            """;
        var o = PwOutputParser.Parse(text);
        Assert.Equal(expected, PwErrorClassifier.Classify(o, AnyCell, PwTermination.Exited, 1, Fixed).Class);
    }

    [Fact]
    public void Classify_MonitorStop_IsStagnationWithItsReason()
    {
        var o = PwOutputParser.Parse("");
        var d = PwErrorClassifier.Classify(o, AnyCell, PwTermination.MonitorStopped, null, Fixed, "flat");
        Assert.Equal(DftFailureClass.ScfStagnated, d.Class);
        Assert.Equal("flat", d.Detail);
    }

    [Fact]
    public void Classify_DMatrixError_IsASymmetryError()
    {
        // As pw.x 6.7 printed it for a relaxed 3-site design in the campaign smoke run.
        const string text = """
             Program PWSCF v.6.7MaX starts on  7Dec2026 at  1: 7:53

             %%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%
                 Error in routine d_matrix (2):
                 D_S (l=2) for this symmetry operation is not orthogonal
             %%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%

             stopping ...
            """;
        var o = CrystalActors.Dft.Parsing.PwOutputParser.Parse(text);
        Assert.Equal(DftFailureClass.SymmetryError, PwErrorClassifier.Classify(o, AnyCell, PwTermination.Exited, 1, Fixed).Class);
    }
}
