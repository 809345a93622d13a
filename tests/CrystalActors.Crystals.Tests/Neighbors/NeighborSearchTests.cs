using CrystalActors.Crystals.Neighbors;

namespace CrystalActors.Crystals.Tests.Neighbors;

public class NeighborSearchTests
{
    /// <summary>Reference: every image in a generous box, checked one by one.</summary>
    private static SortedSet<(int I, int J, int A, int B, int C)> BruteForce(Lattice l, Vec3[] frac, double cutoff, out Dictionary<(int, int, int, int, int), double> dist)
    {
        var w = l.PerpendicularWidths;
        // Coordinates may sit up to 1 cell outside [0, 1), so reach one cell further.
        int na = (int)Math.Ceiling(cutoff / w.X) + 2, nb = (int)Math.Ceiling(cutoff / w.Y) + 2, nc = (int)Math.Ceiling(cutoff / w.Z) + 2;
        var set = new SortedSet<(int, int, int, int, int)>();
        dist = new();
        for (int i = 0; i < frac.Length; i++)
            for (int j = 0; j < frac.Length; j++)
                for (int a = -na; a <= na; a++)
                    for (int b = -nb; b <= nb; b++)
                        for (int c = -nc; c <= nc; c++)
                        {
                            if (i == j && a == 0 && b == 0 && c == 0) continue;
                            double d = l.GetCartesianCoords(frac[j] + new Vec3(a, b, c) - frac[i]).Length;
                            if (d <= cutoff) { set.Add((i, j, a, b, c)); dist[(i, j, a, b, c)] = d; }
                        }
        return set;
    }

    private static void AssertMatchesBruteForce(Lattice l, Vec3[] frac, double cutoff)
    {
        AssertMatchesBruteForce(l, frac, cutoff, cellLists: false);
        AssertMatchesBruteForce(l, frac, cutoff, cellLists: true);
    }

    private static void AssertMatchesBruteForce(Lattice l, Vec3[] frac, double cutoff, bool cellLists)
    {
        var expected = BruteForce(l, frac, cutoff, out var dist);
        var nl = NeighborSearch.FindNeighbors(l, frac, cutoff, forceCellLists: cellLists);
        var actual = new List<(int, int, int, int, int)>();
        for (int k = 0; k < nl.Count; k++)
        {
            var key = (nl.Centers[k], nl.Neighbors[k], nl.Images[k].A, nl.Images[k].B, nl.Images[k].C);
            actual.Add(key);
            Assert.True(dist.ContainsKey(key), $"spurious pair {key}");
            Assert.Equal(dist[key], nl.Distances[k], 9);
            var v = l.GetCartesianCoords(frac[key.Item2] + nl.Images[k].ToVec3() - frac[key.Item1]);
            Assert.True(v.ApproxEquals(nl.Vectors[k], 1e-9));
        }
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected, actual.ToHashSet().Order());
        Assert.Equal(actual.Count, actual.Distinct().Count());
        // Ordered by centre, then neighbour, then image.
        Assert.Equal(actual.Order(), actual);
    }

    [Theory]
    [InlineData(1, 5.0)]
    [InlineData(2, 4.0)]
    [InlineData(3, 6.0)]
    [InlineData(4, 3.0)]
    [InlineData(5, 5.0)]
    public void FindNeighbors_RandomTriclinicCells_MatchBruteForce(int seed, double cutoff)
    {
        var rng = new Random(seed);
        for (int trial = 0; trial < 12; trial++)
        {
            var l = RandomCells.Triclinic(rng, 2.5, 9);
            int n = 1 + rng.Next(10);
            // Some coordinates outside [0, 1), as in MP-20 and in generated crystals.
            var frac = Enumerable.Range(0, n).Select(_ => new Vec3(rng.NextDouble() * 1.4 - 0.2, rng.NextDouble(), rng.NextDouble() * 2 - 1)).ToArray();
            AssertMatchesBruteForce(l, frac, cutoff);
        }
    }

    [Fact]
    public void FindNeighbors_CellsMuchSmallerThanTheCutoff_MatchBruteForce()
    {
        var rng = new Random(42);
        for (int trial = 0; trial < 8; trial++)
        {
            var l = RandomCells.Triclinic(rng, 1.2, 2.5);
            var frac = Enumerable.Range(0, 1 + rng.Next(3)).Select(_ => new Vec3(rng.NextDouble(), rng.NextDouble(), rng.NextDouble())).ToArray();
            AssertMatchesBruteForce(l, frac, 5.0);
        }
    }

    [Fact]
    public void FindNeighbors_StronglySkewedCell_MatchesBruteForce()
    {
        // A cell with 20° angles: perpendicular widths are far smaller than the lattice lengths.
        var l = Lattice.FromParameters(6, 6, 6, 25, 25, 25);
        var frac = new[] { new Vec3(0, 0, 0), new Vec3(0.3, 0.6, 0.1), new Vec3(0.9, 0.2, 0.5) };
        AssertMatchesBruteForce(l, frac, 4.5);
    }

    [Fact]
    public void FindNeighbors_FccSingleAtom_Has12NearestNeighbours()
    {
        // Primitive fcc cell of Cu (a = 3.615 Å): 12 neighbours at a/√2, then 6 at a.
        double a = 3.615;
        var l = new Lattice(new Mat3(0, a / 2, a / 2, a / 2, 0, a / 2, a / 2, a / 2, 0));
        var s = new Structure(l, [new Site(Element.FromSymbol("Cu"), Vec3.Zero)]);
        var nl = NeighborSearch.FindNeighbors(s, a / Math.Sqrt(2) + 1e-6);
        Assert.Equal(12, nl.Count);
        Assert.All(nl.Distances, d => Assert.Equal(a / Math.Sqrt(2), d, 10));
        Assert.Equal(18, NeighborSearch.FindNeighbors(s, a + 1e-6).Count);
    }

    [Fact]
    public void FindNeighbors_ValCrystals_MatchBruteForceAt5Angstrom()
    {
        foreach (int index in new[] { 0, 3, 100, 1000, 5000, 9000 })
        {
            var s = Mp20Val.Records[index].Structure!;
            AssertMatchesBruteForce(s.Lattice, s.FracCoords.ToArray(), 5.0);
        }
    }

    [Fact]
    public void FindNeighbors_LargeSupercell_UsesCellListsAndMatchesTheSmallCellPerSite()
    {
        // A 5x5x5 supercell of a val crystal (hundreds of sites, beyond the direct-loop limit): every site keeps the
        // neighbour distances of its original in the primitive cell.
        var s = Mp20Val.Records[3].Structure!;
        var small = NeighborSearch.FindNeighbors(s, 5.0);
        var m = s.Lattice.Matrix;
        var super = new Lattice(Mat3.FromRows(5 * m.Row(0), 5 * m.Row(1), 5 * m.Row(2)));
        var frac = new List<Vec3>();
        for (int a = 0; a < 5; a++) for (int b = 0; b < 5; b++) for (int c = 0; c < 5; c++)
            foreach (var site in s.Sites) frac.Add((site.FracCoords + new Vec3(a, b, c)) / 5);
        Assert.True((long)frac.Count * frac.Count > NeighborSearch.DirectPairLimit);
        var big = NeighborSearch.FindNeighbors(super, frac.ToArray(), 5.0);
        Assert.Equal(125 * small.Count, big.Count);
        var smallOffsets = small.CenterOffsets();
        var bigOffsets = big.CenterOffsets();
        for (int k = 0; k < frac.Count; k++)
        {
            int i = k % s.NumSites;
            var expected = small.Distances[smallOffsets[i]..smallOffsets[i + 1]].Order().ToArray();
            var actual = big.Distances[bigOffsets[k]..bigOffsets[k + 1]].Order().ToArray();
            Assert.Equal(expected.Length, actual.Length);
            for (int t = 0; t < expected.Length; t++) Assert.Equal(expected[t], actual[t], 9);
        }
    }

    [Fact]
    public void FindNeighbors_NonPositiveCutoff_Throws()
    {
        var s = new Structure(Lattice.Cubic(3), [new Site(Element.FromSymbol("Po"), Vec3.Zero)]);
        Assert.Throws<ArgumentOutOfRangeException>(() => NeighborSearch.FindNeighbors(s, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => NeighborSearch.FindNeighbors(s, double.NaN));
    }

    [Fact]
    public void CenterOffsets_DelimitEachCentresPairs()
    {
        var s = Mp20Val.Records[5].Structure!;
        var nl = NeighborSearch.FindNeighbors(s, 4.0);
        var off = nl.CenterOffsets();
        Assert.Equal(nl.Count, off[^1]);
        for (int i = 0; i < s.NumSites; i++)
            for (int k = off[i]; k < off[i + 1]; k++) Assert.Equal(i, nl.Centers[k]);
    }
}
