using CrystalActors.Models.Graph;

namespace CrystalActors.Models.M3gnet;

/// <summary>
/// The triples (bond pairs sharing a centre atom, both bonds ≤ the three-body cutoff) of a batch of radius graphs,
/// with the exact index semantics of matgl's <c>ThreeBodyInteractions</c> so energies match the reference:
/// <list type="bullet">
/// <item>P = the edges with d ≤ cutoff, in edge order; for each atom, every ordered pair (a ≠ b) of its pruned
/// bonds, a-major, gives a triple (p1, p2) of pruned ids. Its angle and r_ik come from the pruned edges
/// P[p1], P[p2] (<see cref="GeomEdge1"/>, <see cref="GeomEdge2"/>).</item>
/// <item>Quirk 1: matgl then uses p1 and p2 directly as FULL edge ids for the cutoff weights and for the atom
/// whose features gate the message (<see cref="WeightEdge1"/>, <see cref="WeightEdge2"/>, <see cref="GateAtom"/>).</item>
/// <item>Quirk 2: the scatter target of a triple is matgl's <c>get_segment_indices_from_n</c> over
/// ns = (n_i − 1 repeated n_i times) truncated to 1 + max(p) (<see cref="Segment"/>); an atom with a single short
/// bond shifts every later segment down by one.</item>
/// </list>
/// Unlike <c>dgl.batch</c> in matgl, indices are offset per crystal, so a batched result equals the
/// single-crystal results (which is what matgl's references and ASE calculator produce).
/// </summary>
public sealed class ThreeBodyIndex
{
    public int Count { get; private init; }
    /// <summary>Global edge id of P[p1] (first bond of the triple, for the angle).</summary>
    public long[] GeomEdge1 { get; private init; } = [];
    /// <summary>Global edge id of P[p2] (second bond: the angle and r_ik).</summary>
    public long[] GeomEdge2 { get; private init; } = [];
    /// <summary>p1 used as a global full-edge id (quirk 1): its cutoff weight.</summary>
    public long[] WeightEdge1 { get; private init; } = [];
    /// <summary>p2 used as a global full-edge id (quirk 1): its cutoff weight.</summary>
    public long[] WeightEdge2 { get; private init; } = [];
    /// <summary>dst of full edge p2 (global node id): whose atom gate multiplies the message.</summary>
    public long[] GateAtom { get; private init; } = [];
    /// <summary>Global edge row that receives the message (quirk 2).</summary>
    public long[] Segment { get; private init; } = [];

    public static ThreeBodyIndex Build(GraphBatch batch, double cutoff)
    {
        // First pass: count triples so the arrays are allocated once.
        int total = 0;
        var perAtom = new int[batch.NumNodes];
        for (int e = 0; e < batch.NumEdges; e++)
            if (batch.Distances[e] <= cutoff) perAtom[batch.Src[e]]++;
        foreach (int n in perAtom) total += n * (n - 1);

        var g1 = new long[total]; var g2 = new long[total];
        var w1 = new long[total]; var w2 = new long[total];
        var atom = new long[total]; var seg = new long[total];
        int t = 0;
        var pruned = new List<int>(64);
        for (int g = 0; g < batch.NumGraphs; g++)
        {
            int e0 = batch.EdgeOffsets[g], e1 = batch.EdgeOffsets[g + 1];
            pruned.Clear();
            for (int e = e0; e < e1; e++)
                if (batch.Distances[e] <= cutoff) pruned.Add(e);
            int tStart = t;
            int maxP = -1;
            // P is grouped by centre atom because edges are (pymatgen order) sorted by src.
            for (int start = 0; start < pruned.Count;)
            {
                int centre = batch.Src[pruned[start]];
                int end = start;
                while (end < pruned.Count && batch.Src[pruned[end]] == centre) end++;
                for (int a = start; a < end; a++)
                    for (int b = start; b < end; b++)
                    {
                        if (a == b) continue;
                        g1[t] = pruned[a];
                        g2[t] = pruned[b];
                        w1[t] = e0 + a;
                        w2[t] = e0 + b;
                        atom[t] = batch.Dst[e0 + b];
                        t++;
                        if (b > maxP) maxP = b;
                        if (a > maxP) maxP = a;
                    }
                start = end;
            }
            if (t == tStart) continue;

            // Quirk 2: ns[k] = (bonds of the centre of pruned edge k) − 1 for k ≤ maxP; seg = cumsum of a 0/1 array
            // that is 1 at cumsum(ns)[:-1].
            int k0 = 0;
            var marks = new bool[t - tStart];
            int cum = 0;
            for (int start = 0; start < pruned.Count && k0 <= maxP;)
            {
                int centre = batch.Src[pruned[start]];
                int end = start;
                while (end < pruned.Count && batch.Src[pruned[end]] == centre) end++;
                int ns = end - start - 1;
                for (int k = start; k < end && k0 <= maxP; k++, k0++)
                {
                    cum += ns;
                    if (k0 < maxP) marks[cum] = true; // cumsum(ns)[:-1]; < total because the last ns ≥ 1
                }
                start = end;
            }
            long s = 0;
            for (int i = 0; i < marks.Length; i++)
            {
                if (marks[i]) s++;
                seg[tStart + i] = e0 + s;
            }
        }
        return new ThreeBodyIndex
        {
            Count = total,
            GeomEdge1 = g1, GeomEdge2 = g2, WeightEdge1 = w1, WeightEdge2 = w2, GateAtom = atom, Segment = seg,
        };
    }
}
