using CrystalActors.Crystals;
using CrystalActors.Learning.Dqn;
using CrystalActors.Learning.Environments.Skeletons;
using CrystalActors.Learning.Offline;
using CrystalActors.Torch;
using CrystalActors.Torch.Optim;
using CrystalActors.Torch.Serialization;
using Serilog;

namespace CrystalActors.Learning.Grpo;

// GRPO (group relative policy optimisation; DeepSeekMath, Shao et al. 2024, as used in Chemeleon2's RL stage) for the
// skeleton-filling policy, top to bottom: the episode records, the policy (a masked softmax over the Q-network's 88
// outputs), group rollouts, the objective (group advantages, clipped surrogate, k3 KL, entropy) and the learner.

/// <summary>
/// What the learner needs of one episode: its decisions and the log-probability π_old(a | s) of each decision under
/// the policy that sampled it. Plain data, so that it can be rebuilt from a message on another node.
/// </summary>
/// <param name="Crystal">Index of the skeleton in the design task's dataset; episodes of one crystal form a group.</param>
/// <param name="LogProbs">log π_old of each step's action, at the sampling temperature (one per step).</param>
/// <param name="PolicyVersion">Weights version that played the episode (for staleness accounting).</param>
public sealed record GrpoTrajectory(int Crystal, IReadOnlyList<EpisodeStep> Steps, IReadOnlyList<float> LogProbs, long PolicyVersion);

/// <summary>An episode played by <see cref="GroupRollout"/>: the played episode (crystal, structure) and its log-probs.</summary>
public sealed record SampledEpisode(PlayedEpisode Played, IReadOnlyList<float> LogProbs)
{
    public GrpoTrajectory Trajectory => new(Played.Crystal, Played.Steps, LogProbs, Played.PolicyVersion);
}

/// <summary>
/// The stochastic design policy π(a | s) = softmax(Q(s, ·) / T) restricted to the task's vocabulary (every other
/// action's logit is −∞): the MEGNet Q-network of <see cref="DqnPolicy"/> read as logits. It loads and saves the same
/// weights as <see cref="DqnPolicy"/>, so an offline BC/CQL checkpoint or a DQN policy can start it (the softmax of
/// Q-values is a policy) and a GRPO policy can be acted on greedily by the DQN code. Each rollout generator owns one
/// (libtorch modules are not shared between threads).
/// </summary>
public sealed class GrpoPolicy : IDisposable
{
    private readonly DqnPolicy _q;
    private readonly int[] _vocabulary;

    public GrpoPolicy(TrajectoryDataset skeletons, IReadOnlyList<int> vocabularyActions, double targetGapEv, Device? device = null)
    {
        _q = new DqnPolicy(skeletons, vocabularyActions, targetGapEv, device);
        _vocabulary = vocabularyActions.ToArray();
    }

    /// <summary>The logits network (the project's one MEGNet, as <see cref="QNetwork"/>).</summary>
    public QNetwork Network => _q.Network;

    /// <summary>The same network as a <see cref="DqnPolicy"/>: its greedy action is the policy's mode (temperature 0).</summary>
    public DqnPolicy Greedy => _q;

    /// <summary>Version of the loaded weights (from the file's metadata; 0 for an offline checkpoint or fresh weights).</summary>
    public long Version => _q.Version;

    public Device Device => _q.Device;

    internal TransitionBatchBuilder Graphs => _q.Graphs;

    /// <summary>[88] bool, true where an action is outside the vocabulary.</summary>
    internal Tensor InvalidMask => _q.InvalidMask;

    internal Tensor OnDevice<T>(T[] values) where T : unmanaged => _q.OnDevice(values);

    /// <summary>The states of <paramref name="crystals"/> with these node types and focus sites (see <see cref="DqnPolicy.States"/>).</summary>
    internal StateTensors States(int[] crystals, IReadOnlyList<byte[]> nodeTypes, IReadOnlyList<int> focus) =>
        _q.States(nodeTypes, focus, Graphs.BuildGlobals(crystals), Graphs.BuildGraph(crystals));

    /// <summary>
    /// One action per live episode (88-space indices within the vocabulary) and its log-probability, sampled from
    /// softmax(logits / <paramref name="temperature"/>) with all episodes in one batched forward pass.
    /// </summary>
    public (int[] Actions, float[] LogProbs) Sample(IReadOnlyList<int> crystals, IReadOnlyList<IReadOnlyList<int>> nodeTypes, IReadOnlyList<int> focus,
        double temperature, Random rng)
    {
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "sampling temperature must be > 0");
        var logp = LogProbabilities(crystals, nodeTypes, focus, temperature);
        var actions = new int[crystals.Count];
        var logProbs = new float[crystals.Count];
        for (int i = 0; i < crystals.Count; i++)
        {
            // Inverse CDF over the vocabulary only: a masked action has probability exactly 0 and is never visited.
            double u = rng.NextDouble(), cumulative = 0;
            int row = i * ActionVocabulary.Count, chosen = -1;
            foreach (int a in _vocabulary)
            {
                if (float.IsNegativeInfinity(logp[row + a])) continue;
                chosen = a; // the last action with p > 0 takes the rounding remainder
                cumulative += Math.Exp(logp[row + a]);
                if (u < cumulative) break;
            }
            actions[i] = chosen;
            logProbs[i] = logp[row + chosen];
        }
        return (actions, logProbs);
    }

    /// <summary>Sampled actions as <see cref="Sample"/>; temperature 0 = the greedy (masked argmax) action.</summary>
    public int[] Act(IReadOnlyList<int> crystals, IReadOnlyList<IReadOnlyList<int>> nodeTypes, IReadOnlyList<int> focus, double temperature, Random rng)
    {
        if (temperature > 0) return Sample(crystals, nodeTypes, focus, temperature, rng).Actions;
        if (temperature < 0 || double.IsNaN(temperature)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be >= 0");
        using var scope = DisposeScope.Open();
        using var noGrad = NoGradScope.Enter();
        var best = _q.Forward(crystals.ToArray(), nodeTypes, focus).MaskedFill(InvalidMask, double.NegativeInfinity).ArgMax(1).ToArray<long>();
        return best.Select(a => (int)a).ToArray();
    }

    /// <summary>π(a | s) of each state for every one of the 88 actions (0 outside the vocabulary), [state][action].</summary>
    public float[][] Probabilities(IReadOnlyList<int> crystals, IReadOnlyList<IReadOnlyList<int>> nodeTypes, IReadOnlyList<int> focus, double temperature)
    {
        var logp = LogProbabilities(crystals, nodeTypes, focus, temperature);
        return Enumerable.Range(0, crystals.Count)
            .Select(i => logp.AsSpan(i * ActionVocabulary.Count, ActionVocabulary.Count).ToArray().Select(MathF.Exp).ToArray()).ToArray();
    }

    /// <summary>log π [B * 88], row-major, −∞ outside the vocabulary.</summary>
    private float[] LogProbabilities(IReadOnlyList<int> crystals, IReadOnlyList<IReadOnlyList<int>> nodeTypes, IReadOnlyList<int> focus, double temperature)
    {
        using var scope = DisposeScope.Open();
        using var noGrad = NoGradScope.Enter();
        var logits = _q.Forward(crystals.ToArray(), nodeTypes, focus);
        return GrpoObjective.LogPolicy(logits, InvalidMask, temperature).ToArray<float>();
    }

    /// <summary>Loads published weights or an offline checkpoint, exactly as <see cref="DqnPolicy.Load"/>.</summary>
    public void Load(string path) => _q.Load(path);

    public void Dispose() => _q.Dispose();
}

/// <summary>Plays groups of episodes side by side, so that each step is one batched forward pass (as <see cref="EpisodeRunner"/>).</summary>
public static class GroupRollout
{
    /// <param name="tasks">One design task per skeleton crystal of the policy's dataset, in the same order.</param>
    /// <param name="crystals">The skeleton of each group.</param>
    /// <param name="orderIndex">The breadth-first order each group follows (all its episodes fill the same order).</param>
    /// <returns>groupSize episodes per group, group k at [k * groupSize, (k + 1) * groupSize).</returns>
    public static IReadOnlyList<SampledEpisode> Play(GrpoPolicy policy, IReadOnlyList<DesignTask> tasks, IReadOnlyList<int> crystals,
        IReadOnlyList<int> orderIndex, int groupSize, double temperature, Random rng)
    {
        if (groupSize < 1) throw new ArgumentOutOfRangeException(nameof(groupSize), groupSize, "group size must be >= 1");
        if (orderIndex.Count != crystals.Count) throw new ArgumentException($"{orderIndex.Count} order indices for {crystals.Count} groups", nameof(orderIndex));
        var crystalOf = crystals.SelectMany(c => Enumerable.Repeat(c, groupSize)).ToArray();
        var episodes = crystals.SelectMany((c, k) => Enumerable.Range(0, groupSize).Select(_ => tasks[c].NewEpisode(orderIndex[k]))).ToArray();
        var steps = episodes.Select(_ => new List<EpisodeStep>()).ToArray();
        var logProbs = episodes.Select(_ => new List<float>()).ToArray();
        while (true)
        {
            var live = Enumerable.Range(0, episodes.Length).Where(i => !episodes[i].Done).ToArray();
            if (live.Length == 0) break;
            var (actions, lp) = policy.Sample(live.Select(i => crystalOf[i]).ToList(), live.Select(i => episodes[i].NodeTypes).ToList(),
                live.Select(i => episodes[i].Focus).ToList(), temperature, rng);
            for (int k = 0; k < live.Length; k++)
            {
                steps[live[k]].Add(EpisodeStep.Take(episodes[live[k]], actions[k]));
                logProbs[live[k]].Add(lp[k]);
            }
        }
        return episodes.Select((e, i) => new SampledEpisode(new PlayedEpisode(crystalOf[i], e, steps[i], policy.Version), logProbs[i])).ToArray();
    }
}

/// <summary>The GRPO objective's pieces, as pure functions (tested against hand-computed values).</summary>
public static class GrpoObjective
{
    /// <summary>log π = log_softmax(logits / T) with every invalid action at −∞ ([B, 88], caller's scope).</summary>
    public static Tensor LogPolicy(Tensor logits, Tensor invalid, double temperature) =>
        (logits / temperature).MaskedFill(invalid, double.NegativeInfinity).LogSoftmax(1);

    /// <summary>
    /// Group-relative advantages of one group: A_i = (r_i − mean r) / (std r + ε) with the sample std (n − 1, as
    /// torch.std), or r_i − mean r when <paramref name="scaleByStd"/> is false. A group of one, or whose std is below
    /// ε (all rewards equal), has nothing to compare and gets 0 everywhere.
    /// </summary>
    public static double[] Advantages(IReadOnlyList<double> rewards, double epsilon = 1e-4, bool scaleByStd = true)
    {
        var (mean, std) = MeanStd(rewards);
        if (rewards.Count < 2 || std < epsilon) return new double[rewards.Count];
        return rewards.Select(r => scaleByStd ? (r - mean) / (std + epsilon) : r - mean).ToArray();
    }

    /// <summary>Advantages of many episodes, each compared within its group (the episodes of the same crystal).</summary>
    public static double[] GroupAdvantages(IReadOnlyList<int> groupOf, IReadOnlyList<double> rewards, double epsilon = 1e-4, bool scaleByStd = true)
    {
        var result = new double[rewards.Count];
        foreach (var group in Enumerable.Range(0, rewards.Count).GroupBy(i => groupOf[i]))
        {
            var members = group.ToArray();
            var a = Advantages(members.Select(i => rewards[i]).ToArray(), epsilon, scaleByStd);
            for (int k = 0; k < members.Length; k++) result[members[k]] = a[k];
        }
        return result;
    }

    /// <summary>Mean and sample standard deviation (n − 1; 0 for fewer than two values).</summary>
    public static (double Mean, double Std) MeanStd(IReadOnlyList<double> xs)
    {
        if (xs.Count == 0) return (double.NaN, double.NaN);
        double mean = xs.Average();
        double ss = xs.Sum(x => (x - mean) * (x - mean));
        return (mean, xs.Count > 1 ? Math.Sqrt(ss / (xs.Count - 1)) : 0);
    }

    /// <summary>
    /// The GRPO loss over a batch of S steps (caller's scope):
    /// <c>L = −mean_t min(ρ_t A_t, clip(ρ_t, 1 − ε, 1 + ε) A_t) + β mean_t k3_t − c mean_t H_t</c> with
    /// ρ = exp(log π(a) − log π_old(a)), k3 = exp(log π_ref(a) − log π(a)) − (log π_ref(a) − log π(a)) − 1 (an unbiased,
    /// non-negative estimate of KL(π ‖ π_ref)), and H the entropy of the masked softmax.
    /// </summary>
    /// <param name="logits">Network outputs [S, 88] (with gradient).</param>
    /// <param name="invalid">[88] bool, true outside the vocabulary.</param>
    /// <param name="actions">Actions taken [S] int64.</param>
    /// <param name="oldLogProbs">log π_old(a) recorded at rollout time [S].</param>
    /// <param name="refLogProbs">log π_ref(a) of the frozen reference [S].</param>
    /// <param name="advantages">Each step's episode advantage [S].</param>
    public static (Tensor Loss, Tensor Kl, Tensor Entropy, Tensor ClipFraction) Loss(Tensor logits, Tensor invalid, Tensor actions,
        Tensor oldLogProbs, Tensor refLogProbs, Tensor advantages, double temperature, double clipEpsilon, double klCoefficient, double entropyCoefficient)
    {
        var logPolicy = LogPolicy(logits, invalid, temperature);
        var logp = logPolicy.Gather(1, actions.Unsqueeze(1)).Squeeze(1);
        var ratio = (logp - oldLogProbs).Exp();
        var surrogate = (ratio * advantages).Minimum(ratio.Clamp(1 - clipEpsilon, 1 + clipEpsilon) * advantages);
        var toReference = refLogProbs - logp;
        var kl = toReference.Exp() - toReference - 1.0;
        // 0 · log 0 is 0: invalid actions contribute nothing (their −∞ log-probs are replaced before the product).
        var entropy = -(logPolicy.Exp() * logPolicy.MaskedFill(invalid, 0)).Sum(1);
        var loss = -surrogate.Mean() + klCoefficient * kl.Mean() - entropyCoefficient * entropy.Mean();
        Tensor clipFraction;
        using (NoGradScope.Enter()) clipFraction = (ratio - 1.0).Abs().Gt(clipEpsilon).To(ScalarType.Float32).Mean();
        return (loss, kl.Mean(), entropy.Mean(), clipFraction);
    }
}

/// <summary>What one update saw and did (for logs). Losses are means over its gradient steps, weighted by steps.</summary>
/// <param name="Components">Mean and std of each reward component, when the reward gave components.</param>
/// <param name="Kl">Mean k3 estimate of KL(π ‖ π_ref) over the steps, before each gradient step.</param>
/// <param name="ClipFraction">Fraction of steps whose ratio lay outside [1 − ε, 1 + ε].</param>
/// <param name="GradNorm">Mean gradient norm before clipping.</param>
public sealed record GrpoStats(long Update, int Groups, int Episodes, int Steps, double RewardMean, double RewardStd,
    IReadOnlyDictionary<string, (double Mean, double Std)> Components, double AdvantageMean, double AdvantageStd,
    double Kl, double Entropy, double ClipFraction, double Loss, double GradNorm)
{
    /// <summary>The figures under fixed names (charts/…, losses/…), e.g. for a TensorBoard writer.</summary>
    public IEnumerable<KeyValuePair<string, double>> Scalars()
    {
        yield return new("charts/reward_mean", RewardMean);
        yield return new("charts/reward_std", RewardStd);
        foreach (var (name, (mean, std)) in Components.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            yield return new($"charts/reward_{name}_mean", mean);
            yield return new($"charts/reward_{name}_std", std);
        }
        yield return new("charts/advantage_mean", AdvantageMean);
        yield return new("charts/advantage_std", AdvantageStd);
        yield return new("losses/loss", Loss);
        yield return new("losses/kl", Kl);
        yield return new("losses/entropy", Entropy);
        yield return new("losses/clip_fraction", ClipFraction);
        yield return new("losses/grad_norm", GradNorm);
    }
}

/// <summary>
/// The GRPO learner: a policy (<see cref="GrpoPolicy"/>), a frozen reference copy of its starting weights, Adam.
/// <see cref="Update"/> takes scored episodes, groups them by skeleton, turns rewards into group-relative advantages
/// that every step of an episode shares (outcome supervision), and takes <see cref="GrpoOptions.Epochs"/> ×
/// <see cref="GrpoOptions.Minibatches"/> clipped gradient steps on them. No value network, no replay buffer: episodes
/// are used for one update and dropped.
/// </summary>
public sealed class GrpoLearner : IDisposable
{
    private readonly Adam _optimizer;
    private readonly TrajectoryDataset _skeletons;
    private readonly IReadOnlyList<int> _vocabularyActions;
    private readonly double _targetGapEv;

    public GrpoOptions Options { get; }
    public GrpoPolicy Policy { get; }
    /// <summary>The frozen reference policy π_ref of the KL term (the starting weights unless <see cref="LoadReference"/>).</summary>
    public QNetwork Reference { get; }
    /// <summary>Updates done (one per <see cref="Update"/> call).</summary>
    public long Updates { get; private set; }
    /// <summary>Gradient steps taken (Epochs × Minibatches per update).</summary>
    public long GradientSteps { get; private set; }
    public Device Device => Policy.Device;

    /// <param name="skeletons">The task's skeleton crystals (their true species are not used).</param>
    /// <param name="seed">Seeds libtorch's generator (the initial weights).</param>
    /// <param name="device">Where the networks train (<see cref="GrpoOptions.Device"/>, resolved on the learner's node).</param>
    public GrpoLearner(TrajectoryDataset skeletons, IReadOnlyList<int> vocabularyActions, double targetGapEv, GrpoOptions options, ulong seed,
        Device? device = null)
    {
        options.Validate();
        Options = options;
        _skeletons = skeletons;
        _vocabularyActions = vocabularyActions.ToArray();
        _targetGapEv = targetGapEv;
        Torch.Torch.ManualSeed(seed);
        Policy = new GrpoPolicy(skeletons, vocabularyActions, targetGapEv, device);
        Reference = new QNetwork(conditioned: true);
        Reference.To(Policy.Device);
        Reference.CopyFrom(Policy.Network);
        _optimizer = new Adam(Policy.Network.Parameters(), lr: options.LearningRate);
    }

    /// <summary><see cref="GrpoOptions.GroupSize"/> episodes per listed skeleton with the current policy (see <see cref="GroupRollout.Play"/>).</summary>
    public IReadOnlyList<SampledEpisode> Play(IReadOnlyList<DesignTask> tasks, IReadOnlyList<int> crystals, IReadOnlyList<int> orderIndex, Random rng) =>
        GroupRollout.Play(Policy, tasks, crystals, orderIndex, Options.GroupSize, Options.Temperature, rng);

    /// <summary>
    /// One GRPO update on scored episodes. Groups are the episodes of the same crystal (G of them each, normally).
    /// </summary>
    /// <param name="rewards">Each episode's total reward.</param>
    /// <param name="components">Optional named parts of the reward, one value per episode each (logged only).</param>
    public GrpoStats Update(IReadOnlyList<GrpoTrajectory> episodes, IReadOnlyList<double> rewards, IReadOnlyDictionary<string, double[]>? components = null)
    {
        if (episodes.Count == 0) throw new ArgumentException("no episodes to learn from", nameof(episodes));
        if (rewards.Count != episodes.Count) throw new ArgumentException($"{rewards.Count} rewards for {episodes.Count} episodes", nameof(rewards));
        if (rewards.Any(r => !double.IsFinite(r))) throw new ArgumentException("rewards must be finite", nameof(rewards));
        foreach (var (name, values) in components ?? new Dictionary<string, double[]>())
            if (values.Length != episodes.Count) throw new ArgumentException($"reward component '{name}' has {values.Length} values for {episodes.Count} episodes", nameof(components));
        foreach (var e in episodes)
            if (e.Steps.Count == 0 || e.LogProbs.Count != e.Steps.Count)
                throw new ArgumentException($"an episode of crystal {e.Crystal} has {e.Steps.Count} steps and {e.LogProbs.Count} log-probs", nameof(episodes));

        // ALGO LOGIC: group-relative advantages; every step of an episode gets its episode's (outcome supervision)
        var advantages = GrpoObjective.GroupAdvantages(episodes.Select(e => e.Crystal).ToArray(), rewards, Options.AdvantageEpsilon, Options.ScaleAdvantagesByStd);

        using var scope = DisposeScope.Open();
        int chunks = Math.Min(Options.Minibatches, episodes.Count);
        var batches = Enumerable.Range(0, chunks).Select(k =>
        {
            int start = (int)((long)episodes.Count * k / chunks), end = (int)((long)episodes.Count * (k + 1) / chunks);
            return BuildBatch(episodes, advantages, start, end);
        }).ToArray();
        // π_ref is frozen and the states are fixed: its log-probs are computed once per update.
        using (NoGradScope.Enter())
            foreach (var b in batches)
                b.RefLogProbs = GrpoObjective.LogPolicy(Reference.Forward(b.State), Policy.InvalidMask, Options.Temperature)
                    .Gather(1, b.Actions.Unsqueeze(1)).Squeeze(1);

        double loss = 0, kl = 0, entropy = 0, clip = 0, gradNorm = 0;
        long weight = 0;
        int gradientSteps = 0;
        for (int epoch = 0; epoch < Options.Epochs; epoch++)
        {
            foreach (var b in batches)
            {
                using var step = DisposeScope.Open();
                var logits = Policy.Network.Forward(b.State);
                var terms = GrpoObjective.Loss(logits, Policy.InvalidMask, b.Actions, b.OldLogProbs, b.RefLogProbs!, b.Advantages,
                    Options.Temperature, Options.ClipEpsilon, Options.KlCoefficient, Options.EntropyCoefficient);
                _optimizer.ZeroGrad();
                terms.Loss.Backward();
                gradNorm += GradClip.ClipGradNorm(Policy.Network.Parameters(), Options.MaxGradNorm);
                _optimizer.Step();
                int n = b.StepCount;
                loss += n * terms.Loss.Item(); kl += n * terms.Kl.Item(); entropy += n * terms.Entropy.Item(); clip += n * terms.ClipFraction.Item();
                weight += n;
                gradientSteps++;
            }
        }
        GradientSteps += gradientSteps;
        Updates++;

        // TRY NOT TO MODIFY: statistics and logging
        var (rMean, rStd) = GrpoObjective.MeanStd(rewards);
        var (aMean, aStd) = GrpoObjective.MeanStd(advantages);
        var parts = (components ?? new Dictionary<string, double[]>()).ToDictionary(c => c.Key, c => GrpoObjective.MeanStd(c.Value));
        var stats = new GrpoStats(Updates, episodes.Select(e => e.Crystal).Distinct().Count(), episodes.Count, (int)(weight / Options.Epochs),
            rMean, rStd, parts, aMean, aStd, kl / weight, entropy / weight, clip / weight, loss / weight, gradNorm / gradientSteps);
        Log.Debug("GRPO update {Update}: reward {RewardMean:F4} ± {RewardStd:F4}, advantage {AdvantageMean:F3} ± {AdvantageStd:F3}, " +
                  "KL {Kl:G3}, entropy {Entropy:F3}, clip {ClipFraction:F3}, loss {Loss:G4}", stats.Update, stats.RewardMean, stats.RewardStd,
            stats.AdvantageMean, stats.AdvantageStd, stats.Kl, stats.Entropy, stats.ClipFraction, stats.Loss);
        return stats;
    }

    /// <summary>The tensors of episodes [start, end): all their steps as one batch of states (the update's scope).</summary>
    private StepBatch BuildBatch(IReadOnlyList<GrpoTrajectory> episodes, double[] advantages, int start, int end)
    {
        var crystals = new List<int>();
        var nodeTypes = new List<byte[]>();
        var focus = new List<int>();
        var actions = new List<long>();
        var old = new List<float>();
        var adv = new List<float>();
        for (int i = start; i < end; i++)
        {
            var e = episodes[i];
            for (int t = 0; t < e.Steps.Count; t++)
            {
                var s = e.Steps[t];
                crystals.Add(e.Crystal);
                nodeTypes.Add(s.NodeTypes);
                focus.Add(s.Focus);
                actions.Add(s.Action);
                old.Add(e.LogProbs[t]);
                adv.Add((float)advantages[i]);
            }
        }
        var c = crystals.ToArray();
        var state = Policy.States(c, nodeTypes, focus);
        return new StepBatch(state, Policy.OnDevice(actions.ToArray()), Policy.OnDevice(old.ToArray()), Policy.OnDevice(adv.ToArray()), c.Length);
    }

    private sealed record StepBatch(StateTensors State, Tensor Actions, Tensor OldLogProbs, Tensor Advantages, int StepCount)
    {
        public Tensor? RefLogProbs { get; set; }
    }

    /// <summary>Saves the policy's weights in <see cref="DqnPolicy"/>'s format with a version (a policy version in the content store).</summary>
    public void SavePolicy(string path, long version) =>
        SafeTensors.Save(path, Policy.Network, new Dictionary<string, string>
        {
            ["kind"] = "grpo-policy", ["version"] = version.ToString(), ["updates"] = Updates.ToString(), ["steps"] = GradientSteps.ToString(),
        });

    /// <summary>Starts from saved weights (a DQN/GRPO policy file or an offline BC/CQL checkpoint); they are also the reference.</summary>
    public void LoadPolicy(string path)
    {
        Policy.Load(path);
        Reference.CopyFrom(Policy.Network);
    }

    /// <summary>Replaces the reference policy of the KL term by other weights (same formats as <see cref="LoadPolicy"/>).</summary>
    public void LoadReference(string path)
    {
        using var other = new GrpoPolicy(_skeletons, _vocabularyActions, _targetGapEv, Device);
        other.Load(path);
        Reference.CopyFrom(other.Network);
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        Policy.Dispose();
        Reference.Dispose();
    }
}
