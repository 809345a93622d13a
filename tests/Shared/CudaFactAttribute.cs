using Xunit;

namespace CrystalActors.Tests.Shared;

/// <summary>
/// A test that needs a CUDA device. Where the bridge's libtorch has none it is skipped, and xunit prints the reason
/// ("[SKIP] ..." in the run's output), so a CPU-only CI run says which GPU checks it did not make.
/// </summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!CrystalActors.Torch.Torch.CudaIsAvailable)
            Skip = $"no CUDA device: the libtorch the bridge was built against ({CrystalActors.Torch.Torch.Version}) reports none; " +
                   "run on a GPU node with the bridge built against a CUDA libtorch (TORCH_PREFIX, see README 'GPU nodes')";
    }
}
