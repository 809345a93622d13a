using CrystalActors.Tests.Shared;
using System.Text.Json;
using CrystalActors.Runtime.Farming;

namespace CrystalActors.Runtime.Tests.Farming;

public class SiliconPwExecutorTests
{
    private static SiliconPwExecutor Executor() => new(new PwExecutorOptions
    {
        PseudoDir = Path.Combine(TestEnvironment.SharedDir, "pseudo", "SSSP_1.3.0_PBE_efficiency"),
    });

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"a\": \"x\"}")]
    [InlineData("{\"a\": 12.0}")]
    [InlineData("not json")]
    public void Validate_BadPayload_ThrowsJobPayloadException(string payload) =>
        Assert.Throws<JobPayloadException>(() => new SiliconPwExecutor(new PwExecutorOptions()).Validate(payload));

    [Fact]
    public void InputFor_LatticeConstant_ConvertsAngstromToBohr()
    {
        var text = new SiliconPwExecutor(new PwExecutorOptions { PseudoDir = "/p" }).InputFor(new SiliconPwExecutor.Payload(5.43, 20, 2));
        Assert.Contains("celldm(1) = 10.261213", text); // 5.43 Å / 0.529177 Å per bohr = 10.2612 bohr
        Assert.Contains("ecutwfc = 20.0, ecutrho = 160.0", text);
        Assert.Contains("2 2 2 0 0 0", text);
    }

    [PwFact]
    public async Task ExecuteAsync_SiliconNearEquilibrium_LowerEnergyThanCompressedAndSmallGap()
    {
        var ex = Executor();
        var near = JsonDocument.Parse((await ex.ExecuteAsync("{\"a\": 5.45}", CancellationToken.None)).ResultJson).RootElement;
        var squeezed = JsonDocument.Parse((await ex.ExecuteAsync("{\"a\": 5.05}", CancellationToken.None)).ResultJson).RootElement;
        // pslibrary Si with 20 Ry, 2x2x2: about -22.65 Ry per 2-atom cell (measured by hand with pw.x 6.7).
        Assert.InRange(near.GetProperty("total_energy_ry").GetDouble(), -22.70, -22.60);
        Assert.True(near.GetProperty("total_energy_ry").GetDouble() < squeezed.GetProperty("total_energy_ry").GetDouble());
        var gap = near.GetProperty("lumo_ev").GetDouble() - near.GetProperty("homo_ev").GetDouble();
        Assert.InRange(gap, 0.2, 1.5); // PBE Si on a coarse mesh: a small positive gap
    }
}
