using CrystalActors.Torch;
using static CrystalActors.Torch.Tests.GradCheck;

namespace CrystalActors.Torch.Tests;

/// <summary>The message-passing kernels (native/src/graphops.cpp) and the fused silu kernels (fastmath.cpp) against
/// the libtorch ops they replace: values, gradients (finite differences) and second derivatives.</summary>
public class GraphOpsTests
{
    private static readonly long[] Rows = [3, 0, 2, 2, 1, 0, 3];
    private static Tensor Idx(long[] a) => Tensor.From<long>(a, a.Length);

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Values_EqualIndexSelectAndIndexAdd(ScalarType dtype)
    {
        using var scope = DisposeScope.Open();
        var x = Tensor.Randn([4, 5]).To(dtype);
        var idx = Idx(Rows);
        AssertClose(x.IndexSelect(0, idx), x.GatherRows(idx), 0);
        var src = Tensor.Randn([7, 5]).To(dtype);
        AssertClose(Tensor.Zeros([6, 5], dtype).IndexAdd(0, idx, src), src.ScatterAddRows(idx, 6), 1e-6);
        var v = Tensor.Randn([7]).To(dtype); // 1-D rows
        AssertClose(Tensor.Zeros([4], dtype).IndexAdd(0, idx, v), v.ScatterAddRows(idx, 4), 1e-6);

        var a = Tensor.Randn([5, 3]).To(dtype);
        var b = Tensor.Randn([4, 3]).To(dtype);
        long[] ia = [0, 4, 4, 1, 2, 3, 0], io = [0, 0, 1, 1, 1, 4, 5];
        var expected = Tensor.Zeros([6, 3], dtype).IndexAdd(0, Idx(io), a.IndexSelect(0, Idx(ia)) * b.IndexSelect(0, idx));
        AssertClose(expected, Tensor.GatherMulScatter(a, b, Idx(ia), idx, Idx(io), 6), 1e-6);

        var e = Tensor.Randn([7, 3]).To(dtype);
        var p = Tensor.Randn([4, 6]).To(dtype);
        long[] ib = [1, 1, 0, 3, 2, 0, 3];
        var pair = e + p.Narrow(1, 0, 3).IndexSelect(0, idx) + p.Narrow(1, 3, 3).IndexSelect(0, Idx(ib));
        AssertClose(pair, e.AddGatheredPair(p, idx, Idx(ib)), 0);
    }

    [Fact]
    public void Gradients_MatchFiniteDifferences()
    {
        var idx = Rows;
        long[] ia = [0, 4, 4, 1, 2, 3, 0], io = [0, 0, 1, 1, 1, 4, 5], ib = [1, 1, 0, 3, 2, 0, 3];
        Check(t => t[0].GatherRows(Idx(idx)), In([4, 5], 1));
        Check(t => t[0].ScatterAddRows(Idx(idx), 6), In([7, 5], 2));
        Check(t => t[0].GatherRows(Idx(idx)), In([4], 3));
        Check(t => Tensor.GatherMulScatter(t[0], t[1], Idx(ia), Idx(idx), Idx(io), 6), In([5, 3], 4), In([4, 3], 5));
        Check(t => t[0].AddGatheredPair(t[1], Idx(idx), Idx(ib)), In([7, 3], 6), In([4, 6], 7));
    }

    [Fact]
    public void SecondDerivatives_EqualThoseOfLibtorchOps()
    {
        using var scope = DisposeScope.Open();
        long[] ia = [0, 4, 4, 1, 2, 3, 0], io = [0, 0, 1, 1, 1, 4, 5];
        var w = Tensor.Randn([6, 3]).To(ScalarType.Float64);
        double[] Hessian(Func<Tensor, Tensor, Tensor> f)
        {
            Torch.ManualSeed(3);
            var a = Tensor.Randn([5, 3]).To(ScalarType.Float64).RequiresGrad_();
            var b = Tensor.Randn([4, 3]).To(ScalarType.Float64).RequiresGrad_();
            var ga = Autograd.Grad((f(a, b) * w).Sum(), a, createGraph: true);
            return Autograd.Grad((ga * ga).Sum(), b).ToArray<double>();
        }
        var fused = Hessian((a, b) => Tensor.GatherMulScatter(a.GatherRows(Idx([0, 1, 2, 3, 4])), b, Idx(ia), Idx(Rows), Idx(io), 6));
        var plain = Hessian((a, b) => Tensor.Zeros([6, 3], ScalarType.Float64).IndexAdd(0, Idx(io), a.IndexSelect(0, Idx(ia)) * b.IndexSelect(0, Idx(Rows))));
        for (int i = 0; i < plain.Length; i++) Assert.Equal(plain[i], fused[i], 12);
    }

    [Fact]
    public void FusedSiluKernels_MatchFloat64Reference()
    {
        using var scope = DisposeScope.Open();
        // float32, ≥ 64 elements and a tail: the vector kernels and their scalar remainder loop.
        var a64 = (Tensor.Randn([1003]) * 6).To(ScalarType.Float64);
        var b64 = (Tensor.Randn([1003]) * 6).To(ScalarType.Float64);
        var g64 = Tensor.Randn([1003]).To(ScalarType.Float64);
        var a = a64.To(ScalarType.Float32).RequiresGrad_();
        var b = b64.To(ScalarType.Float32).RequiresGrad_();
        var g = g64.To(ScalarType.Float32);

        var a64g = a64.Alias().RequiresGrad_();
        var b64g = b64.Alias().RequiresGrad_();
        var refSilu = a64g * a64g.Sigmoid();
        var refGate = refSilu * b64g.Sigmoid();
        var refGrads = Autograd.Grad([(refGate * g64).Sum()], [a64g, b64g]);
        var x64 = a64.Alias().RequiresGrad_();
        var refSiluGrad = Autograd.Grad((x64 * x64.Sigmoid() * g64).Sum(), x64);

        var silu = a.Silu();
        var gate = Functional.SiluGate(a, b);
        AssertClose(refSilu.Detach().To(ScalarType.Float32), silu.Detach(), 2e-6);
        AssertClose(refGate.Detach().To(ScalarType.Float32), gate.Detach(), 2e-6);
        var grads = Autograd.Grad([(gate * g).Sum()], [a, b]);
        AssertClose(refGrads[0]!.To(ScalarType.Float32), grads[0]!, 2e-6);
        AssertClose(refGrads[1]!.To(ScalarType.Float32), grads[1]!, 2e-6);
        AssertClose(refSiluGrad.To(ScalarType.Float32), Autograd.Grad((silu * g).Sum(), a), 2e-6);

        // create_graph: the backward is itself differentiable (second derivative of silu).
        var d1 = Autograd.Grad(a.Silu().Sum(), a, createGraph: true);
        var d2 = Autograd.Grad(d1.Sum(), a).To(ScalarType.Float64).ToArray<double>();
        var xs = a64.ToArray<double>();
        for (int i = 0; i < xs.Length; i++)
        {
            double s = 1 / (1 + Math.Exp(-xs[i]));
            double expected = s * (1 - s) * (2 + xs[i] * (1 - 2 * s));
            Assert.True(Math.Abs(d2[i] - expected) <= 1e-5, $"silu'' at {xs[i]}: {d2[i]} vs {expected}");
        }
    }

    [Fact]
    public void OutOfRangeIndex_IsAnErrorNamingTheOp()
    {
        using var scope = DisposeScope.Open();
        var x = Tensor.Randn([4, 2]);
        var ex = Assert.Throws<TorchException>(() => x.GatherRows(Idx([0, 4])));
        Assert.Contains("gather_rows", ex.Message);
        ex = Assert.Throws<TorchException>(() => x.ScatterAddRows(Idx([0, 1, 2, -1]), 3));
        Assert.Contains("scatter_add_rows", ex.Message);
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tol)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.To(ScalarType.Float64).ToArray<double>();
        var a = actual.To(ScalarType.Float64).ToArray<double>();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= tol * (1 + Math.Abs(e[i])), $"element {i}: {a[i]} vs {e[i]}");
    }
}
