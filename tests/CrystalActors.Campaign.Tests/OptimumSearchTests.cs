using CrystalActors.Learning.Environments.Skeletons;
using CrystalActors.Campaign.Reporting;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Graphs;

namespace CrystalActors.Campaign.Tests;

public class OptimumSearchTests
{
    // Cubic perovskite SrTiO3: Sr (1a), Ti (1b) and three O (3c) — three classes of equivalent sites.
    private static Structure Perovskite()
    {
        var e = (string s) => Element.FromSymbol(s);
        return Structure.FromSpecies(Lattice.Cubic(3.905), new[] { e("Sr"), e("Ti"), e("O"), e("O"), e("O") },
            new[] { new Vec3(0, 0, 0), new Vec3(0.5, 0.5, 0.5), new Vec3(0.5, 0.5, 0), new Vec3(0.5, 0, 0.5), new Vec3(0, 0.5, 0.5) }, "SrTiO3");
    }

    [Fact]
    public void SiteClasses_GroupSymmetryEquivalentSites()
    {
        var p = Perovskite();
        var classes = OptimumSearch.SiteClasses(p.Lattice, p.FracCoords);
        Assert.Equal(new[] { 0, 1, 2, 2, 2 }, classes);
    }

    [Fact]
    public void Search_FindsTheBruteForceOptimum_OfAnAdditiveGapModel()
    {
        // gap = sum over sites of c[site, element]: the best design need not be uniform over a site class, so the
        // local-search stage must find it. 4^5 = 1024 designs are few enough to check by brute force.
        var task = new DesignTask(Skeleton.FromStructure(Perovskite(), 221), new[] { "Li", "Na", "O", "F" }, targetGapEv: 1.12);
        var rng = new Random(3);
        var c = new double[5, 4];
        for (int s = 0; s < 5; s++)
            for (int v = 0; v < 4; v++) c[s, v] = rng.NextDouble() * 0.2; // gaps < 1 eV: the bound 1 is out of reach
        double Gap(int[] a) => Enumerable.Range(0, 5).Sum(s => c[s, a[s]]);
        int calls = 0;
        double[] Gaps(IReadOnlyList<int[]> xs) { calls++; return xs.Select(Gap).ToArray(); }

        double bruteBest = double.NegativeInfinity;
        for (int n = 0; n < 1024; n++)
        {
            var a = Enumerable.Range(0, 5).Select(s => (n >> (2 * s)) & 3).ToArray();
            bruteBest = Math.Max(bruteBest, OnlineReward.GapReward(Gap(a), 1.12, 1.0));
        }
        var result = OptimumSearch.Run(task, Gaps, beta: 1.0);

        Assert.True(result.ExhaustiveOverClasses);
        Assert.Equal(3, result.SiteClasses);
        Assert.Equal(64, result.ClassAssignments);
        Assert.Equal(bruteBest, result.Reward, 12);
        Assert.Equal(OnlineReward.GapReward(result.GapEv, 1.12, 1.0), result.Reward, 12);
        Assert.Equal(5, result.Species.Count);
        Assert.True(calls > 1);
    }

    [Fact]
    public void GreedySection_ReportsTheFirstEvaluationAt90PercentOfTheOptimum()
    {
        var optimum = new OptimumResult(0.98, 1.0, "NaCl", new[] { "Na", "Cl" }, 2, 441, true, 441);
        var s = new CampaignState()
            .Apply(new GreedyEvaluated(100, 1000, 0.50, 0.7, "LiF", 3.0, 1))
            .Apply(new GreedyEvaluated(200, 2000, 0.89, 0.95, "NaCl", 1.2, 2))   // 0.89 >= 0.9 * 0.98 = 0.882
            .Apply(new GreedyEvaluated(300, 3000, 0.95, 0.98, "NaCl", 1.0, 3));
        var g = GreedyReportSection.From(s, optimum)!;
        Assert.Equal(3, g.Evaluations);
        Assert.Equal(2000, g.StepsTo90PercentOfOptimum);
        Assert.Equal(200, g.EpisodesTo90PercentOfOptimum);
        Assert.Equal(2000, g.BestOrderStepsTo90PercentOfOptimum); // 0.95 >= 0.882 first at 2000 (0.7 at 1000 is not)
        Assert.Equal(0.95, g.FinalMeanReward);
        Assert.Equal(0.98, g.OptimumReward);
        Assert.Equal(3, g.BestPolicyVersion);
        Assert.Equal(3000, g.BestPolicySteps);

        // A later, worse evaluation does not move the best policy.
        var after = GreedyReportSection.From(s.Apply(new GreedyEvaluated(400, 4000, 0.30, 0.40, "KBr", 2.0, 4)), optimum)!;
        Assert.Equal(0.30, after.FinalMeanReward);
        Assert.Equal(0.95, after.BestMeanReward);
        Assert.Equal(3, after.BestPolicyVersion);
        Assert.Equal("NaCl", after.BestPolicyFormula);

        var never = GreedyReportSection.From(new CampaignState().Apply(new GreedyEvaluated(100, 1000, 0.5, 0.5, "X", 0, 1)), optimum)!;
        Assert.Null(never.StepsTo90PercentOfOptimum);
        Assert.Null(GreedyReportSection.From(new CampaignState(), optimum));
    }
}
