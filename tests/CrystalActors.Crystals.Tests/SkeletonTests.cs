using CrystalActors.Crystals.Graphs;

namespace CrystalActors.Crystals.Tests;

public sealed class SkeletonTests
{
    private static Lattice ToLattice(double[,] m) => new(Mat3.FromRows(
        new Vec3(m[0, 0], m[0, 1], m[0, 2]), new Vec3(m[1, 0], m[1, 1], m[1, 2]), new Vec3(m[2, 0], m[2, 1], m[2, 2])));

    private static Skeleton FromArrays(double[,] lattice, double[][] frac, int spaceGroup) =>
        new(ToLattice(lattice), frac.Select(f => new Vec3(f[0], f[1], f[2])).ToArray(), spaceGroup,
            CrystalNN.GetEdges(lattice, frac));

    [Fact]
    public void BreadthFirstOrders_TwoAtomBcc_OneOrderPerSite()
    {
        var skeleton = FromArrays(new double[3, 3] { { 2.87, 0, 0 }, { 0, 2.87, 0 }, { 0, 0, 2.87 } },
            [[0, 0, 0], [0.5, 0.5, 0.5]], 229);

        Assert.Equal(1, skeleton.ComponentCount);
        Assert.Equal(8, skeleton.Edges.Count);
        Assert.Equal([0, 1], skeleton.StartSites());
        Assert.Equal([[0, 1], [1, 0]], skeleton.BreadthFirstOrders());
        Assert.Equal(2.87, skeleton.LatticeParameters.A, 12);
        Assert.Equal(229, skeleton.SpaceGroupNumber);
    }

    [Fact]
    public void BreadthFirstOrders_TwentyAtomValCrystal_FiveValidBfsOrders()
    {
        var reference = CrystalNNTestData.References.First(r => r.Sites.Count == 20);
        var crystal = CrystalNNTestData.Val[reference.Index];
        var skeleton = FromArrays(crystal.Lattice, crystal.Frac, crystal.SpaceGroup);
        var fromPymatgen = new Skeleton(ToLattice(crystal.Lattice), skeleton.FracCoords, crystal.SpaceGroup,
            reference.Edges.Order().ToArray());

        var orders = skeleton.BreadthFirstOrders();

        Assert.Equal(1, skeleton.ComponentCount);
        Assert.Equal([0, 4, 8, 12, 16], skeleton.StartSites());
        Assert.Equal(fromPymatgen.BreadthFirstOrders(), orders);
        var hops = HopDistances(skeleton);
        foreach (var order in orders)
        {
            Assert.Equal(Enumerable.Range(0, 20), order.Order());
            int start = order[0];
            // Breadth-first: hop distance from the start never decreases along the order, and every later site is
            // bonded to some site placed before it.
            for (int k = 1; k < order.Count; k++)
            {
                Assert.True(hops[start, order[k - 1]] <= hops[start, order[k]], $"order from {start} is not breadth-first at position {k}");
                Assert.Contains(order.Take(k), earlier => skeleton.NeighborsOf(order[k]).Contains(earlier));
            }
        }
    }

    [Fact]
    public void BreadthFirstOrder_TwoSeparateLayers_ContinuesFromLowestUnvisitedSite()
    {
        // Two centred-square layers 12 Å apart: in-layer bonds 2.47 Å, nothing bonds across the gap, so the
        // graph has components {0, 2} (z = 0) and {1, 3} (z = 1/2).
        var lattice = new double[3, 3] { { 3.5, 0, 0 }, { 0, 3.5, 0 }, { 0, 0, 24 } };
        double[][] frac = [[0, 0, 0], [0, 0, 0.5], [0.5, 0.5, 0], [0.5, 0.5, 0.5]];

        var skeleton = FromArrays(lattice, frac, 123);

        Assert.Equal(2, skeleton.ComponentCount);
        Assert.Equal([2], skeleton.NeighborsOf(0));
        Assert.Equal([3], skeleton.NeighborsOf(1));
        Assert.Equal([[0, 2, 1, 3], [1, 3, 0, 2], [2, 0, 1, 3], [3, 1, 0, 2]], skeleton.BreadthFirstOrders());
    }

    [Fact]
    public void FromStructure_RockSalt_HidesSpeciesKeepsGeometryAndGraph()
    {
        var structure = Structure.FromSpecies(Lattice.Cubic(5.64),
            new[] { "Na", "Na", "Na", "Na", "Cl", "Cl", "Cl", "Cl" }.Select(Element.FromSymbol).ToArray(),
            [new(0, 0, 0), new(0, 0.5, 0.5), new(0.5, 0, 0.5), new(0.5, 0.5, 0), new(0.5, 0, 0), new(0, 0.5, 0), new(0, 0, 0.5), new(0.5, 0.5, 0.5)],
            "rocksalt");

        var skeleton = Skeleton.FromStructure(structure, 225);

        Assert.Equal("rocksalt", skeleton.Id);
        Assert.Equal(structure.FracCoords, skeleton.FracCoords);
        Assert.Equal(CrystalNN.GetEdges(structure), skeleton.Edges);
        Assert.Equal(90.0, skeleton.LatticeParameters.Gamma, 10);
        // Na 0 at the origin bonds to the Cl at a/2 along x, y, z (sites 4, 5, 6), not to the body centre (7).
        Assert.Equal([4, 5, 6], skeleton.NeighborsOf(0));
        // Then Cl 4 brings Na 2 and 3, Cl 5 brings Na 1, and Na 2 brings the body-centre Cl 7.
        Assert.Equal([0, 4, 5, 6, 2, 3, 1, 7], skeleton.BreadthFirstOrder(0));
        Assert.Equal(1, skeleton.ComponentCount);
    }

    [Fact]
    public void BreadthFirstOrders_FewerOrdersRequested_SpreadsStartsOverTheSites()
    {
        var skeleton = new Skeleton(Lattice.Cubic(10), Enumerable.Range(0, 7).Select(i => new Vec3(i / 7.0, 0, 0)).ToArray(), 1, []);

        Assert.Equal([0, 2, 4], skeleton.StartSites(3));
        Assert.Equal(7, skeleton.ComponentCount);
        Assert.Equal([4, 0, 1, 2, 3, 5, 6], skeleton.BreadthFirstOrder(4)); // no bonds: start, then by index
    }

    [Fact]
    public void Constructor_InvalidInput_ThrowsNamingTheProblem()
    {
        Vec3[] sites = [new(0, 0, 0), new(0.5, 0.5, 0.5)];
        Assert.Contains("230", Assert.Throws<ArgumentException>(() => new Skeleton(Lattice.Cubic(3), sites, 0, [])).Message);
        Assert.Contains("(0, 2, [0, 0, 0])",
            Assert.Throws<ArgumentException>(() => new Skeleton(Lattice.Cubic(3), sites, 1, [new PeriodicEdge(0, 2, 0, 0, 0)])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Skeleton(Lattice.Cubic(3), sites, 1, []).BreadthFirstOrder(2));
    }

    /// <summary>All-pairs hop counts by Floyd–Warshall, independent of the BFS under test.</summary>
    private static int[,] HopDistances(Skeleton s)
    {
        int n = s.NumSites;
        var d = new int[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                d[i, j] = i == j ? 0 : 1_000_000;
        foreach (var e in s.Edges.Where(e => e.I != e.J))
            d[e.I, e.J] = d[e.J, e.I] = 1;
        for (int k = 0; k < n; k++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    d[i, j] = Math.Min(d[i, j], d[i, k] + d[k, j]);
        return d;
    }
}
