using CrystalActors.Dft.Parsing;

namespace CrystalActors.Dft.Tests.Parsing;

public class PwOutputParserTests
{
    public static TheoryData<string> OutputsWithReference => new(
        TestData.ReferenceRuns.Where(r => r.OutputFileName is not null && File.Exists(Path.Combine(TestData.OutputsDir, r.OutputFileName)))
            .Select(r => r.RunName));

    [Theory]
    [MemberData(nameof(OutputsWithReference))]
    public void Parse_EveryReferenceOutput_MatchesReferenceValues(string runName)
    {
        var reference = TestData.Run(runName);
        var o = PwOutputParser.Parse(TestData.Output(runName));

        Assert.Equal(reference.TotalEnergyRy, o.TotalEnergyRy);
        Assert.Equal(reference.Status == "ok", o.Converged);
        Assert.Equal(reference.ScfIterations, o.ScfIterations);
        Assert.Equal(reference.FermiEv, o.FermiEnergyEv);
        Assert.Equal(reference.TotalMagnetization, o.TotalMagnetization);
        if (reference.GapEv is { } rawGap) Assert.Equal(rawGap, o.RawGapEv!.Value, 4);
        if (reference.BandGapEv is { } gap && reference.Status == "ok") Assert.Equal(Math.Max(0, gap), o.BandGapEv!.Value, 4);
    }

    [Fact]
    public void Parse_InsulatorWithGap_ReadsEverything()
    {
        var o = PwOutputParser.Parse(TestData.Output("val_mp-22894_A"));
        Assert.Equal(-1332.07383779, o.TotalEnergyRy);
        Assert.Equal(-1332.07383779 * 13.605693122994, o.TotalEnergyEv!.Value, 6);
        Assert.Equal(4.8426, o.HomoEv);
        Assert.Equal(6.2190, o.LumoEv);
        Assert.Equal(1.3764, o.BandGapEv!.Value, 10);
        Assert.True(o.Converged);
        Assert.True(o.JobDone);
        Assert.Equal(6, o.ScfIterations);
        Assert.Equal(6, o.ScfAccuraciesRy.Count);
        Assert.Equal(35.17, o.WallTimeSeconds);
        Assert.Equal(52.0, o.NumberOfElectrons);
        Assert.Equal(256, o.NumberOfBands);
        Assert.Empty(o.Errors);
        Assert.Null(o.FermiEnergyEv);
    }

    [Fact]
    public void Parse_Summary_ReadsTheInputAsPwxEchoedIt()
    {
        var echo = PwOutputParser.Parse(TestData.Output("val_mp-22894_A")).InputEcho;
        Assert.Equal(4, echo.NumberOfAtoms);
        Assert.Equal(["Ag", "I"], echo.SpeciesLabels);
        Assert.Equal(8.901714, echo.AlatBohr!.Value.Value); // celldm(1), which refines 'lattice parameter (alat) = 8.9017'
        Assert.Equal(1e-6, echo.AlatBohr.Value.Step, 12);
        Assert.Equal(-1.616306, echo.AxesAlat[2][2].Value);
        Assert.Equal(1e-6, echo.AxesAlat[2][2].Step, 12);
        Assert.Equal(["Ag", "Ag", "I", "I"], echo.Sites.Select(s => s.Label));
        Assert.Equal([-0.5000001, 0.2886752, -0.1944723], echo.Sites[3].TauAlat.Select(t => t.Value));
        Assert.Equal(1e-7, echo.Sites[3].TauAlat[0].Step, 12);
    }

    [Fact]
    public void Parse_CelldmDisagreeingWithTheAlatLine_KeepsTheAlatLine()
    {
        var o = PwOutputParser.Parse(TestData.Output("val_mp-22894_A").Replace("celldm(1)=   8.901714", "celldm(1)=   8.991714"));
        Assert.Equal(8.9017, o.InputEcho.AlatBohr!.Value.Value);
        Assert.Equal(1e-4, o.InputEcho.AlatBohr.Value.Step, 12);
    }

    [Fact]
    public void Parse_OverflowedAndNaNFields_ReadAsNaNWithAWarning()
    {
        string text = TestData.Output("val_mp-22894_A")
            .Replace("=   -1332.07383779 Ry", "=*****************  Ry")
            .Replace("number of atoms/cell      =            4", "number of atoms/cell      = ************");
        var o = PwOutputParser.Parse(text);
        Assert.True(double.IsNaN(o.TotalEnergyRy!.Value));
        Assert.Null(o.InputEcho.NumberOfAtoms);
        Assert.Contains(o.Warnings, w => w.Contains("not a finite number"));
        Assert.Contains(o.Warnings, w => w.Contains("number of atoms"));
    }

    [Fact]
    public void Parse_ChargeIsWrong_ReadsTheErrorBlockOnce()
    {
        var o = PwOutputParser.Parse(TestData.Output("val_mp-1186119_A"));
        var e = Assert.Single(o.Errors);
        Assert.Equal("electrons", e.Routine);
        Assert.Equal(1, e.Code);
        Assert.Equal("charge is wrong: smearing is needed", e.Message);
        Assert.Null(o.TotalEnergyRy);
        Assert.False(o.Converged);
        Assert.False(o.JobDone);
        Assert.Equal(1, o.ScfIterations);
        Assert.Equal(57.0, o.NumberOfElectrons);
    }

    [Fact]
    public void Parse_SpinPolarisedSmearing_ReadsBothSpinChannelsAndCallsItAMetal()
    {
        var o = PwOutputParser.Parse(TestData.Output("val_mp-1186119_B_smear"));
        Assert.Equal(12.5323, o.FermiEnergyEv);
        Assert.Equal(-724.06071044, o.TotalEnergyRy);
        Assert.Equal(-0.11, o.TotalMagnetization);
        Assert.Equal(0.11, o.AbsoluteMagnetization);
        Assert.Equal(2, o.EigenvaluesEv.Count);
        Assert.All(o.EigenvaluesEv, spin => Assert.Equal(10, spin.Count));
        Assert.All(o.EigenvaluesEv.SelectMany(s => s), k => Assert.Equal(35, k.Count));
        Assert.Equal(-71.3895, o.EigenvaluesEv[0][0][0]);
        Assert.Equal(19.6003, o.EigenvaluesEv[1][0][34]);
        Assert.Equal(0.0, o.BandGapEv);
        Assert.Equal(17.27, o.WallTimeSeconds);
    }

    [Fact]
    public void Parse_KilledAtWallTime_HasNoEnergyButCountsIterations()
    {
        var o = PwOutputParser.Parse(TestData.Output("val_mp-753001_A"));
        Assert.Null(o.TotalEnergyRy);
        Assert.False(o.Converged);
        Assert.False(o.JobDone);
        Assert.Equal(11, o.ScfIterations);
        Assert.Equal(0.00212338, o.ScfAccuraciesRy[^1]);
    }

    [Fact]
    public void Parse_ThousandIterations_CountsLinesPastTheThreeDigitOverflow()
    {
        var o = PwOutputParser.Parse(TestData.Output("val_mp-1217106_B_fixed"));
        Assert.True(o.ConvergenceNotAchieved);
        Assert.False(o.Converged);
        Assert.Null(o.TotalEnergyRy);
        Assert.Equal(1000, o.ScfIterations);
        Assert.Equal(1000, o.ScfAccuraciesRy.Count);
        Assert.Equal(243.49, o.WallTimeSeconds!.Value, 6);
    }

    [Theory]
    [InlineData("val_mp-22894_A")]
    [InlineData("val_mp-1186119_B_smear")]
    [InlineData("val_mp-1217106_B_fixed")]
    public void Parse_TruncatedAnywhere_NeverThrowsAndNeverInventsAnEnergy(string runName)
    {
        string full = TestData.Output(runName);
        var complete = PwOutputParser.Parse(full);
        int bang = full.IndexOf("\n!", StringComparison.Ordinal);
        for (int cut = 0; cut < full.Length; cut += Math.Max(1, full.Length / 97))
        {
            var o = PwOutputParser.Parse(full[..cut]);
            if (bang < 0 || cut <= bang + 60)
                Assert.True(o.TotalEnergyRy is null || o.TotalEnergyRy == complete.TotalEnergyRy, $"cut {cut}: {o.TotalEnergyRy}");
            Assert.True(o.ScfIterations <= complete.ScfIterations, $"cut {cut}: {o.ScfIterations} iterations");
            Assert.False(o.Converged && o.TotalEnergyRy != complete.TotalEnergyRy);
        }
    }

    [Fact]
    public void Parse_CutInsideTheEnergyLine_IgnoresTheTornNumber()
    {
        string full = TestData.Output("val_mp-22894_A");
        int at = full.IndexOf("-1332.07383779 Ry", StringComparison.Ordinal);
        var o = PwOutputParser.Parse(full[..(at + 8)]); // '!    total energy = -1332.07'
        Assert.Null(o.TotalEnergyRy);
        Assert.Contains(o.Warnings, w => w.Contains("unterminated"));
    }

    [Fact]
    public void Parse_WholeOutputDuplicated_GivesTheSameAnswer()
    {
        string full = TestData.Output("val_mp-1186119_B_smear");
        var once = PwOutputParser.Parse(full);
        var twice = PwOutputParser.Parse(full + full);
        Assert.Equal(once.TotalEnergyRy, twice.TotalEnergyRy);
        Assert.Equal(once.ScfIterations, twice.ScfIterations);
        Assert.Equal(once.FermiEnergyEv, twice.FermiEnergyEv);
        Assert.Equal(once.EigenvaluesEv.Count, twice.EigenvaluesEv.Count);
        Assert.Equal(once.BandGapEv, twice.BandGapEv);
    }

    [Fact]
    public void Parse_DuplicatedIterationBlockAndInterleavedNoise_KeepsTheIterationCount()
    {
        string full = TestData.Output("val_mp-22894_A");
        var lines = full.Split('\n').ToList();
        int i3 = lines.FindIndex(l => l.Contains("iteration #  3"));
        int i4 = lines.FindIndex(l => l.Contains("iteration #  4"));
        var block = lines.GetRange(i3, i4 - i3);
        lines.InsertRange(i4, block); // iteration 3 printed twice (a re-sent buffer)
        lines.Insert(i3 + 2, "Note: The following floating-point exceptions are signalling: IEEE_UNDERFLOW_FLAG");
        lines.Insert(10, "[vm:13740] 1 more process has sent help message help-mpi-api.txt / mpi-abort");
        var o = PwOutputParser.Parse(string.Join('\n', lines));
        Assert.Equal(6, o.ScfIterations);
        Assert.Equal(6, o.ScfAccuraciesRy.Count);
        Assert.Equal(-1332.07383779, o.TotalEnergyRy);
        Assert.Equal(1.3764, o.BandGapEv!.Value, 10);
    }

    /// <summary>Issue #19: "iteration #   0" and a band count beyond int made a good result a setup error or ended the run.</summary>
    [Fact]
    public void Parse_DamagedIterationAndBandLines_NeverThrowAndKeepTheResult()
    {
        var good = PwOutputParser.Parse(TestData.Output("val_mp-22894_A"));
        var text = TestData.Output("val_mp-22894_A")
            .Replace("iteration #  2 ", "iteration #  0 ")
            .Replace("number of Kohn-Sham states=          256", "number of Kohn-Sham states= 99999999999999999999");
        var o = PwOutputParser.Parse(text);
        Assert.Equal(good.TotalEnergyRy, o.TotalEnergyRy);
        Assert.Equal(good.BandGapEv, o.BandGapEv);
        Assert.True(o.Converged);
        Assert.Null(o.NumberOfBands);
        Assert.Contains(o.Warnings, w => w.Contains("number of bands"));
        Assert.Equal(good.ScfIterations, o.ScfIterations); // taken from "convergence has been achieved in N iterations"
    }

    [Fact]
    public void Parse_CrashFileOnly_ReadsTheError()
    {
        const string crash = """
             %%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%
                 task #         1
                 from cdiaghg : error #        14
                 S matrix not positive definite
             %%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%
            """;
        var o = PwOutputParser.Parse("", crash);
        var e = Assert.Single(o.Errors);
        Assert.Equal("cdiaghg", e.Routine);
        Assert.Equal(14, e.Code);
        Assert.Equal("S matrix not positive definite", e.Message);
    }

    [Theory]
    [InlineData("     35.17s", 35.17)]
    [InlineData("   4m 3.49s", 243.49)]
    [InlineData("  1h23m", 4980)]
    [InlineData(" 12m20.00s", 740)]
    public void ParseClock_PwFormats_GivesSeconds(string clock, double seconds) =>
        Assert.Equal(seconds, PwOutputParser.ParseClock(clock)!.Value, 6);
}
