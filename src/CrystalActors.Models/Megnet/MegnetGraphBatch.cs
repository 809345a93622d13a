using CrystalActors.Torch;

namespace CrystalActors.Models.Megnet;

/// <summary>
/// One graph on the host, ready to be batched: node types (or features), directed edges and either edge lengths
/// (Å, expanded by the model's Gaussian basis) or ready-made edge features. State is an index and/or features.
/// </summary>
public sealed record MegnetGraph
{
    public required int NumNodes { get; init; }
    /// <summary>Node type per node (index into the model's embedding), or null when <see cref="NodeFeatures"/> is given.</summary>
    public int[]? NodeTypes { get; init; }
    /// <summary>Flattened [nodes, dim] node features, used when the model has no node embedding.</summary>
    public float[]? NodeFeatures { get; init; }
    public required int[] Src { get; init; }
    public required int[] Dst { get; init; }
    /// <summary>Edge lengths in Å, or null when <see cref="EdgeFeatures"/> is given.</summary>
    public float[]? Distances { get; init; }
    /// <summary>Flattened [edges, dim] edge features (already expanded).</summary>
    public float[]? EdgeFeatures { get; init; }
    /// <summary>State index (fidelity, focus position), when the model embeds one.</summary>
    public int StateIndex { get; init; }
    /// <summary>Float state features, when the model takes them.</summary>
    public float[]? StateFeatures { get; init; }

    public int NumEdges => Src.Length;
}

/// <summary>
/// Many graphs as one disjoint graph, batched by concatenation with offsets (edge indices are shifted by the
/// node count of the graphs before them), so thousands of small crystals go through one forward pass.
/// Owns its tensors. Exactly one of node types / node features and one of distances / edge features is set.
/// </summary>
public sealed class MegnetGraphBatch : IDisposable
{
    public required long NumGraphs { get; init; }
    public Tensor? NodeTypes { get; init; }          // int64 [N]
    public Tensor? NodeFeatures { get; init; }       // float [N, dn]
    public required Tensor EdgeSrc { get; init; }    // int64 [E]
    public required Tensor EdgeDst { get; init; }    // int64 [E]
    public Tensor? Distances { get; init; }          // float [E]
    public Tensor? EdgeFeatures { get; init; }       // float [E, de]
    public Tensor? StateIndex { get; init; }         // int64 [B]
    public Tensor? StateFeatures { get; init; }      // float [B, ds]
    public required Tensor NodeGraph { get; init; }  // int64 [N]: graph of each node
    public required Tensor EdgeGraph { get; init; }  // int64 [E]: graph of each edge
    /// <summary>1 / in-degree of each node [N, 1], and 1 / node and edge count of each graph [B, 1] (0 where the count is 0):
    /// MEGNet's means become segment sums times these, without counting on every forward pass.</summary>
    public required Tensor InvInDegree { get; init; }
    public required Tensor InvNodeCount { get; init; }
    public required Tensor InvEdgeCount { get; init; }

    public long NumNodes => NodeGraph.Size(0);
    public long NumEdges => EdgeGraph.Size(0);

    /// <summary>Concatenates <paramref name="graphs"/> (all of the same input kind) into one batch on <paramref name="device"/>.</summary>
    public static MegnetGraphBatch Create(IReadOnlyList<MegnetGraph> graphs, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(graphs);
        if (graphs.Count == 0) throw new ArgumentException("a batch needs at least one graph", nameof(graphs));
        var first = graphs[0];
        bool types = first.NodeTypes is not null, dists = first.Distances is not null, stateFeat = first.StateFeatures is not null;
        int totalNodes = 0, totalEdges = 0;
        for (int g = 0; g < graphs.Count; g++)
        {
            var x = graphs[g];
            if ((x.NodeTypes is not null) != types || (x.Distances is not null) != dists || (x.StateFeatures is not null) != stateFeat)
                throw new ArgumentException($"graph {g} supplies different inputs from graph 0 (node types vs features, distances vs edge features, state features)");
            if (x.Dst.Length != x.Src.Length) throw new ArgumentException($"graph {g}: {x.Src.Length} edge sources but {x.Dst.Length} destinations");
            totalNodes += x.NumNodes;
            totalEdges += x.NumEdges;
        }

        var src = new long[totalEdges];
        var dst = new long[totalEdges];
        var nodeGraph = new long[totalNodes];
        var edgeGraph = new long[totalEdges];
        var nodeTypes = types ? new long[totalNodes] : null;
        int dn = types ? 0 : first.NodeFeatures!.Length / Math.Max(1, first.NumNodes);
        var nodeFeat = types ? null : new float[totalNodes * dn];
        var distances = dists ? new float[totalEdges] : null;
        int de = dists ? 0 : first.EdgeFeatures!.Length / Math.Max(1, first.NumEdges);
        var edgeFeat = dists ? null : new float[totalEdges * de];
        var stateIndex = new long[graphs.Count];
        int ds = stateFeat ? first.StateFeatures!.Length : 0;
        var stateFeatures = stateFeat ? new float[graphs.Count * ds] : null;

        int nodeOffset = 0, edgeOffset = 0;
        for (int g = 0; g < graphs.Count; g++)
        {
            var x = graphs[g];
            for (int e = 0; e < x.NumEdges; e++)
            {
                int s = x.Src[e], d = x.Dst[e];
                if ((uint)s >= (uint)x.NumNodes || (uint)d >= (uint)x.NumNodes)
                    throw new ArgumentException($"graph {g}: edge {e} ({s} -> {d}) refers to a node outside 0..{x.NumNodes - 1}");
                src[edgeOffset + e] = s + nodeOffset;
                dst[edgeOffset + e] = d + nodeOffset;
                edgeGraph[edgeOffset + e] = g;
            }
            for (int i = 0; i < x.NumNodes; i++) nodeGraph[nodeOffset + i] = g;
            if (types)
            {
                if (x.NodeTypes!.Length != x.NumNodes) throw new ArgumentException($"graph {g}: {x.NodeTypes.Length} node types for {x.NumNodes} nodes");
                for (int i = 0; i < x.NumNodes; i++) nodeTypes![nodeOffset + i] = x.NodeTypes[i];
            }
            else
            {
                if (x.NodeFeatures!.Length != x.NumNodes * dn) throw new ArgumentException($"graph {g}: node features are not [{x.NumNodes}, {dn}]");
                x.NodeFeatures.CopyTo(nodeFeat!, nodeOffset * dn);
            }
            if (dists)
            {
                if (x.Distances!.Length != x.NumEdges) throw new ArgumentException($"graph {g}: {x.Distances.Length} distances for {x.NumEdges} edges");
                x.Distances.CopyTo(distances!, edgeOffset);
            }
            else
            {
                if (x.EdgeFeatures!.Length != x.NumEdges * de) throw new ArgumentException($"graph {g}: edge features are not [{x.NumEdges}, {de}]");
                x.EdgeFeatures.CopyTo(edgeFeat!, edgeOffset * de);
            }
            stateIndex[g] = x.StateIndex;
            if (stateFeat)
            {
                if (x.StateFeatures!.Length != ds) throw new ArgumentException($"graph {g}: {x.StateFeatures.Length} state features, graph 0 has {ds}");
                x.StateFeatures.CopyTo(stateFeatures!, g * ds);
            }
            nodeOffset += x.NumNodes;
            edgeOffset += x.NumEdges;
        }
        var invInDegree = new float[totalNodes];
        foreach (long d in dst) invInDegree[d] += 1;
        var invNodes = new float[graphs.Count];
        var invEdges = new float[graphs.Count];
        for (int g = 0; g < graphs.Count; g++)
        {
            invNodes[g] = graphs[g].NumNodes > 0 ? 1f / graphs[g].NumNodes : 0f;
            invEdges[g] = graphs[g].NumEdges > 0 ? 1f / graphs[g].NumEdges : 0f;
        }
        for (int i = 0; i < totalNodes; i++) invInDegree[i] = invInDegree[i] > 0 ? 1f / invInDegree[i] : 0f;

        var dev = device ?? Device.CPU;
        Tensor Longs(long[] a) => Tensor.From<long>(a, new long[] { a.Length }, dev);
        Tensor Floats(float[] a, long rows, long cols)
        {
            var t = Tensor.From<float>(a, cols > 0 ? new[] { rows, cols } : new[] { rows }, dev);
            if (dtype == ScalarType.Float32) return t;
            using (t) return t.To(dtype);
        }
        return new MegnetGraphBatch
        {
            NumGraphs = graphs.Count,
            NodeTypes = types ? Longs(nodeTypes!) : null,
            NodeFeatures = types ? null : Floats(nodeFeat!, totalNodes, dn),
            EdgeSrc = Longs(src),
            EdgeDst = Longs(dst),
            Distances = dists ? Floats(distances!, totalEdges, 0) : null,
            EdgeFeatures = dists ? null : Floats(edgeFeat!, totalEdges, de),
            StateIndex = Longs(stateIndex),
            StateFeatures = stateFeat ? Floats(stateFeatures!, graphs.Count, ds) : null,
            NodeGraph = Longs(nodeGraph),
            EdgeGraph = Longs(edgeGraph),
            InvInDegree = Floats(invInDegree, totalNodes, 1),
            InvNodeCount = Floats(invNodes, graphs.Count, 1),
            InvEdgeCount = Floats(invEdges, graphs.Count, 1),
        };
    }

    public void Dispose()
    {
        NodeTypes?.Dispose();
        NodeFeatures?.Dispose();
        EdgeSrc.Dispose();
        EdgeDst.Dispose();
        Distances?.Dispose();
        EdgeFeatures?.Dispose();
        StateIndex?.Dispose();
        StateFeatures?.Dispose();
        NodeGraph.Dispose();
        EdgeGraph.Dispose();
        InvInDegree.Dispose();
        InvNodeCount.Dispose();
        InvEdgeCount.Dispose();
    }
}
