using CrystalActors.Learning.Environments.Skeletons;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Graphs;

namespace CrystalActors.Campaign.Tests;

public class DesignEpisodeTests
{
    internal static Skeleton RockSalt()
    {
        var lattice = Lattice.Cubic(5.64);
        var species = new[] { Element.FromSymbol("Na"), Element.FromSymbol("Na"), Element.FromSymbol("Cl"), Element.FromSymbol("Cl") };
        var coords = new[] { new Vec3(0, 0, 0), new Vec3(0.5, 0.5, 0), new Vec3(0.5, 0, 0), new Vec3(0, 0.5, 0) };
        return Skeleton.FromStructure(Structure.FromSpecies(lattice, species, coords, "test"), 123);
    }

    [Fact]
    public void Episode_FillsSitesInBreadthFirstOrder_AndBuildsTheCrystal()
    {
        var task = new DesignTask(RockSalt(), new[] { "Na", "Cl", "K" }, 1.12);
        var episode = task.NewEpisode(0);
        Assert.Equal(4, episode.Order.Count);
        Assert.Equal(episode.Order.Distinct().Count(), episode.Order.Count);
        int na = ActionVocabulary.ActionIndexOf(Element.FromSymbol("Na"));
        int cl = ActionVocabulary.ActionIndexOf(Element.FromSymbol("Cl"));
        foreach (var site in episode.Order.ToArray())
        {
            Assert.Equal(site, episode.Focus);
            episode.Apply(site < 2 ? na : cl);
        }
        Assert.True(episode.Done);
        Assert.Equal(2, episode.DistinctElements);
        Assert.Equal("NaCl", episode.ToStructure().Composition.ReducedFormula);
        Assert.Throws<InvalidOperationException>(() => episode.Focus);
    }

    [Fact]
    public void Task_RejectsElementsOutsideThe88Actions()
    {
        var e = Assert.Throws<ArgumentException>(() => new DesignTask(RockSalt(), new[] { "Na", "Po" }, 1.12));
        Assert.Contains("Po", e.Message);
    }

    [Fact]
    public void Reward_MatchesThePaper()
    {
        Assert.Equal(1.0, OnlineReward.GapReward(1.12, 1.12, 1));
        Assert.Equal(Math.Exp(-0.25), OnlineReward.GapReward(1.62, 1.12, 1), 12);
        Assert.Equal(-1.0, OnlineReward.Terminal(6, 1.12, false, 1.12, 1));
        Assert.Equal(-1.0, OnlineReward.Terminal(2, null, true, 1.12, 1));
        Assert.Equal(Math.Exp(-1.12 * 1.12), OnlineReward.Terminal(2, 0.0, false, 1.12, 1), 12);
    }

    [Fact]
    public void Epsilon_DecaysExponentiallyToItsFloor()
    {
        var eps = new EpsilonSchedule(1.0, 0.001, 1e-5);
        Assert.Equal(1.0, eps.At(0), 12);
        Assert.Equal(0.001 + 0.999 * Math.Exp(-1), eps.At(100_000), 12);
        Assert.True(eps.At(10_000_000) < 0.0011);
    }
}
