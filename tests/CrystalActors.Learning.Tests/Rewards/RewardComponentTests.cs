using CrystalActors.Crystals;
using CrystalActors.Learning.Rewards;

namespace CrystalActors.Learning.Tests.Rewards;

public class RewardComponentTests
{
    private const double Eps = 1e-4;

    private static void Close(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 12);
    }

    private static Structure Crystal(params string[] species) => Structure.FromSpecies(Lattice.Cubic(5.0),
        species.Select(Element.FromSymbol).ToArray(), species.Select((_, i) => new Vec3(i / (double)species.Length, 0, 0)).ToArray());

    [Fact]
    public void Normalizations_MatchChemeleon2sDefinitions()
    {
        Close([0, 1 / (2 + Eps), 2 / (2 + Eps)], RewardNormalization.Apply("norm", [1, 2, 3]));
        Close([-1 / (1 + Eps), 0, 1 / (1 + Eps)], RewardNormalization.Apply("std", [1, 2, 3])); // sample sd of 1,2,3 is 1
        Close([-1, 0, 1], RewardNormalization.Apply("subtract_mean", [1, 2, 3]));
        Close([-1, 0.5, 1], RewardNormalization.Apply("clip", [-3, 0.5, 7]));
        Assert.Equal([0, 0, 0], RewardNormalization.Apply("norm", [5, 5, 5]));
        Assert.Equal([0, 0, 0], RewardNormalization.Apply("std", [5, 5, 5]));
        Assert.Equal([4, 5], RewardNormalization.Apply(null, [4, 5]));
        Assert.Contains("unknown normalize 'minmax'", Assert.Throws<ArgumentException>(() => RewardNormalization.Apply("minmax", [1.0])).Message);
    }

    [Fact]
    public void MmdReward_ByHand_OneDimensional()
    {
        // k(z, y) = (zy + 1)^3: k(0,·) = 1, k(1,1) = 8. gen = {0, 0, 1}, ref = {1, 1}.
        // G = 6, S = [2,2,2], T = [2,2,16], C = 20, R = 8: MMD² = 6/6 + 8 − 2·20/6 = 7/3.
        // Leaving out a 0: (6−4)/2 + 8 − 2·18/4 = 0 → −7/3. Leaving out the 1 (the reference's point): 1 + 8 − 2 = 7 → 14/3.
        var (mmd, r) = Diversity.MmdReward([[0.0], [0.0], [1.0]], [[1.0], [1.0]]);
        Assert.Equal(7.0 / 3, mmd, 12);
        Close([-7.0 / 3, -7.0 / 3, 14.0 / 3], r);
    }

    [Fact]
    public void Mmd_OfTwoSamplesOfOneDistribution_IsNearZero_AndOfShiftedOnes_IsNot()
    {
        var rng = new Random(5);
        double[] Draw(double shift) => [shift + Gauss(rng), Gauss(rng), Gauss(rng)];
        var a = Enumerable.Range(0, 300).Select(_ => Draw(0)).ToList();
        var b = Enumerable.Range(0, 300).Select(_ => Draw(0)).ToList();
        var c = Enumerable.Range(0, 300).Select(_ => Draw(2)).ToList();
        double same = Diversity.MmdReward(a, b).Mmd2, shifted = Diversity.MmdReward(a, c).Mmd2;
        Assert.True(Math.Abs(same) < 0.05 * shifted, $"same {same}, shifted {shifted}");
    }

    private static double Gauss(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    [Fact]
    public void FrechetDistance_ByHand()
    {
        // 1-D: {0,2} has mean 1, variance 2; {1,5} mean 3, variance 8: (1−3)² + 2 + 8 − 2·√16 = 6.
        Assert.Equal(6.0, Diversity.FrechetDistance([[0.0], [2.0]], [[1.0], [5.0]]), 9);
        // 2-D, diagonal covariances 4/3 and 16/3: |(1,1) − (2,2)|² + 2·(4/3 + 16/3 − 2·8/3) = 2 + 8/3.
        double[][] a = [[0, 0], [2, 0], [0, 2], [2, 2]];
        double[][] b = [[0, 0], [4, 0], [0, 4], [4, 4]];
        Assert.Equal(2 + 8.0 / 3, Diversity.FrechetDistance(a, b), 9);
        // A rotation of both sets (non-diagonal covariances now) changes nothing.
        double c = Math.Cos(0.7), s = Math.Sin(0.7);
        double[][] Rot(double[][] x) => x.Select(p => new[] { c * p[0] - s * p[1], s * p[0] + c * p[1] }).ToArray();
        Assert.Equal(2 + 8.0 / 3, Diversity.FrechetDistance(Rot(a), Rot(b)), 9);
        Assert.Equal(0.0, Diversity.FrechetDistance(Rot(a), Rot(a)), 9);
    }

    [Fact]
    public void EnergyReward_ClampsAndCountsFailuresAsOne()
    {
        var batch = new RewardBatch(Enumerable.Range(0, 5).Select(_ => Crystal("Na", "Cl")).ToList())
        {
            EnergyAboveHullEv = [-0.05, 0.3, 2.0, null, double.NaN],
        };
        Close([0, -0.3, -1, -1, -1], new EnergyTerm(1, null).Compute(batch));
    }

    [Fact]
    public void Composite_WeightsNormalisesAndGates()
    {
        var nacl = Crystal("Na", "Cl");
        var ksne = Crystal("K", "S", "Ne"); // a noble gas in an ionic compound: not SMACT-valid
        var batch = new RewardBatch([nacl, nacl, ksne]) { GapsEv = [1.12, 2.12, 1.12], Creativity = [1.0, 0.0, 0.25] };
        var reward = CompositeReward.FromOptions(
            [new RewardComponentOptions { Kind = "target_gap", Weight = 2 }, new RewardComponentOptions { Kind = "creativity", Weight = 0.5, Normalize = "norm" }],
            targetEv: 1.12, beta: 1.0, smactGate: true, gatePenalty: -1);
        var (total, parts) = reward.Evaluate(batch);
        Close([2, 2 * Math.Exp(-1), 2], parts["target_gap"]);
        Close([0.5 * 1 / (1 + Eps), 0, 0.5 * 0.25 / (1 + Eps)], parts["creativity"]);
        Assert.Equal(2 + 0.5 / (1 + Eps), total[0], 12);
        Assert.Equal(2 * Math.Exp(-1), total[1], 12);
        Assert.Equal(-1, total[2]); // gated
        Assert.Equal(new HashSet<RewardInput> { RewardInput.Gap, RewardInput.Creativity }, reward.Requires);
    }

    [Fact]
    public void Composite_RefusesUnknownKindsAndMissingInputs()
    {
        Assert.Contains("unknown reward component 'beauty'", Assert.Throws<ArgumentException>(() =>
            CompositeReward.FromOptions([new RewardComponentOptions { Kind = "beauty" }], 1, 1)).Message);
        var reward = CompositeReward.FromOptions([new RewardComponentOptions { Kind = "energy" }], 1, 1);
        Assert.Contains("energies above the hull", Assert.Throws<InvalidOperationException>(() => reward.Evaluate(new RewardBatch([Crystal("Na", "Cl")]))).Message);
    }
}
