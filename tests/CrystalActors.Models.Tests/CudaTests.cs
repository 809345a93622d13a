using CrystalActors.Models.M3gnet;
using CrystalActors.Models.Megnet;
using CrystalActors.Models.Reward;
using CrystalActors.Models.Tests.Megnet;
using CrystalActors.Tests.Shared;
using CrystalActors.Torch;

namespace CrystalActors.Models.Tests;

/// <summary>
/// The GPU roles (reward model, fine-tuner, relaxer) give the CPU's numbers on CUDA, to float32 summation-order
/// tolerance. Skipped with the reason where libtorch has no CUDA.
/// </summary>
public class CudaTests
{
    [CudaFact]
    public void BandGapModel_OnCuda_PredictsTheCpuGaps()
    {
        using var cpu = BandGapModel.Load(MegnetTestData.WeightsPath);
        using var gpu = BandGapModel.Load(MegnetTestData.WeightsPath, Device.Cuda());
        Assert.Equal(DeviceType.CUDA, gpu.Device.Type);
        var structures = MegnetTestData.Crystals.Take(24).Select(c => c.Structure).ToList();
        var a = cpu.Predict(structures).RawEv;
        var b = gpu.Predict(structures, batchSize: 8).RawEv;
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 1e-4);
    }

    [CudaFact]
    public void FineTuner_OnCuda_FollowsTheCpuLossCurve()
    {
        var samples = MegnetTestData.Crystals.Skip(20).Take(8)
            .Select(c => new RewardSample(c.Structure, c.MpBandGapEv + 0.5, c.MaterialId)).ToList();
        var options = new FineTuneOptions { Steps = 5, LearningRate = 1e-3, Seed = 1 };
        using var cpuParent = BandGapModel.Load(MegnetTestData.WeightsPath);
        using var gpuParent = BandGapModel.Load(MegnetTestData.WeightsPath, Device.Cuda());
        var onCpu = new RewardModelFineTuner(options).FineTune(cpuParent, samples);
        var onGpu = new RewardModelFineTuner(options).FineTune(gpuParent, samples);
        using var a = onCpu.Model;
        using var b = onGpu.Model;
        Assert.Equal(DeviceType.CUDA, b.Device.Type);
        for (int i = 0; i < options.Steps; i++) Assert.Equal(onCpu.Losses[i], onGpu.Losses[i], 1e-3 * Math.Max(1, onCpu.Losses[i]));
    }

    [CudaFact]
    public void M3gnet_OnCuda_GivesTheCpuEnergiesForcesAndStresses()
    {
        var structures = M3gnetTestData.AllCases().Take(6).Select(c => M3gnetTestData.ParseStructure(c.Case.GetProperty("structure"))).ToArray();
        var path = M3gnetTestData.WeightsPath(M3gnetTestData.MatPesWeights);
        using var cpu = M3gnetPotential.Load(path);
        using var gpu = M3gnetPotential.Load(path, device: Device.Cuda());
        var a = cpu.Compute(structures);
        var b = gpu.Compute(structures);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i].EnergyPerAtom, b[i].EnergyPerAtom, 1e-4);
            for (int k = 0; k < a[i].Forces.Length; k++) Assert.Equal(a[i].Forces[k], b[i].Forces[k], 1e-3);
            for (int k = 0; k < 9; k++) Assert.Equal(a[i].Stress[k], b[i].Stress[k], 1e-2);
        }
    }
}
