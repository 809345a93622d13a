using CrystalActors.Torch.Native;
using static CrystalActors.Torch.Native.NativeMethods;

namespace CrystalActors.Torch.Optim;

/// <summary>
/// Adam (Kingma &amp; Ba) with PyTorch's update, or AdamW's decoupled weight decay when
/// <see cref="Decoupled"/>. The moment estimates are ordinary tensors owned here, so a
/// checkpoint can save them (<see cref="StateDict"/>) and a resumed run continues identically.
/// </summary>
public class Adam : IDisposable
{
    private readonly Tensor[] _params;
    private readonly Tensor[] _expAvg;
    private readonly Tensor[] _expAvgSq;

    public double LearningRate { get; set; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public double WeightDecay { get; }
    public bool Decoupled { get; }

    /// <summary>Steps taken so far (PyTorch's per-parameter "step", shared here).</summary>
    public long StepCount { get; private set; }

    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0, bool decoupled = false)
    {
        if (lr < 0) throw new ArgumentOutOfRangeException(nameof(lr), lr, "learning rate must be >= 0");
        if (beta1 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must be in [0, 1)");
        if (beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must be in [0, 1)");
        if (weightDecay < 0) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "weight decay must be >= 0");
        _params = parameters.ToArray();
        if (_params.Length == 0) throw new ArgumentException("The optimizer got no parameters.", nameof(parameters));
        LearningRate = lr;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        Decoupled = decoupled;
        _expAvg = _params.Select(NewState).ToArray();
        _expAvgSq = _params.Select(NewState).ToArray();
    }

    private static Tensor NewState(Tensor p) => Tensor.Zeros(p.Shape, p.DType, p.Device).DetachFromDisposeScope();

    public IReadOnlyList<Tensor> Parameters => _params;

    public unsafe void Step()
    {
        StepCount++;
        var ps = new HandleList(_params);
        var ms = new HandleList(_expAvg);
        var vs = new HandleList(_expAvgSq);
        try
        {
            fixed (IntPtr* p = ps.Pointers)
            fixed (IntPtr* m = ms.Pointers)
            fixed (IntPtr* v = vs.Pointers)
                Check(ct_adam_step(p, m, v, _params.Length, StepCount, LearningRate, Beta1, Beta2, Eps, WeightDecay, Decoupled ? 1 : 0));
        }
        finally
        {
            vs.Dispose();
            ms.Dispose();
            ps.Dispose();
        }
    }

    public void ZeroGrad()
    {
        foreach (var p in _params) p.ZeroGrad();
    }

    /// <summary>"exp_avg.{i}", "exp_avg_sq.{i}" per parameter index, and "step". Tensors stay owned here except "step".</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>();
        for (int i = 0; i < _params.Length; i++)
        {
            d[$"exp_avg.{i}"] = _expAvg[i];
            d[$"exp_avg_sq.{i}"] = _expAvgSq[i];
        }
        d["step"] = Tensor.From(new[] { StepCount }, 1).DetachFromDisposeScope();
        return d;
    }

    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        if (!state.TryGetValue("step", out var step))
            throw new ArgumentException("Optimizer state has no 'step' entry.", nameof(state));
        for (int i = 0; i < _params.Length; i++)
        {
            Copy(state, $"exp_avg.{i}", _expAvg[i]);
            Copy(state, $"exp_avg_sq.{i}", _expAvgSq[i]);
        }
        StepCount = step.To(ScalarType.Int64).ToArray<long>()[0];
    }

    private static void Copy(IReadOnlyDictionary<string, Tensor> state, string key, Tensor target)
    {
        if (!state.TryGetValue(key, out var source))
            throw new ArgumentException($"Optimizer state has no '{key}' entry (saved for a different model?).");
        if (!source.Shape.SequenceEqual(target.Shape))
            throw new ArgumentException($"Optimizer state '{key}' has shape {Tensor.FormatShape(source.Shape)}, expected {Tensor.FormatShape(target.Shape)}.");
        using var converted = source.To(target.DType, target.Device);
        target.CopyFrom_(converted);
    }

    public void Dispose()
    {
        foreach (var t in _expAvg) t.Dispose();
        foreach (var t in _expAvgSq) t.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>AdamW: Adam with decoupled weight decay (default 0.01, as torch.optim.AdamW).</summary>
public sealed class AdamW : Adam
{
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 1e-2)
        : base(parameters, lr, beta1, beta2, eps, weightDecay, decoupled: true) { }
}

public static class GradClip
{
    /// <summary>torch.nn.utils.clip_grad_norm_: scales gradients so their total norm is at most maxNorm; returns the norm before clipping.</summary>
    public static unsafe double ClipGradNorm(IReadOnlyList<Tensor> parameters, double maxNorm, double normType = 2.0)
    {
        var list = new HandleList(parameters);
        try
        {
            double total;
            fixed (IntPtr* p = list.Pointers)
                Check(ct_clip_grad_norm(p, parameters.Count, maxNorm, normType, out total));
            return total;
        }
        finally { list.Dispose(); }
    }
}
