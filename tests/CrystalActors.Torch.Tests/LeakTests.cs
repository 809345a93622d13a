using System.Diagnostics;
using CrystalActors.Torch;
using CrystalActors.Torch.Nn;
using CrystalActors.Torch.Optim;

namespace CrystalActors.Torch.Tests;

/// <summary>Process-wide counters (live tensors, resident memory): run with no other test beside.</summary>
[CollectionDefinition(nameof(NativeMemory), DisableParallelization = true)]
public sealed class NativeMemory { }

[Collection(nameof(NativeMemory))]
public class LeakTests
{
    private static long ResidentBytes()
    {
        // VmRSS from /proc is the resident set, native allocations included.
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:"))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return Process.GetCurrentProcess().WorkingSet64;
    }

    [Fact]
    public void TenThousandTrainingSteps_KeepResidentMemoryFlat()
    {
        Torch.ManualSeed(0);
        using var mlp = new Mlp(new[] { 16, 32, 32, 1 }, Activation.Silu);
        using var opt = new Adam(mlp.Parameters(), lr: 1e-3);
        using var x = Tensor.Randn(new long[] { 64, 16 }).DetachFromDisposeScope();
        using var y = x.Sum(1, keepDim: true).Sin().DetachFromDisposeScope();
        // Tensors other tests dropped without disposing are finalized first, so they do not count here.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long liveBefore = Torch.LiveTensors;

        void Step()
        {
            using var scope = DisposeScope.Open();
            opt.ZeroGrad();
            var loss = mlp.Forward(x).MseLoss(y);
            loss.Backward();
            GradClip.ClipGradNorm(mlp.Parameters(), 5.0);
            opt.Step();
        }

        for (int i = 0; i < 500; i++) Step(); // warm up allocator caches and the JIT
        GC.Collect();
        long before = ResidentBytes();
        double firstLoss;
        using (DisposeScope.Open()) firstLoss = mlp.Forward(x).MseLoss(y).Item();
        for (int i = 0; i < 10_000; i++) Step();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long growth = ResidentBytes() - before;
        double lastLoss;
        using (DisposeScope.Open()) lastLoss = mlp.Forward(x).MseLoss(y).Item();

        Assert.True(growth < 50L * 1024 * 1024, $"resident memory grew by {growth / 1e6:F1} MB over 10,000 steps");
        Assert.Equal(liveBefore, Torch.LiveTensors); // every native tensor of every step was freed
        Assert.True(lastLoss < firstLoss, $"training should reduce the loss ({firstLoss} -> {lastLoss})");
    }

    [Fact]
    public void DisposeScope_FreesEverythingButWhatMovesOut()
    {
        long live = Torch.LiveTensors;
        Tensor kept;
        using (var outer = DisposeScope.Open())
        {
            Tensor fromInner;
            using (var inner = DisposeScope.Open())
            {
                var a = Tensor.Ones(new long[] { 3 });
                var b = a * 2 + 1;
                fromInner = inner.MoveToOuter(b);
                Assert.Equal(2, inner.OwnedCount); // a and a*2; b has moved out
            }
            Assert.False(fromInner.IsDisposed);
            Assert.Equal(new[] { 3f, 3, 3 }, fromInner.ToArray<float>());
            kept = outer.MoveToOuter(fromInner);
        }
        Assert.False(kept.IsDisposed);
        Assert.Equal(live + 1, Torch.LiveTensors);
        kept.Dispose();
        Assert.Equal(live, Torch.LiveTensors);
        Assert.Throws<ObjectDisposedException>(() => kept.Sum());
    }
}
