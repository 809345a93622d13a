using CrystalActors.Crystals;
using CrystalActors.Models.Megnet;
using CrystalActors.Torch;

namespace CrystalActors.Learning.Offline;

/// <summary>
/// A batch of states on a shared graph: node types [N] (0..87 element, 88 unfilled, 89 the focus site: see
/// <see cref="StateEncoding.MarkFocus"/>), focus [B] and globals [B, G]; the
/// graph is the concatenated skeletons (edge features exp(−d²/2), no node or state inputs of its own). Its tensors
/// live in the caller's dispose scope.
/// </summary>
public sealed record StateTensors(Tensor NodeTypes, Tensor Focus, Tensor Globals, MegnetGraphBatch Graph);

/// <summary>A minibatch of transitions (s, a, r, s', done); s and s' share their graph.</summary>
public sealed record TransitionTensors(StateTensors State, StateTensors Next, Tensor Actions, Tensor Rewards, Tensor Dones);

/// <summary>
/// How the global state vector is built: the raw crystal globals scaled to order one (lengths / 10 Å, angles / 180°,
/// space-group number / 230) followed by the target band gap p̂ in eV when the policy is conditioned. The scaling
/// keeps the first dense layer in its working range; it is fixed, so checkpoints stay comparable.
/// </summary>
public static class StateEncoding
{
    private static readonly float[] Scale = { 0.1f, 0.1f, 0.1f, 1f / 180, 1f / 180, 1f / 180, 1f / 230 };

    public static int GlobalWidth(bool conditioned) => TrajectoryDataset.GlobalCount + (conditioned ? 1 : 0);

    public static void Write(ReadOnlySpan<float> raw, bool conditioned, float targetBandGap, Span<float> dst)
    {
        for (int k = 0; k < TrajectoryDataset.GlobalCount; k++) dst[k] = raw[k] * Scale[k];
        if (conditioned) dst[TrajectoryDataset.GlobalCount] = targetBandGap;
    }

    /// <summary>
    /// Gives the focus site of the state whose nodes start at <paramref name="nodeOffset"/> the node type
    /// <see cref="ActionVocabulary.FocusNodeType"/> (nothing for <see cref="TrajectoryDataset.NoFocus"/>, the state after
    /// the last step). Every builder of Q-network states calls this, so training, generation, online DQN and GRPO agree.
    /// </summary>
    public static void MarkFocus(Span<long> nodeTypes, int nodeOffset, long focus)
    {
        if (focus == TrajectoryDataset.NoFocus) return;
        if (nodeTypes[nodeOffset + (int)focus] != ActionVocabulary.UnfilledNodeType)
            throw new ArgumentException($"the focus site {focus} is filled already", nameof(focus));
        nodeTypes[nodeOffset + (int)focus] = ActionVocabulary.FocusNodeType;
    }

    /// <summary>The node types of several states concatenated, each with its focus site marked (see <see cref="MarkFocus"/>).</summary>
    public static long[] ConcatWithFocus<T>(IReadOnlyList<IReadOnlyList<T>> nodeTypes, IReadOnlyList<int> focus) where T : System.Numerics.IBinaryInteger<T>
    {
        var types = new long[nodeTypes.Sum(t => t.Count)];
        int offset = 0;
        for (int i = 0; i < nodeTypes.Count; i++)
        {
            for (int s = 0; s < nodeTypes[i].Count; s++) types[offset + s] = long.CreateTruncating(nodeTypes[i][s]);
            MarkFocus(types, offset, focus[i]);
            offset += nodeTypes[i].Count;
        }
        return types;
    }
}

/// <summary>
/// Assembles minibatches from a <see cref="TrajectoryDataset"/>'s flat arrays into reusable host buffers, then makes
/// one tensor per array (no per-step graph objects). Crystals are copied with their edge lists offset by the running
/// node count.
/// </summary>
public sealed class TransitionBatchBuilder
{
    private readonly TrajectoryDataset _data;
    private readonly bool _conditioned;
    // One target gap and one reward per crystal for each target the batch may mix (usually just one).
    private readonly float[] _targetGaps;
    private readonly float[][] _terminalRewards;
    private readonly Device _device;
    private readonly int _globalWidth;

    private long[] _nodeTypes = Array.Empty<long>(), _nextNodeTypes = Array.Empty<long>(), _nodeGraph = Array.Empty<long>();
    private long[] _edgeSrc = Array.Empty<long>(), _edgeDst = Array.Empty<long>(), _edgeGraph = Array.Empty<long>();
    private float[] _edgeFeature = Array.Empty<float>(), _invInDegree = Array.Empty<float>();

    /// <param name="terminalReward">Reward of each crystal of <paramref name="data"/> (given on the last step).</param>
    public TransitionBatchBuilder(TrajectoryDataset data, bool conditioned, double targetBandGap, float[] terminalReward, Device? device = null)
        : this(data, conditioned, [targetBandGap], [terminalReward], device)
    {
    }

    /// <summary>A builder whose transitions may each be labelled for another target (see <see cref="Build(ReadOnlySpan{int}, ReadOnlySpan{byte})"/>):
    /// p̂ = <paramref name="targetBandGaps"/>[k] in the state and <paramref name="terminalRewards"/>[k] as the reward.</summary>
    public TransitionBatchBuilder(TrajectoryDataset data, bool conditioned, IReadOnlyList<double> targetBandGaps, IReadOnlyList<float[]> terminalRewards,
        Device? device = null)
    {
        if (targetBandGaps.Count == 0 || targetBandGaps.Count != terminalRewards.Count || targetBandGaps.Count > byte.MaxValue)
            throw new ArgumentException($"{targetBandGaps.Count} targets with {terminalRewards.Count} reward vectors", nameof(terminalRewards));
        foreach (var r in terminalRewards)
            if (r.Length != data.CrystalCount)
                throw new ArgumentException($"{r.Length} rewards for {data.CrystalCount} crystals", nameof(terminalRewards));
        _data = data;
        _conditioned = conditioned;
        _targetGaps = targetBandGaps.Select(g => (float)g).ToArray();
        _terminalRewards = [.. terminalRewards];
        _device = device ?? Device.CPU;
        _globalWidth = StateEncoding.GlobalWidth(conditioned);
    }

    /// <summary>Terminal rewards of every crystal of <paramref name="data"/> under <paramref name="reward"/>.</summary>
    public static float[] TerminalRewards(TrajectoryDataset data, RewardOptions reward) =>
        Enumerable.Range(0, data.CrystalCount).Select(c => (float)reward.Reward(data.FormationEnergyPerAtom[c], data.BandGap[c],
            float.IsNaN(data.TotalEnergy[c]) ? null : data.TotalEnergy[c])).ToArray();

    private void Ensure(int nodes, int edges)
    {
        if (_nodeTypes.Length < nodes)
        {
            int n = Math.Max(nodes, _nodeTypes.Length * 2);
            _nodeTypes = new long[n]; _nextNodeTypes = new long[n]; _nodeGraph = new long[n]; _invInDegree = new float[n];
        }
        if (_edgeSrc.Length < edges)
        {
            int n = Math.Max(edges, _edgeSrc.Length * 2);
            _edgeSrc = new long[n]; _edgeDst = new long[n]; _edgeGraph = new long[n]; _edgeFeature = new float[n];
        }
    }

    /// <summary>The transitions with the given indices (into <see cref="TrajectoryDataset.TransitionEpisode"/>), for the first target.</summary>
    public TransitionTensors Build(ReadOnlySpan<int> transitions) => Build(transitions, default);

    /// <summary>The transitions with the given indices, transition i labelled for target <paramref name="targets"/>[i] (empty: the first).</summary>
    public TransitionTensors Build(ReadOnlySpan<int> transitions, ReadOnlySpan<byte> targets)
    {
        if (!targets.IsEmpty && targets.Length != transitions.Length)
            throw new ArgumentException($"{targets.Length} target indices for {transitions.Length} transitions", nameof(targets));
        var d = _data;
        int b = transitions.Length, nodes = 0, edges = 0;
        foreach (int tr in transitions)
        {
            int c = d.EpisodeCrystal[d.TransitionEpisode[tr]];
            nodes += d.NumSites(c);
            edges += d.NumEdges(c);
        }
        Ensure(nodes, edges);
        var focus = new long[b];
        var nextFocus = new long[b];
        var actions = new long[b];
        var rewards = new float[b];
        var dones = new float[b];
        var globals = new float[b * _globalWidth];
        var invNodes = new float[b];
        var invEdges = new float[b];
        int nOff = 0, eOff = 0;
        for (int i = 0; i < b; i++)
        {
            int tr = transitions[i];
            int ep = d.TransitionEpisode[tr], t = d.TransitionStep[tr], c = d.EpisodeCrystal[ep];
            int n = d.NumSites(c);
            int k = targets.IsEmpty ? 0 : targets[i];
            var order = d.Order(ep);
            var act = d.Actions(c);
            for (int s = 0; s < n; s++)
            {
                _nodeTypes[nOff + s] = ActionVocabularyUnfilled;
                _nextNodeTypes[nOff + s] = ActionVocabularyUnfilled;
                _nodeGraph[nOff + s] = i;
                _invInDegree[nOff + s] = 0;
            }
            for (int j = 0; j < t; j++)
            {
                _nodeTypes[nOff + order[j]] = act[order[j]];
                _nextNodeTypes[nOff + order[j]] = act[order[j]];
            }
            _nextNodeTypes[nOff + order[t]] = act[order[t]];
            focus[i] = order[t];
            nextFocus[i] = t + 1 < n ? order[t + 1] : TrajectoryDataset.NoFocus;
            StateEncoding.MarkFocus(_nodeTypes, nOff, focus[i]);
            StateEncoding.MarkFocus(_nextNodeTypes, nOff, nextFocus[i]);
            actions[i] = act[order[t]];
            bool last = t == n - 1;
            dones[i] = last ? 1 : 0;
            rewards[i] = last ? _terminalRewards[k][c] : 0;
            StateEncoding.Write(d.Globals.AsSpan(TrajectoryDataset.GlobalCount * c, TrajectoryDataset.GlobalCount), _conditioned, _targetGaps[k],
                globals.AsSpan(i * _globalWidth, _globalWidth));
            eOff = AppendEdges(c, i, nOff, eOff);
            invNodes[i] = 1f / n;
            invEdges[i] = d.NumEdges(c) > 0 ? 1f / d.NumEdges(c) : 0f;
            nOff += n;
        }
        var graph = MakeGraph(b, nodes, edges, invNodes, invEdges);
        var state = new StateTensors(Tensor.From<long>(_nodeTypes.AsSpan(0, nodes), new long[] { nodes }, _device),
            Tensor.From<long>(focus, new long[] { b }, _device), Tensor.From<float>(globals, new long[] { b, _globalWidth }, _device), graph);
        var next = new StateTensors(Tensor.From<long>(_nextNodeTypes.AsSpan(0, nodes), new long[] { nodes }, _device),
            Tensor.From<long>(nextFocus, new long[] { b }, _device), state.Globals, graph);
        return new TransitionTensors(state, next, Tensor.From<long>(actions, new long[] { b }, _device),
            Tensor.From<float>(rewards, new long[] { b }, _device), Tensor.From<float>(dones, new long[] { b }, _device));
    }

    private const int ActionVocabularyUnfilled = CrystalActors.Crystals.ActionVocabulary.UnfilledNodeType;

    private int AppendEdges(int crystal, int graph, int nodeOffset, int eOff)
    {
        var d = _data;
        int e0 = d.EdgeOffset[crystal], ne = d.NumEdges(crystal);
        for (int k = 0; k < ne; k++)
        {
            int dst = nodeOffset + d.EdgeDst[e0 + k];
            _edgeSrc[eOff + k] = nodeOffset + d.EdgeSrc[e0 + k];
            _edgeDst[eOff + k] = dst;
            _edgeGraph[eOff + k] = graph;
            _edgeFeature[eOff + k] = d.EdgeFeature[e0 + k];
            _invInDegree[dst] += 1;
        }
        return eOff + ne;
    }

    private MegnetGraphBatch MakeGraph(int b, int nodes, int edges, float[] invNodes, float[] invEdges)
    {
        for (int s = 0; s < nodes; s++) _invInDegree[s] = _invInDegree[s] > 0 ? 1f / _invInDegree[s] : 0f;
        return new MegnetGraphBatch
        {
            NumGraphs = b,
            EdgeSrc = Tensor.From<long>(_edgeSrc.AsSpan(0, edges), new long[] { edges }, _device),
            EdgeDst = Tensor.From<long>(_edgeDst.AsSpan(0, edges), new long[] { edges }, _device),
            EdgeFeatures = Tensor.From<float>(_edgeFeature.AsSpan(0, edges), new long[] { edges, 1 }, _device),
            NodeGraph = Tensor.From<long>(_nodeGraph.AsSpan(0, nodes), new long[] { nodes }, _device),
            EdgeGraph = Tensor.From<long>(_edgeGraph.AsSpan(0, edges), new long[] { edges }, _device),
            InvInDegree = Tensor.From<float>(_invInDegree.AsSpan(0, nodes), new long[] { nodes, 1 }, _device),
            InvNodeCount = Tensor.From<float>(invNodes, new long[] { b, 1 }, _device),
            InvEdgeCount = Tensor.From<float>(invEdges, new long[] { b, 1 }, _device),
        };
    }

    /// <summary>
    /// The graphs of whole crystals (for generation): the same concatenation as <see cref="Build"/>, once per rollout
    /// batch, since only node types and focus change from step to step.
    /// </summary>
    public MegnetGraphBatch BuildGraph(ReadOnlySpan<int> crystals)
    {
        var d = _data;
        int nodes = 0, edges = 0;
        foreach (int c in crystals) { nodes += d.NumSites(c); edges += d.NumEdges(c); }
        Ensure(nodes, edges);
        var invNodes = new float[crystals.Length];
        var invEdges = new float[crystals.Length];
        int nOff = 0, eOff = 0;
        for (int i = 0; i < crystals.Length; i++)
        {
            int c = crystals[i], n = d.NumSites(c);
            for (int s = 0; s < n; s++) { _nodeGraph[nOff + s] = i; _invInDegree[nOff + s] = 0; }
            eOff = AppendEdges(c, i, nOff, eOff);
            invNodes[i] = 1f / n;
            invEdges[i] = d.NumEdges(c) > 0 ? 1f / d.NumEdges(c) : 0f;
            nOff += n;
        }
        return MakeGraph(crystals.Length, nodes, edges, invNodes, invEdges);
    }

    /// <summary>Scaled globals [B, G] of whole crystals (see <see cref="StateEncoding"/>).</summary>
    public Tensor BuildGlobals(ReadOnlySpan<int> crystals)
    {
        var g = new float[crystals.Length * _globalWidth];
        for (int i = 0; i < crystals.Length; i++)
            StateEncoding.Write(_data.Globals.AsSpan(TrajectoryDataset.GlobalCount * crystals[i], TrajectoryDataset.GlobalCount), _conditioned, _targetGaps[0],
                g.AsSpan(i * _globalWidth, _globalWidth));
        return Tensor.From<float>(g, new long[] { crystals.Length, _globalWidth }, _device);
    }
}
