using System.Text.Json;

namespace CrystalActors.Models.M3gnet;

/// <summary>
/// M3GNet hyperparameters, read from a weight file's <c>__metadata__</c> (<c>m3gnet_init_args</c>, matgl's
/// init args of <c>matgl.models.M3GNet</c>). Nothing is assumed: a missing key is an error naming it.
/// </summary>
public sealed record M3gnetConfig
{
    /// <summary>Element symbols; the node type of an atom is the position of its symbol here (not Z − 1).</summary>
    public required IReadOnlyList<string> ElementTypes { get; init; }
    /// <summary>Radius graph cutoff in Å (5 for the pretrained potentials).</summary>
    public required double Cutoff { get; init; }
    /// <summary>Bonds at most this long (Å) take part in three-body interactions.</summary>
    public required double ThreeBodyCutoff { get; init; }
    public required int MaxN { get; init; }
    public required int MaxL { get; init; }
    public required int NumBlocks { get; init; }
    /// <summary>Hidden width of the gated MLPs.</summary>
    public required int Units { get; init; }
    public required int NodeEmbeddingDim { get; init; }
    public required int EdgeEmbeddingDim { get; init; }
    /// <summary>true: the smooth spherical Bessel basis of arXiv:1907.02374 (max_n functions per edge); false: the plain
    /// spherical Bessel basis (max_n·max_l functions per edge).</summary>
    public required bool UseSmooth { get; init; }

    /// <summary>Width of the edge radial basis.</summary>
    public int EdgeBasisSize => UseSmooth ? MaxN : MaxN * MaxL;
    /// <summary>Width of the three-body basis (radial × Y_l⁰).</summary>
    public int ThreeBodyBasisSize => MaxN * MaxL;

    /// <summary>Parses the init-args JSON; <paramref name="source"/> names the file in errors.</summary>
    /// <exception cref="InvalidDataException">malformed JSON, a missing key, or settings this port does not implement.</exception>
    public static M3gnetConfig FromInitArgs(string json, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source}: m3gnet_init_args is not valid JSON ({ex.Message})", ex);
        }
        using var _ = doc;
        try
        {
            var root = doc.RootElement;
            JsonElement Get(string key) => root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null
                ? v : throw new InvalidDataException($"{source}: m3gnet_init_args has no '{key}'");

            // Settings the pretrained potentials do not use; refuse them rather than compute something else.
            if (root.TryGetProperty("use_phi", out var phi) && phi.ValueKind == JsonValueKind.True)
                throw new InvalidDataException($"{source}: use_phi = true is not supported");
            if (root.TryGetProperty("include_state", out var st) && st.ValueKind == JsonValueKind.True)
                throw new InvalidDataException($"{source}: include_state = true is not supported");
            if (root.TryGetProperty("is_intensive", out var inten) && inten.ValueKind == JsonValueKind.True)
                throw new InvalidDataException($"{source}: is_intensive = true (non-potential readout) is not supported");
            string act = Get("activation_type").GetString() ?? "";
            if (act != "swish" && act != "silu")
                throw new InvalidDataException($"{source}: activation '{act}' is not supported (expected swish/silu)");
            string rbf = Get("rbf_type").GetString() ?? "";
            if (rbf != "SphericalBessel")
                throw new InvalidDataException($"{source}: rbf_type '{rbf}' is not supported (expected SphericalBessel)");

            var config = new M3gnetConfig
            {
                ElementTypes = Get("element_types").EnumerateArray().Select(e => e.GetString()!).ToArray(),
                Cutoff = Get("cutoff").GetDouble(),
                ThreeBodyCutoff = Get("threebody_cutoff").GetDouble(),
                MaxN = Get("max_n").GetInt32(),
                MaxL = Get("max_l").GetInt32(),
                NumBlocks = Get("nblocks").GetInt32(),
                Units = Get("units").GetInt32(),
                NodeEmbeddingDim = Get("dim_node_embedding").GetInt32(),
                EdgeEmbeddingDim = Get("dim_edge_embedding").GetInt32(),
                UseSmooth = Get("use_smooth").GetBoolean(),
            };
            if (config.MaxL > 3)
                throw new InvalidDataException($"{source}: max_l = {config.MaxL} > 3 is not supported (spherical harmonics up to l = 2)");
            return config;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            // A value of the wrong JSON kind (an array for the object, a string for a number): the file's fault, named.
            throw new InvalidDataException($"{source}: m3gnet_init_args: {e.Message}", e);
        }
    }
}
