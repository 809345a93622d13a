namespace CrystalActors.Crystals.Graphs;

/// <summary>
/// A crystal skeleton: a structure with its species hidden. It keeps the lattice (and so its parameters), the
/// fractional coordinates as given, the space-group number of the original crystal and its CrystalNN graph.
/// An agent fills the skeleton's sites with elements one at a time, in a breadth-first order of the graph.
/// </summary>
/// <remarks>
/// <para><b>Start sites.</b> <see cref="StartSites"/> returns up to five distinct sites spread evenly over the
/// site list, ⌊k·N/m⌋ for k = 0..m−1 with m = min(5, N). MP-20 lists sites grouped by species, so evenly spaced
/// starts tend to begin from different species; the choice is deterministic and needs no random seed.</para>
/// <para><b>Disconnected graphs.</b> The reference implementation skipped crystals whose graph is not connected.
/// Here a breadth-first order always covers every site: when the queue runs dry, the search continues from the
/// lowest-numbered site not yet visited (the next component), so molecular crystals and structures with isolated
/// atoms are usable too. <see cref="ComponentCount"/> tells how many components there are.</para>
/// <para><b>Neighbour order.</b> A site's neighbours are visited in increasing site index. Edges to the site's
/// own periodic images do not link different sites and are ignored by the search; an edge through several
/// images between the same two sites counts once.</para>
/// </remarks>
public sealed class Skeleton
{
    /// <summary>Largest number of breadth-first orders <see cref="BreadthFirstOrders"/> returns by default.</summary>
    public const int DefaultOrderCount = 5;

    private readonly Vec3[] _fracCoords;
    private readonly PeriodicEdge[] _edges;
    private readonly int[][] _adjacency;

    public Lattice Lattice { get; }
    public LatticeParameters LatticeParameters => Lattice.Parameters;
    /// <summary>Fractional coordinates of the (unlabelled) sites, as given.</summary>
    public IReadOnlyList<Vec3> FracCoords => _fracCoords;
    /// <summary>Space-group number (1–230) of the crystal the skeleton came from.</summary>
    public int SpaceGroupNumber { get; }
    /// <summary>Undirected CrystalNN edges in canonical form (see <see cref="PeriodicEdge"/>).</summary>
    public IReadOnlyList<PeriodicEdge> Edges => _edges;
    /// <summary>Identifier of the source crystal (e.g. "mp-1234"), or null.</summary>
    public string? Id { get; }
    public int NumSites => _fracCoords.Length;
    /// <summary>Number of connected components of the site graph (1 for a connected crystal).</summary>
    public int ComponentCount { get; }

    /// <exception cref="ArgumentException">no sites, a space-group number outside 1–230, or an edge naming a
    /// site that does not exist.</exception>
    public Skeleton(Lattice lattice, IReadOnlyList<Vec3> fracCoords, int spaceGroupNumber, IReadOnlyList<PeriodicEdge> edges, string? id = null)
    {
        ArgumentNullException.ThrowIfNull(lattice);
        ArgumentNullException.ThrowIfNull(fracCoords);
        ArgumentNullException.ThrowIfNull(edges);
        if (fracCoords.Count == 0)
            throw new ArgumentException("a skeleton needs at least one site", nameof(fracCoords));
        if (spaceGroupNumber is < 1 or > 230)
            throw new ArgumentException($"space-group number {spaceGroupNumber} is outside 1-230", nameof(spaceGroupNumber));
        Lattice = lattice;
        _fracCoords = fracCoords.ToArray();
        SpaceGroupNumber = spaceGroupNumber;
        Id = id;
        var neighbors = Enumerable.Range(0, _fracCoords.Length).Select(_ => new SortedSet<int>()).ToArray();
        foreach (var e in edges)
        {
            if ((uint)e.I >= (uint)NumSites || (uint)e.J >= (uint)NumSites)
                throw new ArgumentException($"edge {e} names a site outside 0..{NumSites - 1}", nameof(edges));
            if (e.I == e.J) continue;
            neighbors[e.I].Add(e.J);
            neighbors[e.J].Add(e.I);
        }
        _edges = edges.ToArray();
        _adjacency = neighbors.Select(s => s.ToArray()).ToArray();
        ComponentCount = CountComponents();
    }

    /// <summary>The skeleton of <paramref name="structure"/>: species dropped, CrystalNN graph computed.</summary>
    /// <param name="structure">The crystal; its fractional coordinates are kept as given.</param>
    /// <param name="spaceGroupNumber">Its space-group number (e.g. MP-20's <c>spacegroup_number_symprec0.1</c>).</param>
    public static Skeleton FromStructure(Structure structure, int spaceGroupNumber)
    {
        ArgumentNullException.ThrowIfNull(structure);
        return new Skeleton(structure.Lattice, structure.FracCoords, spaceGroupNumber, CrystalNN.GetEdges(structure), structure.Id);
    }

    /// <summary>Distinct sites bonded to <paramref name="site"/> (itself excluded), in increasing index.</summary>
    public IReadOnlyList<int> NeighborsOf(int site)
    {
        CheckSite(site);
        return _adjacency[site];
    }

    /// <summary>Up to <paramref name="maxOrders"/> distinct start sites, ⌊k·N/m⌋ for k = 0..m−1, m = min(maxOrders, N).</summary>
    public IReadOnlyList<int> StartSites(int maxOrders = DefaultOrderCount)
    {
        if (maxOrders < 1)
            throw new ArgumentOutOfRangeException(nameof(maxOrders), maxOrders, "at least one order is needed");
        int m = Math.Min(maxOrders, NumSites);
        // k·N/m is strictly increasing in k when m ≤ N, so the starts are distinct.
        return Enumerable.Range(0, m).Select(k => (int)((long)k * NumSites / m)).ToArray();
    }

    /// <summary>Breadth-first site orders from each of <see cref="StartSites"/>.</summary>
    public IReadOnlyList<IReadOnlyList<int>> BreadthFirstOrders(int maxOrders = DefaultOrderCount) =>
        StartSites(maxOrders).Select(BreadthFirstOrder).ToArray();

    /// <summary>
    /// Every site exactly once, breadth-first from <paramref name="start"/>, neighbours in increasing index;
    /// after a component is exhausted the search restarts from the lowest unvisited site.
    /// </summary>
    public IReadOnlyList<int> BreadthFirstOrder(int start)
    {
        CheckSite(start);
        var order = new List<int>(NumSites);
        var visited = new bool[NumSites];
        var queue = new Queue<int>();
        int nextUnvisited = 0;
        int root = start;
        while (true)
        {
            visited[root] = true;
            queue.Enqueue(root);
            while (queue.Count > 0)
            {
                int site = queue.Dequeue();
                order.Add(site);
                foreach (int n in _adjacency[site])
                {
                    if (visited[n]) continue;
                    visited[n] = true;
                    queue.Enqueue(n);
                }
            }
            while (nextUnvisited < NumSites && visited[nextUnvisited]) nextUnvisited++;
            if (nextUnvisited == NumSites) return order;
            root = nextUnvisited;
        }
    }

    private int CountComponents()
    {
        var visited = new bool[NumSites];
        int components = 0;
        var stack = new Stack<int>();
        for (int s = 0; s < NumSites; s++)
        {
            if (visited[s]) continue;
            components++;
            visited[s] = true;
            stack.Push(s);
            while (stack.Count > 0)
                foreach (int n in _adjacency[stack.Pop()])
                    if (!visited[n]) { visited[n] = true; stack.Push(n); }
        }
        return components;
    }

    private void CheckSite(int site)
    {
        if ((uint)site >= (uint)NumSites)
            throw new ArgumentOutOfRangeException(nameof(site), site, $"the skeleton has {NumSites} sites");
    }

    public override string ToString() =>
        $"Skeleton {Id ?? ""} ({NumSites} sites, space group {SpaceGroupNumber}, {_edges.Length} edges, {ComponentCount} component(s))";
}
