using CrystalActors.Dft.Input;

namespace CrystalActors.Dft.Tests.Input;

/// <summary>Issue #19: every value of a job's settings is checked before a pw.x input is written.</summary>
public class PwParametersLimitsTests
{
    private static readonly PwParameters Good = new() { EcutWfcRy = 30, EcutRhoRy = 240, KPoints = new KMesh(4, 4, 4) };

    public static TheoryData<string, PwParameters> Bad => new()
    {
        { "Smearing", Good with { Occupations = "smearing", Smearing = "gaussian'\n  nat = 999", DegaussRy = 0.01 } },
        { "EcutWfcRy", Good with { EcutWfcRy = 1e6, EcutRhoRy = 4e6 } },
        { "EcutRhoRy", Good with { EcutRhoRy = 1e5 } },
        { "KPoints", Good with { KPoints = new KMesh(1000, 1000, 1000) } },
        { "KPoints", Good with { KPoints = new KMesh(0, 4, 4) } },
        { "Nbnd", Good with { Nbnd = 1_000_000 } },
        { "DegaussRy", Good with { Occupations = "smearing", Smearing = "gaussian", DegaussRy = 5 } },
        { "ConvThr", Good with { ConvThr = double.NaN } },
        { "ElectronMaxstep", Good with { ElectronMaxstep = 10_000_000 } },
    };

    [Theory]
    [MemberData(nameof(Bad))]
    public void OutOfRangeOrUnknownValues_AreRefusedNamingTheSetting(string setting, PwParameters p)
    {
        var e = Assert.ThrowsAny<ArgumentException>(p.Validate);
        Assert.Contains(setting, e.Message);
    }

    [Fact]
    public void TheUsualSettings_PassAndEverySmearingNamePwxKnowsIsAccepted()
    {
        Good.Validate();
        foreach (var name in PwParameters.SmearingNames)
            (Good with { Occupations = "smearing", Smearing = name, DegaussRy = 0.01 }).Validate();
    }
}
