using CrystalActors.Learning.Offline;
using CrystalActors.Crystals;
using CrystalActors.Torch;
using CrystalActors.Torch.Optim;
using CrystalActors.Torch.Serialization;

namespace CrystalActors.Learning.Dqn;

/// <summary>
/// Online DQN (Mnih et al. 2015) on the MEGNet Q-network of the offline learner: epsilon-greedy
/// acting restricted to the task's vocabulary, a replay buffer of n-step transitions, Huber TD loss against a
/// target network copied every <see cref="DqnOptions.TargetUpdateEvery"/> steps, double-DQN targets by default.
/// </summary>
public sealed class OnlineDqn : IDisposable
{
    private readonly TransitionBatchBuilder _graphs;
    private readonly DqnOptions _options;
    private readonly Adam _optimizer;
    private readonly DqnPolicy _policy;

    public QNetwork Online => _policy.Network;
    public QNetwork Target { get; }
    public long Steps { get; private set; }
    public Device Device => _policy.Device;

    /// <param name="skeletons">The task's skeleton crystals (their true species are not used).</param>
    /// <param name="device">Where the networks train (the learner's <see cref="DqnOptions.Device"/>, resolved on its node).</param>
    public OnlineDqn(TrajectoryDataset skeletons, IReadOnlyList<int> vocabularyActions, double targetGapEv, DqnOptions options, ulong seed,
        Device? device = null)
    {
        _options = options;
        Torch.Torch.ManualSeed(seed);
        _policy = new DqnPolicy(skeletons, vocabularyActions, targetGapEv, device);
        _graphs = _policy.Graphs;
        Target = new QNetwork(conditioned: true);
        Target.To(_policy.Device);
        Target.CopyFrom(Online);
        _optimizer = new Adam(Online.Parameters(), lr: options.LearningRate);
    }

    /// <summary>Epsilon-greedy actions with the online network (see <see cref="DqnPolicy.Act"/>).</summary>
    public int[] Act(IReadOnlyList<int> crystals, IReadOnlyList<IReadOnlyList<int>> nodeTypes, IReadOnlyList<int> focus, double epsilon, Random rng) =>
        _policy.Act(crystals, nodeTypes, focus, epsilon, rng);

    /// <summary>Q-values of the online network (see <see cref="DqnPolicy.QValues"/>).</summary>
    public float[][] QValues(IReadOnlyList<int> crystals, IReadOnlyList<IReadOnlyList<int>> nodeTypes, IReadOnlyList<int> focus) =>
        _policy.QValues(crystals, nodeTypes, focus);

    /// <summary>One gradient step on a sampled minibatch; returns the TD loss and the mean Q of the taken actions.</summary>
    public (double Loss, double MeanQ) Update(IReadOnlyList<Transition> batch)
    {
        using var scope = DisposeScope.Open();
        var crystals = batch.Select(t => t.Crystal).ToArray();
        var graph = _graphs.BuildGraph(crystals);
        var globals = _graphs.BuildGlobals(crystals);
        var state = _policy.States(batch.Select(t => t.NodeTypes).ToArray(), batch.Select(t => (int)t.Focus).ToArray(), globals, graph);
        var next = _policy.States(batch.Select(t => t.NextNodeTypes).ToArray(), batch.Select(t => (int)t.NextFocus).ToArray(), globals, graph);
        var actions = _policy.OnDevice(batch.Select(t => (long)t.Action).ToArray());
        var rewards = _policy.OnDevice(batch.Select(t => t.Reward).ToArray());
        // gamma^horizon for a bootstrapped transition, 0 for one that ends the episode.
        var discount = _policy.OnDevice(batch.Select(t => t.Done ? 0f : (float)Math.Pow(_options.Gamma, t.Horizon)).ToArray());

        Tensor target;
        using (NoGradScope.Enter())
        {
            var targetQ = Target.Forward(next).MaskedFill(_policy.InvalidMask, double.NegativeInfinity);
            Tensor nextQ;
            if (_options.DoubleDqn)
            {
                var choice = Online.Forward(next).MaskedFill(_policy.InvalidMask, double.NegativeInfinity).ArgMax(1, keepDim: true);
                nextQ = targetQ.Gather(1, choice).Squeeze(1);
            }
            else nextQ = targetQ.Max(1);
            // A terminal next state has no successor value; its -inf-free placeholder is multiplied away.
            nextQ = Tensor.Where(discount.Gt(0), nextQ, Tensor.Zeros(new long[] { batch.Count }, device: Device));
            target = rewards + discount * nextQ;
        }
        var q = Online.Forward(state).Gather(1, actions.Unsqueeze(1)).Squeeze(1);
        var loss = q.SmoothL1Loss(target);
        _optimizer.ZeroGrad();
        loss.Backward();
        GradClip.ClipGradNorm(Online.Parameters(), 10.0);
        _optimizer.Step();
        Steps++;
        if (Steps % _options.TargetUpdateEvery == 0) Target.CopyFrom(Online);
        return (loss.Item(), q.Mean().Item());
    }

    /// <summary>Saves the online network with its step count (a policy version in the content store).</summary>
    public void SavePolicy(string path, long version) =>
        SafeTensors.Save(path, Online, new Dictionary<string, string> { ["kind"] = "dqn-policy", ["version"] = version.ToString(), ["steps"] = Steps.ToString() });

    /// <summary>Starts from saved weights (e.g. the Exp. 1 policy for Exp. 4); the target network follows.</summary>
    public void LoadPolicy(string path)
    {
        _policy.Load(path);
        Target.CopyFrom(Online);
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _policy.Dispose();
        Target.Dispose();
    }
}
