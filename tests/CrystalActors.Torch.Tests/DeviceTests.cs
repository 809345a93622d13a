using CrystalActors.Tests.Shared;

namespace CrystalActors.Torch.Tests;

public class DeviceTests
{
    [Theory]
    [InlineData("cpu", true)]
    [InlineData(" CUDA ", true)]
    [InlineData("cuda:1", true)]
    [InlineData("auto", true)]
    [InlineData("gpu", false)]
    [InlineData("cuda:-1", false)]
    [InlineData("cuda:x", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsValidName_AcceptsWhatParseAccepts(string? name, bool valid)
    {
        Assert.Equal(valid, Device.IsValidName(name));
        if (valid) Device.Parse(name!); // no exception
    }

    [Fact]
    public void Resolve_Auto_IsCudaExactlyWhenLibtorchHasIt()
    {
        var d = Device.Resolve("auto", "dqn.device");
        Assert.Equal(Torch.CudaIsAvailable ? DeviceType.CUDA : DeviceType.CPU, d.Type);
    }

    [Fact]
    public void Resolve_CudaWithoutCuda_IsAnErrorNamingTheSetting()
    {
        if (Torch.CudaIsAvailable)
        {
            Assert.Equal(Device.Cuda(), Device.Resolve("cuda", "dqn.device"));
            var tooHigh = Assert.Throws<ArgumentException>(() => Device.Resolve($"cuda:{Torch.CudaDeviceCount}", "relax.device"));
            Assert.StartsWith("relax.device:", tooHigh.Message);
            return;
        }
        var e = Assert.Throws<ArgumentException>(() => Device.Resolve("cuda", "dqn.device"));
        Assert.StartsWith("dqn.device: 'cuda' asks for CUDA", e.Message);
        Assert.Contains("TORCH_PREFIX", e.Message);
        Assert.Equal(Device.CPU, Device.Resolve("cpu", "dqn.device"));
    }

    [Fact]
    public void Resolve_Misspelt_NamesTheSettingAndTheChoices()
    {
        var e = Assert.Throws<ArgumentException>(() => Device.Resolve("gpu", "relax.device"));
        Assert.Equal("relax.device: 'gpu' is not a device; valid: cpu, cuda, cuda:N, auto", e.Message);
    }

    [CudaFact]
    public void Cuda_MatmulAndAutogradMatchTheCpu()
    {
        using var scope = DisposeScope.Open();
        var a = Tensor.From(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var b = Tensor.From(new float[] { 0.5f, -1, 2, 0, 1, 1 }, 3, 2);
        var onGpu = a.To(Device.Cuda()).MatMul(b.To(Device.Cuda()));
        Assert.Equal(DeviceType.CUDA, onGpu.Device.Type);
        Assert.Equal(a.MatMul(b).ToArray<float>(), onGpu.ToArray<float>());

        var x = Tensor.From(new float[] { 1, -2, 3 }).To(Device.Cuda());
        x.RequiresGrad = true;
        var y = (x * x).Sum();
        y.Backward();
        Assert.Equal(new float[] { 2, -4, 6 }, x.Grad!.ToArray<float>());
    }
}
