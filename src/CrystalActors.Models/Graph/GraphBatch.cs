namespace CrystalActors.Models.Graph;

/// <summary>
/// Many radius graphs concatenated into one disconnected graph (like <c>dgl.batch</c>): node ids of graph g
/// are shifted by <see cref="NodeOffsets"/>[g], edges are concatenated in graph order. Per-node and per-edge
/// graph ids let models sum per crystal (segment sums).
/// </summary>
public sealed class GraphBatch
{
    private GraphBatch(IReadOnlyList<RadiusGraph> graphs, int[] nodeOffsets, int[] edgeOffsets, int[] src, int[] dst,
        int[] images, double[] distances, long[] nodeGraph, long[] edgeGraph)
    {
        Graphs = graphs;
        NodeOffsets = nodeOffsets;
        EdgeOffsets = edgeOffsets;
        Src = src;
        Dst = dst;
        Images = images;
        Distances = distances;
        NodeGraph = nodeGraph;
        EdgeGraph = edgeGraph;
    }

    public IReadOnlyList<RadiusGraph> Graphs { get; }
    public int NumGraphs => Graphs.Count;
    public int NumNodes => NodeOffsets[^1];
    public int NumEdges => EdgeOffsets[^1];
    /// <summary>First node of each graph; length NumGraphs + 1 (the last entry is the total).</summary>
    public int[] NodeOffsets { get; }
    /// <summary>First edge of each graph; length NumGraphs + 1.</summary>
    public int[] EdgeOffsets { get; }
    /// <summary>Global (offset) source node of each edge.</summary>
    public int[] Src { get; }
    /// <summary>Global (offset) destination node of each edge.</summary>
    public int[] Dst { get; }
    /// <summary>Lattice images, flattened [edge, 3], relative to the edge's own crystal.</summary>
    public int[] Images { get; }
    public double[] Distances { get; }
    /// <summary>Graph id of each node (int64, ready for index tensors).</summary>
    public long[] NodeGraph { get; }
    /// <summary>Graph id of each edge.</summary>
    public long[] EdgeGraph { get; }

    public static GraphBatch Concatenate(IReadOnlyList<RadiusGraph> graphs)
    {
        ArgumentNullException.ThrowIfNull(graphs);
        if (graphs.Count == 0) throw new ArgumentException("cannot batch zero graphs", nameof(graphs));
        int g = graphs.Count;
        var nodeOffsets = new int[g + 1];
        var edgeOffsets = new int[g + 1];
        for (int i = 0; i < g; i++)
        {
            nodeOffsets[i + 1] = nodeOffsets[i] + graphs[i].NumNodes;
            edgeOffsets[i + 1] = edgeOffsets[i] + graphs[i].NumEdges;
        }
        int nE = edgeOffsets[g], nN = nodeOffsets[g];
        var src = new int[nE];
        var dst = new int[nE];
        var images = new int[3 * nE];
        var dist = new double[nE];
        var nodeGraph = new long[nN];
        var edgeGraph = new long[nE];
        for (int i = 0; i < g; i++)
        {
            var gr = graphs[i];
            int e0 = edgeOffsets[i], n0 = nodeOffsets[i];
            for (int e = 0; e < gr.NumEdges; e++)
            {
                src[e0 + e] = gr.Src[e] + n0;
                dst[e0 + e] = gr.Dst[e] + n0;
                edgeGraph[e0 + e] = i;
            }
            Array.Copy(gr.Images, 0, images, 3 * e0, 3 * gr.NumEdges);
            Array.Copy(gr.Distances, 0, dist, e0, gr.NumEdges);
            for (int n = 0; n < gr.NumNodes; n++) nodeGraph[n0 + n] = i;
        }
        return new GraphBatch(graphs, nodeOffsets, edgeOffsets, src, dst, images, dist, nodeGraph, edgeGraph);
    }
}
