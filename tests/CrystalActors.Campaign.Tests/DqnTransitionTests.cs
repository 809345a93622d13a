using CrystalActors.Campaign.Design;
using CrystalActors.Campaign.Dqn;
using CrystalActors.Learning.Offline;

namespace CrystalActors.Campaign.Tests;

public class DqnTransitionTests
{
    /// <summary>Plays NaCl's 4-site skeleton with fixed actions, recording steps as the episode runner does.</summary>
    private static PlayedEpisode PlayRockSalt()
    {
        var episode = new DesignTask(DesignEpisodeTests.RockSalt(), new[] { "Na", "Cl" }, 1.12).NewEpisode(0);
        var steps = new List<EpisodeStep>();
        var actions = new[] { 3, 16, 3, 16 };
        for (int t = 0; !episode.Done; t++)
        {
            var before = episode.NodeTypes.Select(x => (byte)x).ToArray();
            byte focus = (byte)episode.Focus;
            episode.Apply(actions[t]);
            steps.Add(new EpisodeStep(before, focus, (byte)actions[t], episode.Done ? (byte)TrajectoryDataset.NoFocus : (byte)episode.Focus));
        }
        return new PlayedEpisode(0, episode, steps, PolicyVersion: 7);
    }

    [Fact]
    public void OneStep_LeadsToTheNextState_WithTheRewardOnTheLastStepOnly()
    {
        var played = PlayRockSalt();
        var ts = played.Transitions(0.8, nStep: 1, gamma: 0.9).ToArray();
        Assert.Equal(4, ts.Length);
        for (int t = 0; t < 3; t++)
        {
            Assert.False(ts[t].Done);
            Assert.Equal(0f, ts[t].Reward);
            Assert.Equal(1, ts[t].Horizon);
            Assert.Same(played.Steps[t + 1].NodeTypes, ts[t].NextNodeTypes);
            Assert.Equal(played.Steps[t + 1].Focus, ts[t].NextFocus);
            // The next state is this state with the action placed at the focus.
            var expected = (byte[])ts[t].NodeTypes.Clone();
            expected[ts[t].Focus] = ts[t].Action;
            Assert.Equal(expected, ts[t].NextNodeTypes);
        }
        Assert.True(ts[3].Done);
        Assert.Equal(0.8f, ts[3].Reward);
        Assert.Equal(new byte[] { 3, 3, 16, 16 }.OrderBy(x => x), ts[3].NextNodeTypes.OrderBy(x => x));
        Assert.All(ts, t => Assert.Equal(7, t.PolicyVersion));
    }

    [Fact]
    public void ThreeStep_DiscountsTheTerminalRewardBackToEveryStepThatReachesTheEnd()
    {
        var played = PlayRockSalt();
        var ts = played.Transitions(0.8, nStep: 3, gamma: 0.9).ToArray();
        // Step 0 bootstraps from the state 3 decisions later; steps 1-3 reach the end.
        Assert.False(ts[0].Done);
        Assert.Equal(0f, ts[0].Reward);
        Assert.Equal(3, ts[0].Horizon);
        Assert.Same(played.Steps[3].NodeTypes, ts[0].NextNodeTypes);
        Assert.Equal(played.Steps[3].Focus, ts[0].NextFocus);
        Assert.Equal(new[] { 0.9f * 0.9f * 0.8f, 0.9f * 0.8f, 0.8f }, ts.Skip(1).Select(t => t.Reward), new ToleranceComparer(1e-6f));
        Assert.All(ts.Skip(1), t => Assert.True(t.Done));
        Assert.All(ts.Skip(1), t => Assert.Equal(TrajectoryDataset.NoFocus, t.NextFocus));
    }

    [Fact]
    public void NStepLongerThanTheEpisode_IsTheMonteCarloReturn()
    {
        var ts = PlayRockSalt().Transitions(-1.0, nStep: 50, gamma: 0.5).ToArray();
        Assert.All(ts, t => Assert.True(t.Done));
        Assert.Equal(new[] { -0.125f, -0.25f, -0.5f, -1f }, ts.Select(t => t.Reward));
        Assert.Throws<ArgumentOutOfRangeException>(() => PlayRockSalt().Transitions(1.0, nStep: 0).ToArray());
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(float x) => 0;
    }
}
