using CrystalActors.Torch;
using static CrystalActors.Torch.Tests.GradCheck;

namespace CrystalActors.Torch.Tests;

/// <summary>Float64 finite-difference checks of every differentiable op the models use.</summary>
public class AutogradTests
{
    [Fact]
    public void Elementwise_GradientsMatchFiniteDifferences()
    {
        var x = In(new long[] { 2, 3 }, 1);
        var pos = In(new long[] { 2, 3 }, 2, 0.2, 2.0);
        Check(t => t[0].Relu(), In(new long[] { 6 }, 3, 0.1, 1)); // away from the kink
        Check(t => t[0].Silu(), x);
        Check(t => t[0].Sigmoid(), x);
        Check(t => t[0].Tanh(), x);
        Check(t => t[0].Softplus(), x);
        Check(t => Functional.Softplus2(t[0]), x);
        Check(t => t[0].Exp(), x);
        Check(t => t[0].Log(), pos);
        Check(t => t[0].Sqrt(), pos);
        Check(t => t[0].Pow(3), x);
        Check(t => t[0].Pow(t[1]), pos, x);
        Check(t => t[0].Sin(), x);
        Check(t => t[0].Cos(), x);
        Check(t => t[0].Abs(), pos);
        Check(t => t[0].Clamp(-0.5, 0.5), In(new long[] { 6 }, 4, -0.45, 0.45));
        Check(t => t[0] * t[1] + t[0] / t[1] - t[1], x, pos);
        Check(t => Tensor.Where(t[0].Gt(0), t[0] * 2, t[1] * t[1]), x, pos);
        Check(t => t[0].Maximum(t[1]), In(new long[] { 4 }, 5), In(new long[] { 4 }, 6));
    }

    [Fact]
    public void LinearAlgebraAndReductions_GradientsMatch()
    {
        var x = In(new long[] { 4, 3 }, 7);
        var w = In(new long[] { 2, 3 }, 8);
        var b = In(new long[] { 2 }, 9);
        Check(t => Functional.Linear(t[0], t[1], t[2]), x, w, b);
        Check(t => t[0].MatMul(t[1].T), x, w);
        Check(t => t[0].Sum(1), x);
        Check(t => t[0].Mean(0), x);
        Check(t => t[0].Max(1), x);
        Check(t => t[0].LogSumExp(1), x);
        Check(t => t[0].Norm(2, new long[] { 1 }), x);
        Check(t => t[0].Softmax(1), x);
        Check(t => t[0].LogSoftmax(0), x);
        Check(t => t[0].CumSum(1), x);
        Check(t => Functional.LayerNorm(t[0], new long[] { 3 }, t[1], t[2]), x, In(new long[] { 3 }, 10), In(new long[] { 3 }, 11));
    }

    [Fact]
    public void Losses_GradientsMatch()
    {
        var p = In(new long[] { 5 }, 12);
        var y = In(new long[] { 5 }, 13, -3, 3);
        Check(t => t[0].MseLoss(t[1]), p, y);
        Check(t => t[0].SmoothL1Loss(t[1]), p, y);
        using var s = DisposeScope.Open();
        var target = Tensor.From(new[] { 1L, 0, 2, 2 });
        Check(t => t[0].CrossEntropy(target), In(new long[] { 4, 3 }, 14));
    }

    [Fact]
    public void Indexing_GradientsMatch_IncludingScatterAddAndIndexAdd()
    {
        using var s = DisposeScope.Open();
        var index = Tensor.From(new[] { 2L, 0, 2, 1, 0 });
        var x = In(new long[] { 3, 2 }, 15);
        var src = In(new long[] { 5, 2 }, 16);
        Check(t => t[0].IndexSelect(0, index), x);
        Check(t => t[0].IndexAdd(0, index, t[1]), x, src);
        Check(t => t[0].ScatterAdd(0, index.Unsqueeze(1).Expand(5, 2), t[1]), x, src);
        Check(t => t[0].Gather(1, Tensor.From(new[] { 1L, 0, 0 }, 3, 1)), x);
        Check(t => t[0].Narrow(1, 1, 1) * t[0].Select(1, 0).Unsqueeze(1), x);
        Check(t => Tensor.Cat(new[] { t[0], t[0] * 2 }, 0).Reshape(2, 6).Transpose(0, 1), x);
        Check(t => Tensor.Stack(new[] { t[0], t[0].Exp() }, 1).Sum(1), x);
        Check(t => t[0].MaskedFill(Tensor.From(new[] { true, false, true }, 3, 1), 0), x);
        Check(t => Functional.SegmentSum(t[0], index, 3), src);
        Check(t => Functional.SegmentMean(t[0], index, 4), src);
        Check(t => Functional.SegmentSoftmax(t[0], index, 3), src);
        Check(t => t[0].Unsqueeze(0).Expand(4, 3, 2).Repeat(1, 2, 1), x);
    }

    [Fact]
    public void SecondDerivatives_ThroughAutogradGradWithCreateGraph()
    {
        // f(x) = sum softplus(x)^3: grad = 3 sp^2 sigmoid; the gradient of sum(grad * v) is a Hessian-vector product.
        using var s = DisposeScope.Open();
        var v = Tensor.From(new[] { 0.3, -1.2, 0.7 });
        Check(t =>
        {
            var x = t[0].RequiresGrad ? t[0] : t[0].Detach().RequiresGrad_();
            var f = x.Softplus().Pow(3).Sum();
            var g = Autograd.Grad(f, x, createGraph: true);
            return g * v;
        }, In(new long[] { 3 }, 17));

        // A toy potential: E = sum over pairs of exp(-|r_i - r_j|^2) * w; forces F = -dE/dr.
        // Training on forces needs dF/dw, i.e. a second derivative through the graph of F.
        var i = Tensor.From(new[] { 0L, 0, 1 });
        var j = Tensor.From(new[] { 1L, 2, 2 });
        Check(t =>
        {
            var pos = t[0].RequiresGrad ? t[0] : t[0].Detach().RequiresGrad_();
            var d = pos.IndexSelect(0, i) - pos.IndexSelect(0, j);
            var e = ((d * d).Sum(1).Neg().Exp() * t[1]).Sum();
            var forces = -Autograd.Grad(new[] { e }, new[] { pos }, createGraph: true)[0]!;
            return forces.Square().Sum().Unsqueeze(0);
        }, In(new long[] { 3, 3 }, 18), In(new long[] { 3 }, 19, 0.5, 1.5));
    }

    [Fact]
    public void Backward_AccumulatesGrad_AndZeroGradClearsIt()
    {
        using var s = DisposeScope.Open();
        var x = Tensor.From(new[] { 1.0, 2, 3 }).RequiresGrad_();
        (x * x).Sum().Backward();
        Assert.Equal(new[] { 2.0, 4, 6 }, x.Grad!.ToArray<double>());
        (x * 3).Sum().Backward();
        Assert.Equal(new[] { 5.0, 7, 9 }, x.Grad!.ToArray<double>());
        x.ZeroGrad();
        Assert.Null(x.Grad);
    }

    [Fact]
    public void AutogradGrad_UnusedInput_IsNullWhenAllowed()
    {
        using var s = DisposeScope.Open();
        var x = Tensor.From(new[] { 1.0 }).RequiresGrad_();
        var y = Tensor.From(new[] { 1.0 }).RequiresGrad_();
        var g = Autograd.Grad(new[] { (x * 2).Sum() }, new[] { x, y }, allowUnused: true);
        Assert.Equal(2.0, g[0]!.Item());
        Assert.Null(g[1]);
        Assert.Throws<TorchException>(() => Autograd.Grad(new[] { (x * 2).Sum() }, new[] { x, y }));
    }
}
