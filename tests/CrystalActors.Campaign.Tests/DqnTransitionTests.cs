using CrystalActors.Learning.Environments.Skeletons;
using CrystalActors.Learning.Dqn;
using CrystalActors.Learning.Offline;
using CrystalActors.Tests.Shared;
using CrystalActors.Torch;

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

public class OnlineDqnTests
{
    /// <summary>
    /// A two-decision problem on KCl's 2-site skeleton with actions {Na, Cl}: Na first leads to a state where Na
    /// earns 1 (Cl 0); Cl first leads to one where both earn -0.5. The first decision carries no reward, so the
    /// greedy policy can only pick Na there through the bootstrapped value of the next state.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Update_PropagatesTheTerminalRewardThroughTheTargetNetwork(bool doubleDqn) => LearnsTheTwoDecisionProblem(doubleDqn, Device.CPU);

    /// <summary>The learner's GPU path (dqn.device = cuda): the same problem is learnt on CUDA.</summary>
    [CudaFact]
    public void Update_OnCuda_LearnsTheSameValues() => LearnsTheTwoDecisionProblem(doubleDqn: true, Device.Cuda());

    private static void LearnsTheTwoDecisionProblem(bool doubleDqn, Device device)
    {
        var options = new CampaignOptions
        {
            Skeleton = new SkeletonOptions { Data = SharedData.File("data", "mp20", "mp20_val.jsonl.gz"), MaterialIds = new[] { "mp-23289" } },
            Vocabulary = new[] { "Na", "Cl" },
        };
        var (skeletons, tasks) = CampaignContext.LoadTasks(options);
        var task = tasks[0];
        int na = task.VocabularyActions[0], cl = task.VocabularyActions[1];
        var order = task.NewEpisode(0).Order;
        int first = order[0], second = order[1];
        const byte U = 88;
        byte[] State(int? firstAction)
        {
            var s = new[] { U, U };
            if (firstAction is int a) s[first] = (byte)a;
            return s;
        }
        byte[] Final(int a, int b)
        {
            var s = State(a);
            s[second] = (byte)b;
            return s;
        }
        var s0 = State(null);
        var transitions = new[]
        {
            new Transition(0, s0, (byte)first, (byte)na, 0f, false, State(na), (byte)second, 1, 0),
            new Transition(0, s0, (byte)first, (byte)cl, 0f, false, State(cl), (byte)second, 1, 0),
            new Transition(0, State(na), (byte)second, (byte)na, 1f, true, Final(na, na), (byte)TrajectoryDataset.NoFocus, 1, 0),
            new Transition(0, State(na), (byte)second, (byte)cl, 0f, true, Final(na, cl), (byte)TrajectoryDataset.NoFocus, 1, 0),
            new Transition(0, State(cl), (byte)second, (byte)na, -0.5f, true, Final(cl, na), (byte)TrajectoryDataset.NoFocus, 1, 0),
            new Transition(0, State(cl), (byte)second, (byte)cl, -0.5f, true, Final(cl, cl), (byte)TrajectoryDataset.NoFocus, 1, 0),
        };
        var dqn = new DqnOptions { LearningRate = 3e-3, TargetUpdateEvery = 20, DoubleDqn = doubleDqn, Gamma = 0.9 };
        using var learner = new OnlineDqn(skeletons, task.VocabularyActions, 1.12, dqn, seed: 5, device);
        Assert.Equal(device, learner.Device);
        double loss = 0;
        for (int i = 0; i < 300; i++) (loss, _) = learner.Update(transitions);
        Assert.True(loss < 0.01, $"TD loss {loss} after 300 updates");
        var states = new IReadOnlyList<int>[] { s0.Select(x => (int)x).ToArray(), State(na).Select(x => (int)x).ToArray(), State(cl).Select(x => (int)x).ToArray() };
        var focus = new[] { first, second, second };
        var q = learner.QValues(new[] { 0, 0, 0 }, states, focus); // [state][Na, Cl]
        // Terminal values are the rewards; the first decision's are gamma * max Q(s1, .): 0.9 for Na, -0.45 for Cl.
        Assert.Equal(1.0, q[1][0], tolerance: 0.05);
        Assert.Equal(0.0, q[1][1], tolerance: 0.05);
        Assert.Equal(-0.5, q[2][0], tolerance: 0.05);
        Assert.Equal(-0.5, q[2][1], tolerance: 0.05);
        Assert.Equal(0.9, q[0][0], tolerance: 0.05);
        Assert.Equal(-0.45, q[0][1], tolerance: 0.05);
        var greedy = learner.Act(new[] { 0, 0, 0 }, states, focus, epsilon: 0, new Random(1));
        Assert.Equal(new[] { na, na, greedy[2] }, greedy);
    }
}
