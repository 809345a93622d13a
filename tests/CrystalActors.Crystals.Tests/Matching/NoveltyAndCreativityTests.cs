using CrystalActors.Crystals.Matching;
using static CrystalActors.Crystals.Tests.Matching.MatchingFixtures;

namespace CrystalActors.Crystals.Tests.Matching;

public class NoveltyIndexTests
{
    [Fact]
    public void IsNovel_AgainstHandBuiltReference()
    {
        var rockSalt = RockSalt(Na, Cl, 5.64);
        var csclKcl = CsClType(K, Cl, 4.0);
        var val = Mp20Val.Records[1500].Structure!;
        var index = new NoveltyIndex([rockSalt, csclKcl, val]);
        Assert.Equal(3, index.Count);
        Assert.Equal(3, index.FormulaCount);
        Assert.True(index.ContainsFormula("NaCl"));
        Assert.False(index.ContainsFormula("NaBr"));

        // Known structures, however presented, are not novel.
        Assert.Same(rockSalt, index.FindMatch(Perturb(Rotate(rockSalt, new Vec3(0, 0, 1), 45), 0.02, 1)));
        Assert.False(index.IsNovel(ScaleVolume(csclKcl, 1.05)));
        Assert.False(index.IsNovel(Supercell(Permute(val, 2), 1, 2, 1)));
        // Same formula, other prototype: novel.
        Assert.True(index.IsNovel(CsClType(Na, Cl, 3.4)));
        Assert.True(index.IsNovel(RockSalt(K, Cl, 6.3)));
        // Formula absent from the reference: novel without any matching.
        Assert.True(index.IsNovel(RockSalt(Na, Element.FromSymbol("Br"), 6.0)));
        Assert.Empty(index.GetByFormula("NaBr"));
    }
}

public class CreativityRewardTests
{
    [Fact]
    public void Compute_UniqueNovelFlagsAndRewards_FollowChemeleon2()
    {
        var reference = new NoveltyIndex([RockSalt(Na, Cl, 5.64)]);
        var reward = new CreativityReward(reference);
        var cscl = CsClType(Na, Cl, 3.5);
        var batch = new[]
        {
            cscl,                                                        // 0: unique, novel -> 1
            Rotate(RockSalt(Na, Cl, 5.64), new Vec3(1, 1, 1), 20),       // 1: unique, known -> AMD distance to the reference (~0)
            Perturb(cscl, 0.01, 3),                                      // 2: duplicate of 0, novel -> AMD distance to 0 (small)
            Perturb(RockSalt(Na, Cl, 5.64), 0.02, 4),                    // 3: duplicate of 1, known -> 0
            RockSalt(K, Cl, 6.3),                                        // 4: formula not in reference -> 1
        };
        var r = reward.Compute(batch);
        Assert.Equal([true, true, false, false, true], r.IsUnique);
        Assert.Equal([true, false, true, false, true], r.IsNovel);
        Assert.Equal(1.0, r.Rewards[0]);
        Assert.InRange(r.Rewards[1], 0.0, 1e-6);
        Assert.InRange(r.Rewards[2], 1e-6, 0.02 + 1e-9); // every neighbour distance moves by at most 2 × 0.01 Å
        Assert.Equal(0.0, r.Rewards[3]);
        Assert.Equal(1.0, r.Rewards[4]);
        Assert.Equal(60.0, r.UniquePct, 1e-12);
        Assert.Equal(60.0, r.NovelPct, 1e-12);
        Assert.Equal(40.0, r.UniqueNovelPct, 1e-12);
    }

    [Fact]
    public void Compute_SecondExactCopy_IsNotUnique_AndGetsNothingWhenOnlyZeroDistancesRemain()
    {
        var reward = new CreativityReward(new NoveltyIndex([]));
        var s = Mp20Val.Records[42].Structure!;
        var r = reward.Compute([s, Permute(s, 9)]);
        Assert.Equal([true, false], r.IsUnique);
        Assert.Equal([true, true], r.IsNovel);
        Assert.Equal(1.0, r.Rewards[0]);
        Assert.Equal(0.0, r.Rewards[1], 1e-9); // its only candidate is the identical first copy
        Assert.Equal(50.0, r.UniquePct);
        Assert.Equal(100.0, r.NovelPct);
    }

    [Fact]
    public void Compute_KnownStructureAtAnotherDensity_FallbackIsClippedUnlessAskedNotTo()
    {
        // The matcher scales volumes, so rock salt at a = 8 Å matches the reference at 5.64 Å; their AMDs (in Å) are
        // far apart, so the fallback distance exceeds 1 Å.
        var reference = new NoveltyIndex([RockSalt(Na, Cl, 5.64)]);
        var batch = new[] { RockSalt(Na, Cl, 8.0) };
        var clipped = new CreativityReward(reference).Compute(batch);
        Assert.False(clipped.IsNovel[0]);
        Assert.Equal(1.0, clipped.Rewards[0]);
        var raw = new CreativityReward(reference, new CreativityRewardOptions { ClipFallback = false }).Compute(batch);
        Assert.True(raw.Rewards[0] > 1.0, $"{raw.Rewards[0]}");
    }

    [Fact]
    public void Compute_EmptyBatch_GivesNaNPercentages()
    {
        var r = new CreativityReward(new NoveltyIndex([])).Compute([]);
        Assert.Equal(0, r.Count);
        Assert.True(double.IsNaN(r.UniquePct));
        Assert.True(double.IsNaN(r.NovelPct));
    }
}
