using CrystalActors.Torch;
using CrystalActors.Torch.Nn;

namespace CrystalActors.Models.Megnet;

/// <summary>
/// MEGNet (Chen et al. 2019) as matgl's <c>MEGNet</c>: node/state embeddings, Gaussian bond expansion, node/edge/state
/// encoders, <see cref="MegnetConfig.NumBlocks"/> MEGNet blocks, Set2Set on nodes and on edges, and an output MLP on
/// [q*_nodes ‖ q*_edges ‖ u]. State-dict names equal matgl's (without the "model." prefix of a TransformedTargetModel),
/// so matgl weights load strictly. Output is the raw network value [graphs, targets] (no target normaliser).
/// </summary>
public class MegnetModel : Module
{
    public MegnetConfig Config { get; }

    private readonly GaussianExpansion _rbf;
    private readonly Embedding? _nodeEmbedding;
    private readonly Embedding? _stateEmbedding;
    private readonly Mlp _edgeEncoder, _nodeEncoder, _stateEncoder;
    private readonly ModuleList<MegnetBlock> _blocks;
    private readonly Set2Set _nodeS2S, _edgeS2S;
    private readonly Mlp _output;

    public MegnetModel(MegnetConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        var act = config.Activation;
        int width = config.BlockWidth;

        var bondExpansion = RegisterModule("bond_expansion", new Container());
        _rbf = bondExpansion.Add("rbf", new GaussianExpansion(config.NumGaussians, config.GaussianStart, config.GaussianStop, config.GaussianWidth));

        var embedding = RegisterModule("embedding", new Container());
        if (config.NumStateTypes > 0)
            _stateEmbedding = embedding.Add("layer_state_embedding", new Embedding(config.NumStateTypes, config.DimStateEmbedding));
        if (config.NumNodeTypes > 0)
            _nodeEmbedding = embedding.Add("layer_node_embedding", new Embedding(config.NumNodeTypes, config.DimNodeEmbedding));

        _edgeEncoder = RegisterModule("edge_encoder", new Mlp(Dims(config.NumGaussians, config.HiddenLayerSizesInput), act, activateLast: true));
        _nodeEncoder = RegisterModule("node_encoder", new Mlp(Dims(config.DimNodeEmbedding, config.HiddenLayerSizesInput), act, activateLast: true));
        _stateEncoder = RegisterModule("state_encoder", new Mlp(Dims(config.StateInputWidth, config.HiddenLayerSizesInput), act, activateLast: true));

        _blocks = RegisterModule("blocks", new ModuleList<MegnetBlock>());
        for (int k = 0; k < config.NumBlocks; k++)
            _blocks.Add(new MegnetBlock(width, config.HiddenLayerSizesInput, config.HiddenLayerSizesConv, act, hasDense: k > 0));

        // matgl registers edge_s2s before node_s2s; the order only affects parameter enumeration.
        _edgeS2S = RegisterModule("edge_s2s", new Set2Set(width, config.NumSet2SetIterations));
        _nodeS2S = RegisterModule("node_s2s", new Set2Set(width, config.NumSet2SetIterations));

        var outDims = new List<int> { 5 * width };
        outDims.AddRange(config.HiddenLayerSizesOutput);
        outDims.Add(config.NumTargets);
        _output = RegisterModule("output_proj", new Mlp(outDims, act, activateLast: false));
    }

    private static int[] Dims(int input, IReadOnlyList<int> hidden) => new[] { input }.Concat(hidden).ToArray();

    /// <summary>Gaussian expansion of edge lengths (Å) [E] → [E, NumGaussians].</summary>
    public Tensor ExpandDistances(Tensor distances) => _rbf.Forward(distances);

    /// <summary>Raw network outputs [graphs, NumTargets] for a batch.</summary>
    public Tensor Forward(MegnetGraphBatch g)
    {
        ArgumentNullException.ThrowIfNull(g);
        return Forward(g, g.NodeTypes, g.NodeFeatures, g.StateIndex, g.StateFeatures);
    }

    /// <summary>
    /// Raw outputs for a batch whose node and state inputs are given apart from its graph: many states on one graph
    /// (a crystal being filled site by site, before and after an action) share the graph's index tensors.
    /// </summary>
    public Tensor Forward(MegnetGraphBatch g, Tensor? nodeTypes, Tensor? nodeFeatures, Tensor? stateIndex, Tensor? stateFeatures)
    {
        using var scope = DisposeScope.Open();
        var y = MlpPass.Forward(_output, Readout(g, nodeTypes, nodeFeatures, stateIndex, stateFeatures));
        return scope.MoveToOuter(y);
    }

    /// <summary>The graph-level vector the output head reads, [graphs, 5 × block width]: Set2Set of the nodes, Set2Set of
    /// the edges and the state after the last block. A learned embedding of the whole crystal (the diversity rewards use it).</summary>
    public Tensor Readout(MegnetGraphBatch g) => Readout(g, g.NodeTypes, g.NodeFeatures, g.StateIndex, g.StateFeatures);

    /// <summary>The learned element embedding table [node types, DimNodeEmbedding] (null when the model reads node features).</summary>
    public Tensor? NodeEmbeddingTable => _nodeEmbedding?.weight;

    private Tensor Readout(MegnetGraphBatch g, Tensor? nodeTypes, Tensor? nodeFeatures, Tensor? stateIndex, Tensor? stateFeatures)
    {
        ArgumentNullException.ThrowIfNull(g);
        using var scope = DisposeScope.Open();

        // A node's encoded features depend only on its type: encode the embedding table once, then gather.
        Tensor v = _nodeEmbedding is not null
            ? MlpPass.Forward(_nodeEncoder, _nodeEmbedding.weight).IndexSelect(0, nodeTypes ?? throw new ArgumentException("this MEGNet embeds node types; the batch has node features only"))
            : MlpPass.Forward(_nodeEncoder, nodeFeatures ?? throw new ArgumentException("this MEGNet has no node embedding; the batch must carry node features"));
        Tensor e0 = g.Distances is not null ? _rbf.Forward(g.Distances)
            : g.EdgeFeatures ?? throw new ArgumentException("the batch has neither distances nor edge features");

        var stateParts = new List<Tensor>(2);
        if (_stateEmbedding is not null)
            stateParts.Add(_stateEmbedding.Forward(stateIndex ?? throw new ArgumentException("this MEGNet embeds a state index; the batch has none")));
        if (Config.DimStateFeatures > 0)
            stateParts.Add(stateFeatures ?? throw new ArgumentException($"this MEGNet takes {Config.DimStateFeatures} state features per graph; the batch has none"));
        Tensor u0 = stateParts.Count == 1 ? stateParts[0] : Tensor.Cat(stateParts, 1);

        var e = MlpPass.Forward(_edgeEncoder, e0);
        var u = MlpPass.Forward(_stateEncoder, u0);
        for (int k = 0; k < _blocks.Count; k++)
            (e, v, u) = _blocks[k].Forward(g, e, v, u);

        var nodeVec = _nodeS2S.Forward(v, g.NodeGraph, g.NumGraphs);
        var edgeVec = _edgeS2S.Forward(e, g.EdgeGraph, g.NumGraphs);
        return scope.MoveToOuter(Tensor.Cat(new[] { nodeVec, edgeVec, u }, 1));
    }
}
