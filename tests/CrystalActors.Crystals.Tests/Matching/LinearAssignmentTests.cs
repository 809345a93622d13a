using CrystalActors.Crystals.Matching;

namespace CrystalActors.Crystals.Tests.Matching;

public class LinearAssignmentTests
{
    [Fact]
    public void Solve_TextbookMatrix_FindsTheOptimum()
    {
        double[] cost = [4, 1, 3, 2, 0, 5, 3, 2, 2];
        var assign = new int[3];
        Assert.True(LinearAssignment.Solve(cost, 3, assign));
        Assert.Equal([1, 0, 2], assign); // 1 + 2 + 2 = 5
    }

    [Fact]
    public void Solve_RandomMatrices_AgreeWithBruteForce()
    {
        var rng = new Random(17);
        for (int trial = 0; trial < 200; trial++)
        {
            int n = 1 + trial % 6;
            var cost = new double[n * n];
            for (int i = 0; i < cost.Length; i++) cost[i] = rng.Next(4) == 0 ? double.PositiveInfinity : Math.Round(rng.NextDouble() * 10, 1);
            double brute = BruteForce(cost, n);
            var assign = new int[n];
            bool ok = LinearAssignment.Solve(cost, n, assign);
            Assert.Equal(double.IsFinite(brute), ok);
            if (!ok) continue;
            Assert.Equal(n, assign.Distinct().Count());
            Assert.Equal(brute, Enumerable.Range(0, n).Sum(i => cost[i * n + assign[i]]), 1e-9);
        }
    }

    [Fact]
    public void Solve_OnlyForbiddenPairsLeft_ReturnsFalse()
    {
        double inf = double.PositiveInfinity;
        Assert.False(LinearAssignment.Solve([1, inf, 2, inf], 2, new int[2])); // column 1 is unreachable
        Assert.True(LinearAssignment.Solve([inf, 1, 2, inf], 2, new int[2]));
    }

    private static double BruteForce(double[] cost, int n)
    {
        double best = double.PositiveInfinity;
        foreach (var p in Permutations(Enumerable.Range(0, n).ToArray(), 0))
            best = Math.Min(best, Enumerable.Range(0, n).Sum(i => cost[i * n + p[i]]));
        return best;
    }

    private static IEnumerable<int[]> Permutations(int[] a, int k)
    {
        if (k == a.Length) { yield return (int[])a.Clone(); yield break; }
        for (int i = k; i < a.Length; i++)
        {
            (a[k], a[i]) = (a[i], a[k]);
            foreach (var p in Permutations(a, k + 1)) yield return p;
            (a[k], a[i]) = (a[i], a[k]);
        }
    }
}
