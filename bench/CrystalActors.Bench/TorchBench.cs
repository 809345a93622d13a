using CrystalActors.Torch;
using CrystalActors.Torch.Nn;
using CrystalActors.Torch.Optim;

namespace CrystalActors.Bench;

/// <summary>`crystal-actors bench torch`: matmul GFLOP/s and MLP training-step rate through the bridge.</summary>
public static class TorchBench
{
    public static int Run(int? threads = null, double seconds = 2.0)
    {
        if (threads is { } t) Torch.Torch.NumThreads = t;
        Console.WriteLine($"libtorch {Torch.Torch.Version}, {Torch.Torch.NumThreads} threads, BLAS: {TorchInfo.BlasInUse()}");
        Torch.Torch.ManualSeed(0);
        var table = new BenchTable("libtorch bridge", "metric", "parameters", "value", "unit");

        foreach (int n in new[] { 256, 512, 1024 })
        {
            using var a = Tensor.Randn(new long[] { n, n }).DetachFromDisposeScope();
            using var b = Tensor.Randn(new long[] { n, n }).DetachFromDisposeScope();
            double rate = BenchTable.Rate(() => { using var c = a.MatMul(b); }, seconds);
            table.Add("matmul_gflops", $"n={n} dtype=float32", rate * 2.0 * n * n * n / 1e9, "GFLOP/s");
        }

        foreach (int batch in new[] { 64, 1024 })
        {
            using var mlp = new Mlp(new[] { 64, 128, 128, 1 }, Activation.Silu);
            using var opt = new Adam(mlp.Parameters(), lr: 1e-3);
            using var x = Tensor.Randn(new long[] { batch, 64 }).DetachFromDisposeScope();
            using var y = Tensor.Randn(new long[] { batch, 1 }).DetachFromDisposeScope();
            double rate = BenchTable.Rate(() =>
            {
                using var scope = DisposeScope.Open();
                opt.ZeroGrad();
                mlp.Forward(x).MseLoss(y).Backward();
                opt.Step();
            }, seconds);
            table.Add("mlp_train_steps_per_s", $"batch={batch} widths=64-128-128-1", rate, "steps/s");
        }
        table.Print();
        return 0;
    }
}
