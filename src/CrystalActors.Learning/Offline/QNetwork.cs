using CrystalActors.Crystals;
using CrystalActors.Models.Megnet;
using CrystalActors.Torch;

namespace CrystalActors.Learning.Offline;

/// <summary>
/// The MEGNet Q-network of crystal-design: the project's one MEGNet (<see cref="MegnetModel"/>) in the configuration
/// <see cref="MegnetConfig.CrystalDesignQNetwork"/> (matgl 0.9.1 MEGNet defaults): node Embedding(90, 16), whose last
/// row marks the focus site in the graph (crystal-design's 89 rows tell the network only the focus index, a global, not
/// which node it is); the focus index as the state embedding (21, 8) concatenated with the globals (8 wide, 7 unconditioned); edge feature
/// exp(−d²/2) (one Gaussian); softplus2; encoders [1→64→32], [16→64→32], [16→64→32]; three MEGNet blocks; Set2Set on
/// nodes and edges (2 iterations); output MLP [160→32→16→88]. State-dict names are matgl's.
/// </summary>
public sealed class QNetwork : MegnetModel
{
    /// <summary>Node types: 88 elements, unfilled, and the focus site (<see cref="ActionVocabulary.FocusNodeType"/>).</summary>
    public const int NodeTypes = ActionVocabulary.Count + 2;
    /// <summary>The name of the node embedding table (<see cref="NodeTypes"/> rows).</summary>
    public const string NodeEmbeddingName = "embedding.layer_node_embedding.weight";
    public const int FocusTypes = TrajectoryDataset.MaxSites + 1;

    public bool Conditioned { get; }

    /// <param name="conditioned">Whether the target band gap p̂ is part of the state (8 globals instead of 7).</param>
    public QNetwork(bool conditioned) : base(MegnetConfig.CrystalDesignQNetwork(StateEncoding.GlobalWidth(conditioned)))
    {
        Conditioned = conditioned;
    }

    /// <summary>Q-values [B, 88] of a batch of states.</summary>
    public Tensor Forward(StateTensors s) => Forward(s.Graph, s.NodeTypes, null, s.Focus, s.Globals);

    /// <summary>
    /// Weights saved before the Q-network became a <see cref="MegnetModel"/> (checkpoint format 1) under today's
    /// names: the focus embedding is matgl's state embedding, a block's dense pre-layers are its edge/node/state_func
    /// and its update MLPs live under conv, and the LSTM names carry torch.nn.LSTM's "_l0". Only for names of a legacy
    /// state dict: "blocks.i.edge_func" meant the update MLP then and means the dense pre-layer now.
    /// </summary>
    public static string UpgradeName(string name)
    {
        if (name.StartsWith("node_embedding.", StringComparison.Ordinal)) return "embedding.layer_node_embedding." + name["node_embedding.".Length..];
        if (name.StartsWith("focus_embedding.", StringComparison.Ordinal)) return "embedding.layer_state_embedding." + name["focus_embedding.".Length..];
        if (name.StartsWith("blocks.", StringComparison.Ordinal))
        {
            var parts = name.Split('.', 4); // blocks, i, member, rest
            string? member = parts[2] switch
            {
                "edge_dense" => "edge_func", "node_dense" => "node_func", "state_dense" => "state_func",
                "edge_func" => "conv.edge_func", "node_func" => "conv.node_func", "state_func" => "conv.state_func",
                _ => null,
            };
            if (member is not null) return $"blocks.{parts[1]}.{member}.{parts[3]}";
        }
        if (name.Contains(".lstm.", StringComparison.Ordinal) && !name.EndsWith("_l0", StringComparison.Ordinal)) return name + "_l0";
        return name;
    }

    /// <summary>A state dict with legacy names upgraded (see <see cref="UpgradeName"/>); the Gaussian centres, a constant
    /// buffer the former network did not have, are taken from this network when missing. A node embedding without the
    /// focus row (policies trained before <see cref="ActionVocabulary.FocusNodeType"/>) gets a copy of the unfilled row,
    /// so such a policy computes exactly what it did before the focus site was marked.</summary>
    public Dictionary<string, Tensor> Upgrade(IReadOnlyDictionary<string, Tensor> state)
    {
        bool legacy = state.ContainsKey("node_embedding.weight");
        var upgraded = state.ToDictionary(p => legacy ? UpgradeName(p.Key) : p.Key, p => p.Value);
        foreach (var (name, buffer) in NamedBuffers()) upgraded.TryAdd(name, buffer);
        if (LacksFocusRow(upgraded))
        {
            var rows = Enumerable.Range(0, NodeTypes - 1).Select(r => (long)r).Append(ActionVocabulary.UnfilledNodeType).ToArray();
            using var index = Tensor.From<long>(rows, new long[] { rows.Length });
            upgraded[NodeEmbeddingName] = upgraded[NodeEmbeddingName].IndexSelect(0, index);
        }
        return upgraded;
    }

    /// <summary>Loads a state dict of today's or legacy names (see <see cref="Upgrade"/>) strictly; the tensors the upgrade
    /// makes are freed once copied in.</summary>
    public void LoadUpgraded(IReadOnlyDictionary<string, Tensor> state)
    {
        using var scope = DisposeScope.Open();
        LoadStateDict(Upgrade(state), strict: true);
    }

    /// <summary>Whether a state dict's node embedding lacks the focus row (a policy from before the focus site was marked).</summary>
    public static bool LacksFocusRow(IReadOnlyDictionary<string, Tensor> state) =>
        state.TryGetValue(NodeEmbeddingName, out var e) && e.Shape.Length == 2 && e.Shape[0] == NodeTypes - 1;

    /// <summary>Loads a safetensors file of this network's weights (today's or legacy names), strictly; returns its metadata.</summary>
    public IReadOnlyDictionary<string, string> LoadWeights(string path)
    {
        using var file = Torch.Serialization.SafeTensors.Load(path);
        try { LoadUpgraded(file.Tensors); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
        return file.Metadata;
    }

    /// <summary>Copies every parameter of <paramref name="source"/> into this network (same architecture).</summary>
    public void CopyFrom(QNetwork source)
    {
        using var _ = NoGradScope.Enter();
        var src = source.Parameters();
        var dst = Parameters();
        for (int i = 0; i < dst.Count; i++) dst[i].CopyFrom_(src[i]);
    }

    /// <summary>Polyak averaging θ' ← (1 − τ) θ' + τ θ of this (target) network towards <paramref name="online"/>.</summary>
    public void SoftUpdateFrom(QNetwork online, double tau)
    {
        using var _ = NoGradScope.Enter();
        var src = online.Parameters();
        var dst = Parameters();
        for (int i = 0; i < dst.Count; i++) dst[i].Lerp_(src[i], tau);
    }
}
