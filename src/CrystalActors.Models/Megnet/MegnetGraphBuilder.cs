using CrystalActors.Crystals;
using CrystalActors.Models.Graph;

namespace CrystalActors.Models.Megnet;

/// <summary>
/// Turns a <see cref="Structure"/> into a <see cref="MegnetGraph"/> as matgl's <c>Structure2Graph</c> does: node type =
/// position of the element in the model's <c>element_types</c> list (not Z − 1), edges = the directed periodic
/// radius graph (<see cref="RadiusGraph"/>), edge input = the bond length. MEGNet only uses lengths and mean
/// aggregation, so the edge order does not change the result beyond rounding.
/// </summary>
public sealed class MegnetGraphBuilder
{
    private readonly Dictionary<string, int> _typeOf;

    public IReadOnlyList<string> ElementTypes { get; }
    /// <summary>Radius cutoff in Å.</summary>
    public double Cutoff { get; }

    public MegnetGraphBuilder(IReadOnlyList<string> elementTypes, double cutoff)
    {
        ArgumentNullException.ThrowIfNull(elementTypes);
        if (!(cutoff > 0)) throw new ArgumentOutOfRangeException(nameof(cutoff), cutoff, "cutoff must be a positive distance in Å");
        ElementTypes = elementTypes;
        Cutoff = cutoff;
        _typeOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < elementTypes.Count; i++)
            if (!_typeOf.TryAdd(elementTypes[i], i))
                throw new ArgumentException($"element_types lists '{elementTypes[i]}' twice", nameof(elementTypes));
    }

    /// <summary>Builds the graph; <paramref name="stateIndex"/> is the fidelity (0 = PBE for the band-gap model).</summary>
    /// <exception cref="ArgumentException">an element the model was not trained on (names the structure and element).</exception>
    public MegnetGraph Build(Structure structure, int stateIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(structure);
        var types = new int[structure.NumSites];
        for (int i = 0; i < types.Length; i++)
        {
            string symbol = structure.Sites[i].Species.Symbol;
            if (!_typeOf.TryGetValue(symbol, out types[i]))
                throw new ArgumentException(
                    $"structure {structure.Id ?? "(no id)"} site {i}: element {symbol} is not one of the model's {ElementTypes.Count} element types");
        }
        var graph = RadiusGraph.Build(structure, Cutoff);
        var distances = new float[graph.NumEdges];
        for (int e = 0; e < distances.Length; e++) distances[e] = (float)graph.Distances[e];
        return new MegnetGraph
        {
            NumNodes = structure.NumSites,
            NodeTypes = types,
            Src = graph.Src,
            Dst = graph.Dst,
            Distances = distances,
            StateIndex = stateIndex,
        };
    }

    /// <summary>The same graph with another state index (graphs can be built once and reused at every fidelity).</summary>
    public static MegnetGraph WithState(MegnetGraph graph, int stateIndex) => graph with { StateIndex = stateIndex };
}
