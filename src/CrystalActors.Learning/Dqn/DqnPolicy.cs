using CrystalActors.Crystals;
using CrystalActors.Learning.Offline;
using CrystalActors.Models.Megnet;
using CrystalActors.Torch;
using CrystalActors.Torch.Serialization;

namespace CrystalActors.Learning.Dqn;

/// <summary>
/// A Q-network used for acting on one design task: epsilon-greedy over the task's vocabulary.
/// Each rollout generator owns one (libtorch modules are not shared between threads) and loads
/// the learner's published weights into it.
/// </summary>
public sealed class DqnPolicy : IDisposable
{
    private readonly int[] _vocabulary;

    public QNetwork Network { get; }
    internal TransitionBatchBuilder Graphs { get; }

    /// <summary>[88] bool, true where an action is outside the vocabulary.</summary>
    internal Tensor InvalidMask { get; }

    public long Version { get; private set; }

    /// <summary>Where the network and its inputs live (the learner's may be a GPU; generators act on the CPU).</summary>
    public Device Device { get; }

    public DqnPolicy(TrajectoryDataset skeletons, IReadOnlyList<int> vocabularyActions, double targetGapEv, Device? device = null)
    {
        _vocabulary = vocabularyActions.ToArray();
        Device = device ?? Device.CPU;
        Graphs = new TransitionBatchBuilder(skeletons, conditioned: true, targetGapEv, new float[skeletons.CrystalCount], Device);
        Network = new QNetwork(conditioned: true);
        Network.To(Device);
        var invalid = Enumerable.Repeat(true, ActionVocabulary.Count).ToArray();
        foreach (var a in _vocabulary) invalid[a] = false;
        InvalidMask = Tensor.From<bool>(invalid, new long[] { invalid.Length }, Device).DetachFromDisposeScope();
    }

    /// <summary>
    /// One action per live episode (88-space indices within the vocabulary): uniform over the
    /// vocabulary with probability <paramref name="epsilon"/>, else the masked argmax of Q, all
    /// greedy episodes in one batched forward pass.
    /// </summary>
    public int[] Act(IReadOnlyList<int> crystals, IReadOnlyList<IReadOnlyList<int>> nodeTypes, IReadOnlyList<int> focus, double epsilon, Random rng)
    {
        var actions = new int[crystals.Count];
        var greedy = new List<int>();
        for (int i = 0; i < crystals.Count; i++)
        {
            if (rng.NextDouble() < epsilon) actions[i] = _vocabulary[rng.Next(_vocabulary.Length)];
            else greedy.Add(i);
        }
        if (greedy.Count == 0) return actions;
        using var scope = DisposeScope.Open();
        using var noGrad = NoGradScope.Enter();
        var q = Forward(greedy.Select(i => crystals[i]).ToArray(), greedy.Select(i => nodeTypes[i]).ToArray(), greedy.Select(i => focus[i]).ToArray());
        var best = q.MaskedFill(InvalidMask, double.NegativeInfinity).ArgMax(1).ToArray<long>();
        for (int k = 0; k < greedy.Count; k++) actions[greedy[k]] = (int)best[k];
        return actions;
    }

    /// <summary>Q(s, a) of each state for each action of the vocabulary, in vocabulary order.</summary>
    public float[][] QValues(IReadOnlyList<int> crystals, IReadOnlyList<IReadOnlyList<int>> nodeTypes, IReadOnlyList<int> focus)
    {
        using var scope = DisposeScope.Open();
        using var noGrad = NoGradScope.Enter();
        var q = Forward(crystals.ToArray(), nodeTypes, focus).ToArray<float>();
        return Enumerable.Range(0, crystals.Count)
            .Select(i => _vocabulary.Select(a => q[i * ActionVocabulary.Count + a]).ToArray()).ToArray();
    }

    /// <summary>Q-values [B, 88] of a batch of states (caller's scope; also the logits of the GRPO policy).</summary>
    internal Tensor Forward(int[] crystals, IReadOnlyList<IReadOnlyList<int>> nodeTypes, IReadOnlyList<int> focus)
    {
        return Network.Forward(States(nodeTypes, focus, Graphs.BuildGlobals(crystals), Graphs.BuildGraph(crystals)));
    }

    /// <summary>States on <see cref="Device"/> (caller's scope): each state's node types with its focus site marked
    /// (<see cref="StateEncoding.MarkFocus"/>), on the given globals and graph of their crystals.</summary>
    internal StateTensors States<T>(IReadOnlyList<IReadOnlyList<T>> nodeTypes, IReadOnlyList<int> focus, Tensor globals, MegnetGraphBatch graph)
        where T : System.Numerics.IBinaryInteger<T> =>
        new(OnDevice(StateEncoding.ConcatWithFocus(nodeTypes, focus)), OnDevice(focus.Select(f => (long)f).ToArray()), globals, graph);

    /// <summary>A 1-D tensor of <paramref name="values"/> on <see cref="Device"/> (caller's scope).</summary>
    internal Tensor OnDevice<T>(T[] values) where T : unmanaged => Tensor.From<T>(values, new long[] { values.Length }, Device);

    /// <summary>
    /// Loads published weights (the version is read from the file's metadata), or the online network of an offline
    /// checkpoint — a file, or a training output folder's latest — as the start of an online campaign (Exp. 4 with an
    /// offline start). The offline network must be gap-conditioned: the online Q-network always reads the target gap.
    /// </summary>
    public void Load(string path)
    {
        if (Directory.Exists(path) || OfflineTrainer.IsCheckpoint(path))
        {
            var (offline, options, file) = OfflineTrainer.LoadPolicy(path);
            using (offline)
            {
                if (!options.Conditioned)
                    throw new InvalidDataException($"{file}: an unconditioned offline checkpoint ({options.Algorithm}) cannot start the online " +
                                                   "DQN, whose Q-network reads the target gap; train a conditioned one (offline train without --no-condition)");
                Network.CopyFrom(offline);
            }
            Version = 0;
            return;
        }
        var meta = Network.LoadWeights(path);
        Version = meta.TryGetValue("version", out var v) && long.TryParse(v, out var n) ? n : Version;
    }

    public void Dispose()
    {
        Network.Dispose();
        InvalidMask.Dispose();
    }
}
