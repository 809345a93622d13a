using CrystalActors.Dft.Input;

namespace CrystalActors.Dft.Tests.Input;

public class DftProtocolTests
{
    private static DftCell SiliconPrimitive(double a = 5.43) => new(
        [[0, a / 2, a / 2], [a / 2, 0, a / 2], [a / 2, a / 2, 0]], ["Si", "Si"], [[0, 0, 0], [0.25, 0.25, 0.25]]);

    [Fact]
    public void CountAtGamma_SiliconAt10Ry_MatchesPwx()
    {
        // pw.x 6.7 printed 'k = 0.0000 0.0000 0.0000 (   137 PWs)' for this cell and cutoff.
        Assert.Equal(137, PlaneWaveBasis.CountAtGamma(SiliconPrimitive(), 10));
    }

    [Fact]
    public void CountAtGamma_BeyondTheEnumerationLimit_IsTheCutoffSphereOverTheReciprocalCell()
    {
        // A 17.5 Å cubic cell: at 650 Ry the ~10⁷ plane waves are still enumerated, at 680 Ry the 2·10⁷-point box is
        // exceeded and the sphere's volume counts them; it agrees with the exact count to well under 1 %.
        const double a = 17.5, bohr = 0.529177210903;
        var cubic = new DftCell([[a, 0, 0], [0, a, 0], [0, 0, a]], ["Si"], [[0, 0, 0]]);
        static double Sphere(double ecut) => Math.Pow(a / bohr, 3) * Math.Pow(ecut, 1.5) / (6 * Math.PI * Math.PI);
        Assert.InRange(PlaneWaveBasis.CountAtGamma(cubic, 650) / Sphere(650), 0.995, 1.005);
        Assert.Equal((int)Sphere(680), PlaneWaveBasis.CountAtGamma(cubic, 680));
        // A job payload's 10⁹ Ry: answered at once (it used to count for hours before the range check refused it).
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(int.MaxValue, PlaneWaveBasis.CountAtGamma(SiliconPrimitive(), 1e9));
        Assert.True(sw.Elapsed.TotalSeconds < 1);
    }

    [Fact]
    public void MaxBands_SiliconAt10Ry_BelowWhatPwxRejected()
    {
        // pw.x ran nbnd 60 and failed at 66, 70 (S matrix) and 74 ('more bands than PWs!') with Davidson.
        int max = PlaneWaveBasis.MaxBands(SiliconPrimitive(), 10, "david");
        Assert.InRange(max, 50, 60);
        Assert.InRange(PlaneWaveBasis.MaxBands(SiliconPrimitive(), 10, "cg"), 2 * max, 2 * max + 1);
    }

    [Fact]
    public void Resolve_PaperOnATinyCell_LowersNbndToTheBasis()
    {
        var tiny = DftProtocol.Paper with { EcutWfcRy = 12, EcutRhoRy = 96 };
        var q = tiny.Resolve(SiliconPrimitive(), TestData.Pseudos, out var note);
        Assert.Equal(PlaneWaveBasis.MaxBands(SiliconPrimitive(), 12, "david"), q.Nbnd);
        Assert.NotNull(note);
        Assert.Contains("nbnd lowered from 256", note);
    }

    [Fact]
    public void Resolve_Sssp_UsesLargestCutoffAndElectronCountBands()
    {
        var run = TestData.Run("val_mp-22894_B_fixed"); // AgI: SSSP Ag 50/200 Ry, I 35/280 Ry
        var p = DftProtocol.Sssp.Resolve(run.Cell, TestData.Pseudos, out _);
        Assert.Equal(50, p.EcutWfcRy);
        Assert.Equal(280, p.EcutRhoRy);
        Assert.Equal(52, TestData.Pseudos.ValenceElectrons(run.Cell));
        Assert.Equal(32, p.Nbnd); // max(ceil(26 x 1.2), 26 + 4)
    }

    [Fact]
    public void KMeshFromSpacing_Silicon_FollowsReciprocalLengths()
    {
        // |b| = 2π √3 / a = 2.004 1/Å for a = 5.43 Å: ceil(2.004 / 0.5) = 5.
        Assert.Equal(new KMesh(5, 5, 5), DftProtocol.KMeshFromSpacing(SiliconPrimitive(), 0.5));
        Assert.Equal(new KMesh(9, 9, 9), DftProtocol.KMeshFromSpacing(SiliconPrimitive(), 0.25));
    }

    [Fact]
    public void Hash_ChangesWithAnyField()
    {
        Assert.NotEqual(DftProtocol.Paper.Hash, DftProtocol.Sssp.Hash);
        Assert.NotEqual(DftProtocol.Paper.Hash, (DftProtocol.Paper with { MixingBeta = 0.3 }).Hash);
        Assert.Equal(DftProtocol.Paper.Hash, (DftProtocol.Paper with { }).Hash);
    }

    [Fact]
    public void ByName_Unknown_ListsValidNames()
    {
        var e = Assert.Throws<ArgumentException>(() => DftProtocol.ByName("fast"));
        Assert.Contains("paper, sssp", e.Message);
    }

    [Fact]
    public void Library_MissingElement_NamesIt()
    {
        var e = Assert.Throws<KeyNotFoundException>(() => TestData.Pseudos.Get("Xx"));
        Assert.Contains("'Xx'", e.Message);
    }
}
