using CrystalActors.Torch;
using CrystalActors.Torch.Optim;

namespace CrystalActors.Torch.Tests;

public class OptimTests
{
    /// <summary>Adam as published (Kingma &amp; Ba, Alg. 1) with PyTorch's eps placement, in plain doubles.</summary>
    private static double[] ReferenceAdam(double[] p, Func<double[], double[]> grad, int steps, double lr, double b1, double b2,
        double eps, double wd, bool decoupled)
    {
        p = (double[])p.Clone();
        var m = new double[p.Length];
        var v = new double[p.Length];
        for (int t = 1; t <= steps; t++)
        {
            var g = grad(p);
            for (int k = 0; k < p.Length; k++)
            {
                double gk = g[k];
                if (wd != 0 && decoupled) p[k] *= 1 - lr * wd;
                else if (wd != 0) gk += wd * p[k];
                m[k] = b1 * m[k] + (1 - b1) * gk;
                v[k] = b2 * v[k] + (1 - b2) * gk * gk;
                double mHat = m[k] / (1 - Math.Pow(b1, t));
                double vHat = v[k] / (1 - Math.Pow(b2, t));
                p[k] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
        }
        return p;
    }

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.1, false)]
    [InlineData(0.1, true)]
    public void Adam_FollowsThePublishedUpdate(double weightDecay, bool decoupled)
    {
        // loss = sum (p - c)^2 * k: gradient 2 k (p - c)
        double[] c = { 1.0, -2.0, 0.5 };
        double[] k = { 1.0, 3.0, 0.2 };
        double[] p0 = { 0.0, 0.0, 4.0 };
        var expected = ReferenceAdam(p0, p => p.Select((x, i) => 2 * k[i] * (x - c[i])).ToArray(), 5, 0.1, 0.9, 0.999, 1e-8, weightDecay, decoupled);

        var p = Tensor.From(p0).RequiresGrad_().DetachFromDisposeScope();
        using var target = Tensor.From(c);
        using var weight = Tensor.From(k);
        using var opt = new Adam(new[] { p }, lr: 0.1, weightDecay: weightDecay, decoupled: decoupled);
        for (int step = 0; step < 5; step++)
        {
            using var s = DisposeScope.Open();
            opt.ZeroGrad();
            ((p - target).Square() * weight).Sum().Backward();
            opt.Step();
        }
        AssertEx.Close(expected, p.ToArray<double>(), 1e-12);
        Assert.Equal(5, opt.StepCount);
        p.Dispose();
    }

    [Fact]
    public void Adam_StateDictRoundTrip_ContinuesIdentically()
    {
        double[] p0 = { 0.3, -0.7 };
        Tensor Loss(Tensor p) => (p.Pow(4) - p).Sum();
        double[] Run(int steps, Adam opt, Tensor p)
        {
            for (int i = 0; i < steps; i++)
            {
                using var s = DisposeScope.Open();
                opt.ZeroGrad();
                Loss(p).Backward();
                opt.Step();
            }
            return p.ToArray<double>();
        }
        using var a = Tensor.From(p0).RequiresGrad_().DetachFromDisposeScope();
        using var optA = new Adam(new[] { a }, lr: 0.05);
        var straight = Run(6, optA, a);

        using var b = Tensor.From(p0).RequiresGrad_().DetachFromDisposeScope();
        using var optB = new Adam(new[] { b }, lr: 0.05);
        Run(3, optB, b);
        var state = optB.StateDict();
        using var c = Tensor.From(b.ToArray<double>()).RequiresGrad_().DetachFromDisposeScope();
        using var optC = new Adam(new[] { c }, lr: 0.05);
        optC.LoadStateDict(state);
        state["step"].Dispose();
        var resumed = Run(3, optC, c);
        Assert.Equal(straight, resumed);
    }

    [Fact]
    public void ClipGradNorm_ScalesToMaxNorm_AndReturnsTheOriginalNorm()
    {
        using var s = DisposeScope.Open();
        var a = Tensor.From(new[] { 1.0, 2 }).RequiresGrad_();
        var b = Tensor.From(new[] { 3.0 }).RequiresGrad_();
        ((a * Tensor.From(new[] { 3.0, 4 })).Sum() + b * 12).Sum().Backward(); // grads (3, 4) and (12): norm 13
        double norm = GradClip.ClipGradNorm(new[] { a, b }, 6.5);
        Assert.Equal(13.0, norm, 12);
        var scale = 6.5 / (13 + 1e-6);
        AssertEx.Close(new[] { 3 * scale, 4 * scale }, a.Grad!.ToArray<double>(), 1e-12);
        AssertEx.Close(new[] { 12 * scale }, b.Grad!.ToArray<double>(), 1e-12);
        Assert.Equal(6.5, GradClip.ClipGradNorm(new[] { a, b }, 100), 5); // below the limit: unchanged
    }

    [Fact]
    public void Adam_RejectsBadHyperparameters()
    {
        using var p = Tensor.Zeros(new long[] { 1 }).DetachFromDisposeScope();
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(new[] { p }, lr: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(new[] { p }, beta1: 1.0));
        Assert.Throws<ArgumentException>(() => new Adam(Array.Empty<Tensor>()));
    }
}
