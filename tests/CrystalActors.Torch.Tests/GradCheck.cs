using CrystalActors.Torch;

namespace CrystalActors.Torch.Tests;

/// <summary>
/// Float64 central finite differences against autograd, as torch.autograd.gradcheck: the
/// scalar checked is sum(f(x) * w) with fixed random weights w, so every output element counts.
/// </summary>
internal static class GradCheck
{
    public sealed record Input(double[] Data, long[] Shape);

    public static Input In(long[] shape, int seed, double lo = -1, double hi = 1)
    {
        var rng = new Random(seed);
        long n = shape.Aggregate(1L, (a, b) => a * b);
        return new Input(Enumerable.Range(0, (int)n).Select(_ => lo + (hi - lo) * rng.NextDouble()).ToArray(), shape);
    }

    public static void Check(Func<Tensor[], Tensor> f, params Input[] inputs) => Check(f, 1e-6, 1e-5, inputs);

    public static void Check(Func<Tensor[], Tensor> f, double eps, double tol, params Input[] inputs)
    {
        using var scope = DisposeScope.Open();
        double[] weights;
        {
            var probe = f(inputs.Select(i => Tensor.From<double>(i.Data, i.Shape)).ToArray());
            var rng = new Random(99);
            weights = Enumerable.Range(0, (int)probe.NumEl).Select(_ => rng.NextDouble() + 0.5).ToArray();
        }
        var weightShape = f(inputs.Select(i => Tensor.From<double>(i.Data, i.Shape)).ToArray()).Shape;
        var w = Tensor.From<double>(weights, weightShape);

        double Objective(double[][] data)
        {
            using var s = DisposeScope.Open();
            var ts = inputs.Select((inp, k) => Tensor.From<double>(data[k], inp.Shape)).ToArray();
            return (f(ts) * w).Sum().Item();
        }

        var leaves = inputs.Select(i => Tensor.From<double>(i.Data, i.Shape).RequiresGrad_()).ToArray();
        var objective = (f(leaves) * w).Sum();
        var analytic = Autograd.Grad(new[] { objective }, leaves, allowUnused: true);

        for (int k = 0; k < inputs.Length; k++)
        {
            var a = analytic[k]?.ToArray<double>() ?? new double[inputs[k].Data.Length];
            for (int j = 0; j < inputs[k].Data.Length; j++)
            {
                var plus = inputs.Select(i => (double[])i.Data.Clone()).ToArray();
                var minus = inputs.Select(i => (double[])i.Data.Clone()).ToArray();
                plus[k][j] += eps;
                minus[k][j] -= eps;
                double numeric = (Objective(plus) - Objective(minus)) / (2 * eps);
                double err = Math.Abs(numeric - a[j]);
                Assert.True(err <= tol * (1 + Math.Abs(numeric)),
                    $"input {k} element {j}: autograd {a[j]:G10} vs finite difference {numeric:G10}");
            }
        }
    }
}

internal static class Shared
{
    /// <summary>../shared next to the checkout (or CRYSTAL_ACTORS_SHARED).</summary>
    public static string Root => CrystalActors.Crystals.SharedPaths.RequireShared("reference");
}

internal static class AssertEx
{
    public static void Close(double[] expected, double[] actual, double tol = 1e-6)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]:G10}, got {actual[i]:G10}");
    }

    public static void Close(float[] expected, float[] actual, double tol = 1e-5) =>
        Close(expected.Select(x => (double)x).ToArray(), actual.Select(x => (double)x).ToArray(), tol);
}
