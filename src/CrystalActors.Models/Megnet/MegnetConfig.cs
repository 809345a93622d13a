using System.Text.Json;
using CrystalActors.Torch.Nn;

namespace CrystalActors.Models.Megnet;

/// <summary>
/// Hyperparameters of a <see cref="MegnetModel"/> (matgl's <c>MEGNet</c> init arguments, plus the input choices
/// the offline-RL Q-network needs). Defaults are those of matgl's pretrained
/// <c>MEGNet-MP-2019.4.1-BandGap-mfi</c>; <see cref="CrystalDesignQNetwork"/> gives the offline-CQL paper's network.
/// </summary>
public sealed record MegnetConfig
{
    /// <summary>Number of node (element) types for the node embedding; 89 = matgl's DEFAULT_ELEMENTS.
    /// 0 means the graph supplies float node features of width <see cref="DimNodeEmbedding"/> instead of types.</summary>
    public int NumNodeTypes { get; init; } = 89;

    /// <summary>Width of the node embedding (16).</summary>
    public int DimNodeEmbedding { get; init; } = 16;

    /// <summary>Number of Gaussian centres of the bond expansion (matgl's dim_edge_embedding, 100).</summary>
    public int NumGaussians { get; init; } = 100;

    /// <summary>First Gaussian centre in Å (0).</summary>
    public double GaussianStart { get; init; } = 0.0;

    /// <summary>Last Gaussian centre in Å (matgl: cutoff + 1 = 6). Ignored when <see cref="NumGaussians"/> is 1.</summary>
    public double GaussianStop { get; init; } = 6.0;

    /// <summary>matgl's gauss_width: the coefficient in exp(-w (d - μ)²), not a standard deviation (0.5).</summary>
    public double GaussianWidth { get; init; } = 0.5;

    /// <summary>Radius-graph cutoff in Å (5).</summary>
    public double Cutoff { get; init; } = 5.0;

    /// <summary>Number of state types embedded from an int64 index per graph (4 fidelities for the band-gap model;
    /// 21 focus positions for the Q-network). 0 = no state embedding.</summary>
    public int NumStateTypes { get; init; } = 4;

    /// <summary>Width of the state embedding (16).</summary>
    public int DimStateEmbedding { get; init; } = 16;

    /// <summary>Float state features per graph concatenated after the state embedding (0 for the band-gap model;
    /// 8 lattice/space-group/target values for the Q-network).</summary>
    public int DimStateFeatures { get; init; } = 0;

    /// <summary>Number of MEGNet blocks (3).</summary>
    public int NumBlocks { get; init; } = 3;

    /// <summary>Hidden widths of the encoders and the blocks' dense pre-layers; the last is the block width ([64, 32]).</summary>
    public IReadOnlyList<int> HiddenLayerSizesInput { get; init; } = new[] { 64, 32 };

    /// <summary>Hidden widths of the edge/node/state update MLPs inside each block ([64, 64, 32]).</summary>
    public IReadOnlyList<int> HiddenLayerSizesConv { get; init; } = new[] { 64, 64, 32 };

    /// <summary>Hidden widths of the output MLP before its last (linear) layer ([32, 16]).</summary>
    public IReadOnlyList<int> HiddenLayerSizesOutput { get; init; } = new[] { 32, 16 };

    /// <summary>Number of outputs per graph (1 band gap; 88 Q-values for the Q-network).</summary>
    public int NumTargets { get; init; } = 1;

    /// <summary>Set2Set processing steps (3 for the band-gap model; 2 in the offline-CQL code).</summary>
    public int NumSet2SetIterations { get; init; } = 3;

    /// <summary>Activation between layers (softplus2 = softplus(x) − ln 2).</summary>
    public Activation Activation { get; init; } = Activation.Softplus2;

    /// <summary>Width of the block features (the last input hidden size).</summary>
    public int BlockWidth => HiddenLayerSizesInput[^1];

    /// <summary>Width of the state vector that goes into the state encoder.</summary>
    public int StateInputWidth => (NumStateTypes > 0 ? DimStateEmbedding : 0) + DimStateFeatures;

    /// <summary>The pretrained multi-fidelity band-gap MEGNet (matgl MEGNet-MP-2019.4.1-BandGap-mfi).</summary>
    public static MegnetConfig BandGapMfi { get; } = new();

    /// <summary>
    /// The Q-network of the offline-CQL crystal-design code (matgl 0.9.1 defaults): node Embedding(90, 16) (88 elements,
    /// unfilled, and the unfilled site being filled; crystal-design's has no focus row: 89),
    /// focus Embedding(21, 8) concatenated with 8 global values, one Gaussian at 0 (edge feature exp(−0.5 d²)),
    /// 2 Set2Set iterations and 88 outputs (one Q-value per element action).
    /// </summary>
    public static MegnetConfig CrystalDesignQNetwork(int numGlobalFeatures = 8) => new()
    {
        NumNodeTypes = 90,
        DimNodeEmbedding = 16,
        NumGaussians = 1,
        GaussianStart = 0.0,
        GaussianStop = 0.0,
        GaussianWidth = 0.5,
        NumStateTypes = 21,
        DimStateEmbedding = 8,
        DimStateFeatures = numGlobalFeatures,
        NumSet2SetIterations = 2,
        NumTargets = 88,
    };

    /// <summary>Checks the sizes; throws <see cref="ArgumentException"/> naming the bad field.</summary>
    public void Validate()
    {
        if (NumNodeTypes < 0) throw Bad(nameof(NumNodeTypes), NumNodeTypes, "must be ≥ 0");
        if (DimNodeEmbedding < 1) throw Bad(nameof(DimNodeEmbedding), DimNodeEmbedding, "must be ≥ 1");
        if (NumGaussians < 1) throw Bad(nameof(NumGaussians), NumGaussians, "must be ≥ 1");
        if (NumStateTypes < 0 || DimStateFeatures < 0) throw Bad(nameof(NumStateTypes), NumStateTypes, "state sizes must be ≥ 0");
        if (StateInputWidth < 1) throw Bad(nameof(DimStateFeatures), DimStateFeatures, "MEGNet needs a state: give NumStateTypes > 0 or DimStateFeatures > 0");
        if (NumBlocks < 1) throw Bad(nameof(NumBlocks), NumBlocks, "must be ≥ 1");
        if (HiddenLayerSizesInput.Count < 1) throw Bad(nameof(HiddenLayerSizesInput), HiddenLayerSizesInput.Count, "needs at least one width");
        if (HiddenLayerSizesConv.Count < 1 || HiddenLayerSizesConv[^1] != BlockWidth)
            throw Bad(nameof(HiddenLayerSizesConv), string.Join(",", HiddenLayerSizesConv), $"must end with the block width {BlockWidth} (residual connections)");
        if (NumSet2SetIterations < 1) throw Bad(nameof(NumSet2SetIterations), NumSet2SetIterations, "must be ≥ 1");
        if (NumTargets < 1) throw Bad(nameof(NumTargets), NumTargets, "must be ≥ 1");
        if (!(Cutoff > 0)) throw Bad(nameof(Cutoff), Cutoff, "must be a positive distance in Å");
    }

    private static ArgumentException Bad(string name, object value, string why) => new($"MegnetConfig.{name} = {value}: {why}");

    /// <summary>
    /// Reads matgl's MEGNet init arguments (the <c>megnet_init_args</c> JSON of a weight file). Only a 1-layer
    /// Set2Set, a Gaussian bond expansion and the activations of <see cref="Torch.Nn.Activation"/> are supported.
    /// </summary>
    public static MegnetConfig FromMatglInitArgs(string json, int numNodeTypes)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        int Int(string name, int fallback) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;
        double Dbl(string name, double fallback) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : fallback;
        int[] Ints(string name, int[] fallback) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Select(x => x.GetInt32()).ToArray() : fallback;

        if (Int("nlayers_set2set", 1) != 1)
            throw new NotSupportedException($"megnet_init_args: nlayers_set2set = {Int("nlayers_set2set", 1)}; only a 1-layer Set2Set LSTM is implemented");
        if (root.TryGetProperty("bond_expansion", out var be) && be.ValueKind != JsonValueKind.Null)
            throw new NotSupportedException("megnet_init_args: a custom bond_expansion is not supported (null = Gaussian expansion)");
        string act = root.TryGetProperty("activation_type", out var a) ? a.GetString() ?? "softplus2" : "softplus2";
        double cutoff = Dbl("cutoff", 5.0);
        var defaults = new MegnetConfig();
        return new MegnetConfig
        {
            NumNodeTypes = numNodeTypes,
            DimNodeEmbedding = Int("dim_node_embedding", 16),
            NumGaussians = Int("dim_edge_embedding", 100),
            GaussianStart = 0.0,
            GaussianStop = cutoff + 1.0, // matgl's default BondExpansion(final = cutoff + 1)
            GaussianWidth = Dbl("gauss_width", 0.5),
            Cutoff = cutoff,
            NumStateTypes = Int("ntypes_state", 0),
            DimStateEmbedding = Int("dim_state_embedding", 16),
            DimStateFeatures = 0,
            NumBlocks = Int("nblocks", 3),
            HiddenLayerSizesInput = Ints("hidden_layer_sizes_input", defaults.HiddenLayerSizesInput.ToArray()),
            HiddenLayerSizesConv = Ints("hidden_layer_sizes_conv", defaults.HiddenLayerSizesConv.ToArray()),
            HiddenLayerSizesOutput = Ints("hidden_layer_sizes_output", defaults.HiddenLayerSizesOutput.ToArray()),
            NumSet2SetIterations = Int("niters_set2set", 3),
            NumTargets = 1,
            Activation = act switch
            {
                "softplus2" => Activation.Softplus2,
                "swish" => Activation.Swish,
                "silu" => Activation.Silu,
                "sigmoid" => Activation.Sigmoid,
                "tanh" => Activation.Tanh,
                "relu" => Activation.Relu,
                "softplus" => Activation.Softplus,
                _ => throw new NotSupportedException($"megnet_init_args: activation_type '{act}' is not supported (softplus2, swish, silu, sigmoid, tanh, relu, softplus)"),
            },
        };
    }
}
