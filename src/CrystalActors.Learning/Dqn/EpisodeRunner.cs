using CrystalActors.Learning.Environments.Skeletons;
using CrystalActors.Crystals;
using CrystalActors.Learning.Offline;

namespace CrystalActors.Learning.Dqn;

/// <summary>One decision of an episode: the state before it and the action taken.</summary>
public sealed record EpisodeStep(byte[] NodeTypes, byte Focus, byte Action, byte NextFocus)
{
    /// <summary>Fills <paramref name="episode"/>'s focus site with <paramref name="action"/> and records the step (state before, action, next focus).</summary>
    public static EpisodeStep Take(DesignEpisode episode, int action)
    {
        var before = episode.NodeTypes.Select(x => (byte)x).ToArray();
        byte focus = (byte)episode.Focus;
        episode.Apply(action);
        byte nextFocus = episode.Done ? (byte)TrajectoryDataset.NoFocus : (byte)episode.Focus;
        return new EpisodeStep(before, focus, (byte)action, nextFocus);
    }
}

/// <summary>A finished episode with its decisions, before its reward is known.</summary>
public sealed record PlayedEpisode(int Crystal, DesignEpisode Episode, IReadOnlyList<EpisodeStep> Steps, long PolicyVersion)
{
    /// <summary>
    /// The episode's n-step transitions for a terminal-only reward: step t leads to the state at t + n, or to the
    /// end of the episode with reward gamma^(T-1-t) * r when that comes first. n = 1 is textbook DQN; a larger n
    /// carries the terminal reward back n decisions per target-network period instead of one.
    /// </summary>
    public IEnumerable<Transition> Transitions(double terminalReward, int nStep = 1, double gamma = 0.99) =>
        TransitionsOf(Crystal, Steps, PolicyVersion, terminalReward, nStep, gamma);

    /// <summary>The transitions of any episode given by its decisions (also after it crossed a node as an EpisodeRecord).</summary>
    public static IEnumerable<Transition> TransitionsOf(int crystal, IReadOnlyList<EpisodeStep> steps, long policyVersion,
        double terminalReward, int nStep = 1, double gamma = 0.99)
    {
        if (nStep < 1) throw new ArgumentOutOfRangeException(nameof(nStep), nStep, "n-step must be >= 1");
        int count = steps.Count;
        var final = (byte[])steps[count - 1].NodeTypes.Clone();
        final[steps[count - 1].Focus] = steps[count - 1].Action;
        for (int t = 0; t < count; t++)
        {
            var s = steps[t];
            int reach = t + nStep;
            if (reach >= count)
            {
                float reward = (float)(Math.Pow(gamma, count - 1 - t) * terminalReward);
                yield return new Transition(crystal, s.NodeTypes, s.Focus, s.Action, reward, true, final,
                    (byte)TrajectoryDataset.NoFocus, (byte)(count - t), policyVersion);
            }
            else
            {
                yield return new Transition(crystal, s.NodeTypes, s.Focus, s.Action, 0f, false, steps[reach].NodeTypes,
                    steps[reach].Focus, (byte)nStep, policyVersion);
            }
        }
    }
}

/// <summary>Plays many episodes side by side so that each step is one batched forward pass.</summary>
public static class EpisodeRunner
{
    /// <param name="tasks">One design task per skeleton crystal of the policy's dataset, in the same order.</param>
    /// <param name="crystals">Which task each parallel episode designs.</param>
    /// <param name="orderIndex">Which breadth-first order each episode follows.</param>
    public static IReadOnlyList<PlayedEpisode> Play(DqnPolicy policy, IReadOnlyList<DesignTask> tasks, IReadOnlyList<int> crystals,
        IReadOnlyList<int> orderIndex, double epsilon, Random rng)
    {
        var episodes = crystals.Select((c, i) => tasks[c].NewEpisode(orderIndex[i])).ToArray();
        var steps = episodes.Select(_ => new List<EpisodeStep>()).ToArray();
        while (true)
        {
            var live = Enumerable.Range(0, episodes.Length).Where(i => !episodes[i].Done).ToArray();
            if (live.Length == 0) break;
            var actions = policy.Act(live.Select(i => crystals[i]).ToList(), live.Select(i => episodes[i].NodeTypes).ToList(),
                live.Select(i => episodes[i].Focus).ToList(), epsilon, rng);
            for (int k = 0; k < live.Length; k++) steps[live[k]].Add(EpisodeStep.Take(episodes[live[k]], actions[k]));
        }
        return episodes.Select((e, i) => new PlayedEpisode(crystals[i], e, steps[i], policy.Version)).ToArray();
    }
}
