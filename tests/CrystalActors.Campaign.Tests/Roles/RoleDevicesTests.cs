using CrystalActors.Learning.Dqn;
using CrystalActors.Campaign.Roles;
using CrystalActors.Torch;

namespace CrystalActors.Campaign.Tests.Roles;

public class RoleDevicesTests
{
    private static readonly CampaignOptions AllCuda = new()
    {
        Dqn = new DqnOptions { Device = "cuda" }, OfflineCql = new OfflineOptions { Device = "cuda" },
        RewardModel = new RewardModelOptions { Device = "cuda" }, Relax = new RelaxOptions { Device = "cuda" },
    };

    [Fact]
    public void ANodeWithoutTheRoles_NeverResolvesTheirDevices()
    {
        // A CPU node of a heterogeneous allocation reads the same config as the GPU node; "cuda" for the learner must
        // not stop it from starting its rollout generators and DFT workers.
        var devices = RoleDevices.Resolve(AllCuda, role => role is "rollout" or "dft-worker");
        Assert.Equal(RoleDevices.Cpu, devices);
    }

    [Fact]
    public void Auto_IsCudaOnlyWhereLibtorchHasIt()
    {
        var devices = RoleDevices.Resolve(new CampaignOptions(), _ => true);
        var expected = Torch.Torch.CudaIsAvailable ? DeviceType.CUDA : DeviceType.CPU;
        Assert.All(new[] { devices.Learner, devices.OfflineCql, devices.RewardModel, devices.Relaxer }, d => Assert.Equal(expected, d.Type));
    }

    [Theory]
    [InlineData("learner", "dqn.device")]
    [InlineData("offline-cql", "offline_cql.device")]
    [InlineData("fine-tuner", "reward_model.device")]
    [InlineData("reward-model", "reward_model.device")]
    [InlineData("relaxer", "relax.device")]
    public void CudaOnACpuOnlyNode_FailsTheStartNamingTheKey(string role, string key)
    {
        if (Torch.Torch.CudaIsAvailable)
        {
            Assert.NotEqual(RoleDevices.Cpu, RoleDevices.Resolve(AllCuda, r => r == role));
            return;
        }
        var e = Assert.Throws<ArgumentException>(() => RoleDevices.Resolve(AllCuda, r => r == role));
        Assert.StartsWith($"{key}: 'cuda' asks for CUDA", e.Message);
    }
}
