using CrystalActors.Torch;

namespace CrystalActors.Torch.Tests;

public class TensorOpsTests
{
    private static Tensor F(params float[] v) => Tensor.From(v);
    private static Tensor F2(float[,] v) => Tensor.From(v);
    private static float[] A(Tensor t) => t.ToArray<float>();

    [Fact]
    public void FromToArray_RoundTripsEveryDtype()
    {
        using var s = DisposeScope.Open();
        Assert.Equal(new[] { 1.5f, -2f }, Tensor.From(new[] { 1.5f, -2f }).ToArray<float>());
        Assert.Equal(new[] { 1.5, -2.25 }, Tensor.From(new[] { 1.5, -2.25 }).ToArray<double>());
        Assert.Equal(new[] { 3L, -4L }, Tensor.From(new[] { 3L, -4L }).ToArray<long>());
        Assert.Equal(new[] { true, false, true }, Tensor.From(new[] { true, false, true }).ToArray<bool>());
        var t = Tensor.From(new[] { 1f, 2, 3, 4, 5, 6 }, 2, 3);
        Assert.Equal(new long[] { 2, 3 }, t.Shape);
        Assert.Equal(ScalarType.Float32, t.DType);
        Assert.Equal(Device.CPU, t.Device);
        Assert.Equal(6, t.NumEl);
    }

    [Fact]
    public void From_WrongElementCount_NamesShape()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.From(new[] { 1f, 2, 3 }, 2, 2));
        Assert.Contains("[2, 2]", e.Message);
    }

    [Fact]
    public void Arithmetic_BroadcastsAndMatchesHandValues()
    {
        using var s = DisposeScope.Open();
        var a = F2(new float[,] { { 1, 2 }, { 3, 4 } });
        var b = F(10, 20);
        Assert.Equal(new[] { 11f, 22, 13, 24 }, A(a + b));
        Assert.Equal(new[] { -9f, -18, -7, -16 }, A(a - b));
        Assert.Equal(new[] { 10f, 40, 30, 80 }, A(a * b));
        Assert.Equal(new[] { 0.1f, 0.1f, 0.3f, 0.2f }, A(a / b));
        Assert.Equal(new[] { 3f, 4, 5, 6 }, A(a + 2));
        Assert.Equal(new[] { 1f, 0, -1, -2 }, A(2 - a));
        Assert.Equal(new[] { 0.5f, 1, 1.5f, 2 }, A(a / 2));
        Assert.Equal(new[] { 2f, 1, 2f / 3, 0.5f }, A(2 / a));
        Assert.Equal(new[] { 1f, 4, 9, 16 }, A(a.Pow(2)));
        Assert.Equal(new[] { -1f, -2, -3, -4 }, A(-a));
        Assert.Equal(new[] { 1f, 2, 3, 3 }, A(a.Clamp(max: 3)));
        Assert.Equal(new[] { 2f, 2, 3, 4 }, A(a.Clamp(min: 2)));
        Assert.Equal(new[] { 10f, 20, 10, 20 }, A(a.Maximum(b)));
        Assert.Equal(new[] { 1f, 2, 3, 4 }, A(a.Minimum(b)));
    }

    [Fact]
    public void Comparisons_AndWhere()
    {
        using var s = DisposeScope.Open();
        var a = F(1, 2, 3);
        var b = F(3, 2, 1);
        Assert.Equal(new[] { true, false, false }, a.Lt(b).ToArray<bool>());
        Assert.Equal(new[] { false, true, false }, a.Eq(b).ToArray<bool>());
        Assert.Equal(new[] { false, true, true }, a.Ge(2).ToArray<bool>());
        Assert.Equal(new[] { true, false, true }, a.Ne(b).ToArray<bool>());
        Assert.Equal(new[] { 3f, 2, 3 }, A(Tensor.Where(a.Gt(b), a, b).Maximum(b)));
        Assert.Equal(new[] { 1f, 2, 1 }, A(Tensor.Where(a.Le(b), a, b)));
    }

    [Fact]
    public void Activations_MatchClosedForms()
    {
        using var s = DisposeScope.Open();
        double[] x = { -2, -0.5, 0, 0.5, 3 };
        var t = Tensor.From(x);
        AssertEx.Close(x.Select(v => Math.Max(v, 0)).ToArray(), t.Relu().ToArray<double>());
        AssertEx.Close(x.Select(v => v / (1 + Math.Exp(-v))).ToArray(), t.Silu().ToArray<double>());
        AssertEx.Close(x.Select(v => 1 / (1 + Math.Exp(-v))).ToArray(), t.Sigmoid().ToArray<double>());
        AssertEx.Close(x.Select(Math.Tanh).ToArray(), t.Tanh().ToArray<double>());
        AssertEx.Close(x.Select(v => Math.Log(1 + Math.Exp(v))).ToArray(), t.Softplus().ToArray<double>());
        AssertEx.Close(x.Select(v => Math.Log(1 + Math.Exp(v)) - Math.Log(2)).ToArray(), Functional.Softplus2(t).ToArray<double>());
        AssertEx.Close(x.Select(Math.Exp).ToArray(), t.Exp().ToArray<double>());
        AssertEx.Close(x.Select(Math.Sin).ToArray(), t.Sin().ToArray<double>());
        AssertEx.Close(x.Select(Math.Cos).ToArray(), t.Cos().ToArray<double>());
        AssertEx.Close(x.Select(Math.Abs).ToArray(), t.Abs().ToArray<double>());
        var pos = Tensor.From(new[] { 0.25, 1, 4 });
        AssertEx.Close(new[] { Math.Log(0.25), 0, Math.Log(4) }, pos.Log().ToArray<double>());
        AssertEx.Close(new[] { 0.5, 1, 2 }, pos.Sqrt().ToArray<double>());
        AssertEx.Close(new[] { 0.125, 1, 8 }, pos.Pow(1.5).ToArray<double>());
    }

    [Fact]
    public void Softplus_Float32FastKernel_MatchesDoubleFormula_ValuesAndGradients()
    {
        // float32 CPU tensors of 64+ elements take the vectorised kernel (native/src/fastmath.cpp); cover both
        // tails and the threshold at 20 where softplus returns x.
        using var s = DisposeScope.Open();
        float[] x = Enumerable.Range(0, 1001).Select(i => -30f + 0.06f * i).ToArray();
        var t = Tensor.From(x).RequiresGrad_();
        var y = t.Softplus();
        double Sp(double v) => v > 20 ? v : Math.Max(v, 0) + Math.Log(1 + Math.Exp(-Math.Abs(v)));
        double Sig(double v) => v > 20 ? 1 : 1 / (1 + Math.Exp(-v));
        var values = y.ToArray<float>();
        for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(values[i] - Sp(x[i])) <= 2e-6 * Math.Max(1, Math.Abs(x[i])), $"softplus({x[i]}) = {values[i]}");

        var w = Tensor.From(Enumerable.Range(0, x.Length).Select(i => (float)Math.Cos(i)).ToArray());
        var wv = w.ToArray<float>();
        // First order alone (the fused kernel), then with create_graph (the differentiable expression).
        var plain = Autograd.Grad((y * w).Sum(), t, retainGraph: true).ToArray<float>();
        for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(plain[i] - wv[i] * Sig(x[i])) <= 1e-6, $"d softplus({x[i]})");
        var grad = Autograd.Grad((y * w).Sum(), t, createGraph: true);
        var g = grad.ToArray<float>();
        for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(g[i] - wv[i] * Sig(x[i])) <= 1e-6, $"d softplus({x[i]}), create_graph");

        // Second derivative through the create_graph path: d/dx sum(w * sigmoid(x)) = w * s (1 - s).
        var second = Autograd.Grad(grad.Sum(), t).ToArray<float>();
        for (int i = 0; i < x.Length; i++)
        {
            double sg = x[i] > 20 ? 1 : Sig(x[i]);
            double expect = x[i] > 20 ? 0 : wv[i] * sg * (1 - sg);
            Assert.True(Math.Abs(second[i] - expect) <= 1e-6, $"d2 softplus({x[i]}) = {second[i]} vs {expect}");
        }
    }

    [Fact]
    public void MatMulAndLinear_MatchHandProduct()
    {
        using var s = DisposeScope.Open();
        var x = F2(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var w = F2(new float[,] { { 1, 0, -1 }, { 2, 1, 0 } }); // [out=2, in=3]
        var b = F(0.5f, -1);
        Assert.Equal(new[] { -2f, 4, -2, 13 }, A(x.MatMul(w.T)));
        Assert.Equal(new[] { -1.5f, 3, -1.5f, 12 }, A(Functional.Linear(x, w, b)));
    }

    [Fact]
    public void Reductions_AlongDimensions()
    {
        using var s = DisposeScope.Open();
        var a = F2(new float[,] { { 1, 5, 3 }, { 4, 2, 6 } });
        Assert.Equal(21f, a.Sum().ItemFloat());
        Assert.Equal(new[] { 5f, 7, 9 }, A(a.Sum(0)));
        Assert.Equal(new long[] { 2, 1 }, a.Sum(1, keepDim: true).Shape);
        Assert.Equal(new[] { 3f, 4 }, A(a.Mean(1)));
        Assert.Equal(new[] { 5f, 6 }, A(a.Max(1)));
        Assert.Equal(new[] { 1f, 2 }, A(a.Min(1)));
        Assert.Equal(new[] { 1L, 2 }, a.ArgMax(1).ToArray<long>());
        Assert.Equal(5L, a.ArgMax().ItemLong());
        var lse = a.LogSumExp(1).ToArray<float>();
        Assert.Equal(Math.Log(Math.Exp(1) + Math.Exp(5) + Math.Exp(3)), lse[0], 5);
        Assert.Equal(Math.Sqrt(1 + 25 + 9 + 16 + 4 + 36), a.Norm().Item(), 5);
        AssertEx.Close(new[] { Math.Sqrt(17), Math.Sqrt(29), Math.Sqrt(45) }, a.Norm(2, new long[] { 0 }).To(ScalarType.Float64).ToArray<double>(), 1e-6);
        Assert.Equal(new[] { 1f, 6, 9, 4, 6, 12 }, A(a.CumSum(1)));
    }

    [Fact]
    public void Softmax_RowsSumToOne_AndLogSoftmaxMatches()
    {
        using var s = DisposeScope.Open();
        var a = Tensor.From(new[] { 1.0, 2, 3, -1, 0, 1 }, 2, 3);
        var sm = a.Softmax(1).ToArray<double>();
        double z = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        AssertEx.Close(new[] { Math.Exp(1) / z, Math.Exp(2) / z, Math.Exp(3) / z }, sm.Take(3).ToArray(), 1e-12);
        AssertEx.Close(sm.Select(v => Math.Log(v)).ToArray(), a.LogSoftmax(1).ToArray<double>(), 1e-12);
    }

    [Fact]
    public void Losses_MatchDefinitions()
    {
        using var s = DisposeScope.Open();
        var p = Tensor.From(new[] { 1.0, 2, 4 });
        var y = Tensor.From(new[] { 1.5, 2, 1 });
        Assert.Equal((0.25 + 0 + 9) / 3, p.MseLoss(y).Item(), 12);
        Assert.Equal(0.25 + 0 + 9, p.MseLoss(y, Reduction.Sum).Item(), 12);
        // smooth L1 (beta 1): 0.5 d^2 for |d| < 1, |d| - 0.5 otherwise
        Assert.Equal((0.5 * 0.25 + 0 + 2.5) / 3, p.SmoothL1Loss(y).Item(), 12);
        var logits = Tensor.From(new[] { 2.0, 1, 0, 0, 0, 3 }, 2, 3);
        var target = Tensor.From(new[] { 0L, 2 });
        double l0 = -(2 - Math.Log(Math.Exp(2) + Math.Exp(1) + 1));
        double l1 = -(3 - Math.Log(2 + Math.Exp(3)));
        Assert.Equal((l0 + l1) / 2, logits.CrossEntropy(target).Item(), 12);
    }

    [Fact]
    public void Indexing_SelectGatherScatter()
    {
        using var s = DisposeScope.Open();
        var a = F2(new float[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } });
        var idx = Tensor.From(new[] { 2L, 0, 2 });
        Assert.Equal(new[] { 5f, 6, 1, 2, 5, 6 }, A(a.IndexSelect(0, idx)));
        Assert.Equal(new[] { 2f, 3, 6 }, A(a.Gather(1, Tensor.From(new[] { 1L, 0, 1 }, 3, 1))));
        var zeros = Tensor.Zeros(new long[] { 2, 2 });
        var seg = Tensor.From(new[] { 1L, 0, 1 });
        Assert.Equal(new[] { 3f, 4, 6, 8 }, A(zeros.IndexAdd(0, seg, a)));
        var sa = Tensor.Zeros(new long[] { 2 }).ScatterAdd(0, seg, F(1, 2, 3));
        Assert.Equal(new[] { 2f, 4 }, A(sa));
        var sr = Tensor.Full(new long[] { 2 }, double.NegativeInfinity).ScatterReduce(0, seg, F(1, 2, 3), "amax");
        Assert.Equal(new[] { 2f, 3 }, A(sr));
        Assert.Equal(new[] { 1f, 2, -1, -1, 5, 6 }, A(a.MaskedFill(Tensor.From(new[] { false, true, false }, 3, 1), -1)));
        Assert.Equal(new[] { 3f, 4 }, A(a.Narrow(0, 1, 1)));
        Assert.Equal(new[] { 1f, 5 }, A(a.Slice(0, 0, 3, 2).Select(1, 0)));
        Assert.Equal(new[] { 0L, 0, 1, 2, 2, 2 }, Tensor.From(new[] { 2L, 1, 3 }).RepeatInterleave().ToArray<long>());
        Assert.Equal(new[] { 2L, 0, 2, 1 }, a.Gt(4).NonZero().ToArray<long>()); // rows (2,0) and (2,1)
    }

    [Fact]
    public void Shapes_ReshapeCatStackTransposeExpandRepeat()
    {
        using var s = DisposeScope.Open();
        var a = Tensor.From(new[] { 1f, 2, 3, 4, 5, 6 }, 2, 3);
        Assert.Equal(new long[] { 3, 2 }, a.Reshape(3, 2).Shape);
        Assert.Equal(new long[] { 6 }, a.View(-1).Shape);
        Assert.Equal(new[] { 1f, 4, 2, 5, 3, 6 }, A(a.Transpose(0, 1).Contiguous()));
        Assert.Equal(new[] { 1f, 4, 2, 5, 3, 6 }, A(a.Permute(1, 0).Contiguous()));
        Assert.Equal(new long[] { 4, 3 }, Tensor.Cat(new[] { a, a }, 0).Shape);
        Assert.Equal(new long[] { 2, 2, 3 }, Tensor.Stack(new[] { a, a }, 0).Shape);
        Assert.Equal(new[] { 1f, 2, 1, 2 }, A(F(1, 2).Unsqueeze(0).Expand(2, 2).Contiguous()));
        Assert.Equal(new[] { 1f, 2, 1, 2, 1, 2 }, A(F(1, 2).Repeat(3)));
        Assert.Equal(new long[] { 2, 1, 3 }, a.Unsqueeze(1).Shape);
        Assert.Equal(new long[] { 2, 3 }, a.Unsqueeze(1).Squeeze(1).Shape);
        Assert.Equal(new long[] { 6 }, a.Flatten().Shape);
    }

    [Fact]
    public void ShapeMismatch_RaisesManagedExceptionNamingShapes()
    {
        using var s = DisposeScope.Open();
        var a = Tensor.Zeros(new long[] { 2, 3 });
        var b = Tensor.Zeros(new long[] { 4, 5 });
        var e = Assert.Throws<TorchException>(() => a.MatMul(b));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4, 5]", e.Message);
        var e2 = Assert.Throws<TorchException>(() => a + Tensor.Zeros(new long[] { 2, 4 }));
        Assert.Contains("[2, 3]", e2.Message);
        Assert.Contains("[2, 4]", e2.Message);
        Assert.DoesNotContain("frame #", e2.Message); // libtorch's C++ backtrace is dropped
        var e3 = Assert.Throws<TorchException>(() => Functional.Linear(a, Tensor.Zeros(new long[] { 7, 4 })));
        Assert.Contains("[7, 4]", e3.Message);
        // The process survives and the bridge still works afterwards.
        Assert.Equal(0f, (a + 1).Sum().ItemFloat() - 6);
    }

    [Fact]
    public void BadIndex_IsAManagedException()
    {
        using var s = DisposeScope.Open();
        var a = Tensor.Zeros(new long[] { 3 });
        Assert.Throws<TorchException>(() => a.IndexSelect(0, Tensor.From(new[] { 5L })));
        Assert.Throws<TorchException>(() => a.Reshape(4));
    }

    [Fact]
    public void ManualSeed_MakesRandomDrawsRepeatable()
    {
        using var s = DisposeScope.Open();
        Torch.ManualSeed(42);
        var a = Tensor.Randn(new long[] { 5 }).ToArray<float>();
        Torch.ManualSeed(42);
        var b = Tensor.Randn(new long[] { 5 }).ToArray<float>();
        Assert.Equal(a, b);
        var r = Tensor.Rand(new long[] { 1000 }).ToArray<float>();
        Assert.All(r, v => Assert.InRange(v, 0f, 1f));
        var ri = Tensor.RandInt(3, 7, new long[] { 100 }).ToArray<long>();
        Assert.All(ri, v => Assert.InRange(v, 3L, 6L));
    }

    [Fact]
    public void NoGradScope_StopsRecording()
    {
        using var s = DisposeScope.Open();
        var x = Tensor.From(new[] { 1.0, 2 }).RequiresGrad_();
        using (NoGradScope.Enter())
        {
            Assert.False(Torch.IsGradEnabled);
            Assert.False((x * 2).RequiresGrad);
        }
        Assert.True(Torch.IsGradEnabled);
        Assert.True((x * 2).RequiresGrad);
    }

    [Fact]
    public void SegmentOps_MatchHandValues()
    {
        using var s = DisposeScope.Open();
        var src = Tensor.From(new[] { 1.0, 2, 3, 4, 10, 20 }, 3, 2);
        var seg = Tensor.From(new[] { 0L, 0, 2 });
        Assert.Equal(new[] { 4.0, 6, 0, 0, 10, 20 }, Functional.SegmentSum(src, seg, 3).ToArray<double>());
        Assert.Equal(new[] { 2.0, 3, 0, 0, 10, 20 }, Functional.SegmentMean(src, seg, 3).ToArray<double>());
        var sm = Functional.SegmentSoftmax(Tensor.From(new[] { 1.0, 3, 5 }), seg, 3).ToArray<double>();
        AssertEx.Close(new[] { 1 / (1 + Math.Exp(2)), Math.Exp(2) / (1 + Math.Exp(2)), 1 }, sm, 1e-12);
    }

    [Fact]
    public void TorchInfo_ReportsVersionAndBlas()
    {
        Assert.Matches(@"^\d+\.\d+\.\d+$", Torch.Version);
        using var s = DisposeScope.Open();
        using var m = Tensor.Ones(new long[] { 64, 64 }).MatMul(Tensor.Ones(new long[] { 64, 64 }));
        Assert.Equal(64f, m.Max().ItemFloat());
        Assert.Contains("BLAS", Torch.BuildConfig, StringComparison.OrdinalIgnoreCase);
    }
}
