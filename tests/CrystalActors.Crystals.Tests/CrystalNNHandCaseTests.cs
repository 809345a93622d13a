using CrystalActors.Crystals.Graphs;

namespace CrystalActors.Crystals.Tests;

/// <summary>CrystalNN on textbook structures whose Voronoi cells are known in closed form.</summary>
public sealed class CrystalNNHandCaseTests
{
    private static double[,] Cubic(double a) => new double[3, 3] { { a, 0, 0 }, { 0, a, 0 }, { 0, 0, a } };

    [Fact]
    public void GetSiteNeighbors_SimpleCubicPolonium_SixCubeFacesOfEqualSolidAngle()
    {
        var site = CrystalNN.GetSiteNeighbors(Cubic(3.359), [[0, 0, 0]], 0);

        Assert.Equal(6, site.CoordinationNumber);
        Assert.Equal(6, site.Faces.Count); // the 12 face-diagonal planes only touch the cube along its edges
        foreach (var face in site.Faces)
        {
            Assert.Equal(4 * Math.PI / 6, face.SolidAngle, 12);
            Assert.Equal(3.359 * 3.359, face.Area, 10);
            Assert.Equal(3.359, face.Distance, 12);
            Assert.Equal(1.0, face.Weight);
        }
        Assert.Equal([new KeyValuePair<int, double>(6, 1.0)], site.CnWeights);
    }

    [Fact]
    public void GetEdges_SimpleCubic_ThreeSelfImageEdgesWithPositiveImages()
    {
        var edges = CrystalNN.GetEdges(Cubic(3.359), [[0, 0, 0]]);

        Assert.Equal([new PeriodicEdge(0, 0, 0, 0, 1), new PeriodicEdge(0, 0, 0, 1, 0), new PeriodicEdge(0, 0, 1, 0, 0)], edges);
    }

    [Fact]
    public void GetSiteNeighbors_BodyCentredCubicIron_ChoosesEightOverFourteen()
    {
        // Truncated octahedron: 8 hexagons toward the body centres, 6 squares toward the cube neighbours.
        // Square solid angle 4·asin(1/9); weight = Ω_square / Ω_hexagon = 0.36010 -> 0.36.
        var site = CrystalNN.GetSiteNeighbors(Cubic(2.87), [[0, 0, 0], [0.5, 0.5, 0.5]], 0);

        double square = 4 * Math.Asin(1.0 / 9.0);
        double hexagon = (4 * Math.PI - 6 * square) / 8;
        Assert.Equal(14, site.Faces.Count);
        Assert.Equal(8, site.Faces.Count(f => f.Weight == 1.0));
        Assert.All(site.Faces.Where(f => f.Weight < 1), f => Assert.Equal(square, f.SolidAngle, 12));
        Assert.All(site.Faces.Where(f => f.Weight < 1), f => Assert.Equal(0.36, f.Weight));
        Assert.Equal(square / hexagon, site.Faces[^1].NormalizedWeight, 12);

        Assert.Equal(8, site.CoordinationNumber);
        Assert.All(site.Neighbors, n => Assert.Equal(1, n.J));
        Assert.Equal([8, 14], site.CnWeights.Select(p => p.Key));
        Assert.Equal(0.5517364596742721, site.CnWeights[0].Value, 12);
        Assert.Equal(0.44826354032572785, site.CnWeights[1].Value, 12);
    }

    [Fact]
    public void GetEdges_BodyCentredCubic_EightCornerToCentreEdges()
    {
        var edges = CrystalNN.GetEdges(Cubic(2.87), [[0, 0, 0], [0.5, 0.5, 0.5]]);

        var expected = from a in new[] { -1, 0 } from b in new[] { -1, 0 } from c in new[] { -1, 0 }
                       select new PeriodicEdge(0, 1, a, b, c);
        Assert.Equal(expected.Order(), edges);
    }

    [Fact]
    public void GetEdges_PrimitiveBccInSkewedCell_FourSelfImageEdgesOfLength()
    {
        // One atom, rhombohedral primitive vectors of bcc: the eight nearest neighbours are images ±(1,0,0),
        // ±(0,1,0), ±(0,0,1), ±(1,1,1), each at √3/2·a.
        const double a = 2.87;
        var lattice = new double[3, 3] { { -a / 2, a / 2, a / 2 }, { a / 2, -a / 2, a / 2 }, { a / 2, a / 2, -a / 2 } };

        var site = CrystalNN.GetSiteNeighbors(lattice, [[0.1, 0.2, 0.3]], 0);
        var edges = CrystalNN.GetEdges(lattice, [[0.1, 0.2, 0.3]]);

        Assert.Equal(8, site.CoordinationNumber);
        Assert.All(site.Neighbors, n => Assert.Equal(Math.Sqrt(3) / 2 * a, n.Distance, 12));
        Assert.Equal([new PeriodicEdge(0, 0, 0, 0, 1), new PeriodicEdge(0, 0, 0, 1, 0), new PeriodicEdge(0, 0, 1, 0, 0),
                      new PeriodicEdge(0, 0, 1, 1, 1)], edges);
    }

    [Fact]
    public void GetAllSiteNeighbors_FaceCentredCubicCopper_TwelveEqualRhombicFaces()
    {
        double[][] frac = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]];

        var sites = CrystalNN.GetAllSiteNeighbors(Cubic(3.61), frac);
        var edges = CrystalNN.GetEdges(Cubic(3.61), frac);

        Assert.All(sites, s =>
        {
            Assert.Equal(12, s.CoordinationNumber);
            Assert.All(s.Neighbors, n => Assert.Equal(4 * Math.PI / 12, n.SolidAngle, 12));
            Assert.All(s.Neighbors, n => Assert.Equal(3.61 / Math.Sqrt(2), n.Distance, 12));
        });
        Assert.Equal(4 * 12 / 2, edges.Count);
        Assert.DoesNotContain(edges, e => e.I == e.J);
    }

    [Fact]
    public void GetEdges_RockSaltNaCl_OctahedralNaClBondsOnly()
    {
        var lattice = Cubic(5.64);
        double[][] frac =
        [
            [0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0], // Na
            [0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5], [0.5, 0.5, 0.5], // Cl
        ];

        var sites = CrystalNN.GetAllSiteNeighbors(lattice, frac);
        var edges = CrystalNN.GetEdges(lattice, frac);

        Assert.All(sites, s => Assert.Equal(6, s.CoordinationNumber));
        Assert.Equal(8 * 6 / 2, edges.Count);
        Assert.All(edges, e => Assert.True(e.I < 4 && e.J >= 4, $"{e} is not a Na-Cl bond"));
    }

    [Fact]
    public void GetSiteNeighbors_LoneAtomInLargeCell_GrowsCutoffUntilCellCloses()
    {
        // Nothing lies within 7 Å, so pymatgen doubles the cutoff (7 -> 14 -> 28 Å) until Qhull closes the cell.
        var site = CrystalNN.GetSiteNeighbors(Cubic(20), [[0.5, 0.5, 0.5]], 0);

        Assert.Equal(6, site.CoordinationNumber);
        Assert.All(site.Neighbors, n => Assert.Equal(20.0, n.Distance, 12));
    }

    [Fact]
    public void GetEdges_SiteOutsideHomeCell_ImagesRelativeToCoordinatesAsGiven()
    {
        var inside = CrystalNN.GetEdges(Cubic(2.87), [[0, 0, 0], [0.5, 0.5, 0.5]]);
        var shifted = CrystalNN.GetEdges(Cubic(2.87), [[0, 0, 0], [1.5, 0.5, 0.5]]);

        Assert.Equal(inside.Select(e => e with { A = e.A - 1 }).Order(), shifted);
    }

    [Fact]
    public void GetEdges_UnimodularChangeOfCell_SameBondsWithTransformedImages()
    {
        // The same crystal described by a sheared cell (rows U·M, fractional coordinates f·U⁻¹) has the same
        // bonds; an image n' in the new cell is n = n'·U in the old one. This exercises skewed cells in the image
        // enumeration.
        int[,] u = { { 1, 1, 0 }, { 0, 1, 0 }, { -1, 0, 1 } };
        int[,] uInverse = { { 1, -1, 0 }, { 0, 1, 0 }, { 1, -1, 1 } };
        foreach (var reference in CrystalNNTestData.References.Take(40))
        {
            var crystal = CrystalNNTestData.Val[reference.Index];
            var m = crystal.Lattice;
            var sheared = new double[3, 3];
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    sheared[i, j] = u[i, 0] * m[0, j] + u[i, 1] * m[1, j] + u[i, 2] * m[2, j];
            var frac = crystal.Frac.Select(f => Enumerable.Range(0, 3)
                .Select(j => f[0] * uInverse[0, j] + f[1] * uInverse[1, j] + f[2] * uInverse[2, j]).ToArray()).ToArray();

            var back = CrystalNN.GetEdges(sheared, frac).Select(e => PeriodicEdge.Canonical(e.I, e.J,
                e.A * u[0, 0] + e.B * u[1, 0] + e.C * u[2, 0],
                e.A * u[0, 1] + e.B * u[1, 1] + e.C * u[2, 1],
                e.A * u[0, 2] + e.B * u[1, 2] + e.C * u[2, 2])).ToHashSet();

            Assert.True(back.SetEquals(reference.Edges), $"{reference.MaterialId}: the sheared cell changes the graph");
        }
    }

    [Fact]
    public void GetEdges_Structure_SameAsRawArrays()
    {
        var crystal = CrystalNNTestData.Val[1];
        var structure = Structure.FromSpecies(
            new Lattice(Mat3.FromRows(
                new Vec3(crystal.Lattice[0, 0], crystal.Lattice[0, 1], crystal.Lattice[0, 2]),
                new Vec3(crystal.Lattice[1, 0], crystal.Lattice[1, 1], crystal.Lattice[1, 2]),
                new Vec3(crystal.Lattice[2, 0], crystal.Lattice[2, 1], crystal.Lattice[2, 2]))),
            crystal.Frac.Select(_ => Element.FromSymbol("O")).ToArray(),
            crystal.Frac.Select(f => new Vec3(f[0], f[1], f[2])).ToArray());

        Assert.Equal(CrystalNN.GetEdges(crystal.Lattice, crystal.Frac), CrystalNN.GetEdges(structure));
        Assert.Equal(CrystalNN.GetSiteNeighbors(crystal.Lattice, crystal.Frac, 3).Neighbors,
                     CrystalNN.GetSiteNeighbors(structure, 3).Neighbors);
    }

    [Fact]
    public void GetEdges_CoincidentSites_ThrowsNamingBothSites()
    {
        var ex = Assert.Throws<ArgumentException>(() => CrystalNN.GetEdges(Cubic(4), [[0.25, 0.25, 0.25], [0.1, 0.1, 0.1], [1.25, 0.25, 0.25]]));
        Assert.Contains("sites 0 and 2", ex.Message);
    }

    [Fact]
    public void GetEdges_FlatLattice_ThrowsZeroVolume()
    {
        var flat = new double[3, 3] { { 1, 0, 0 }, { 0, 1, 0 }, { 1, 1, 0 } };
        var ex = Assert.Throws<ArgumentException>(() => CrystalNN.GetEdges(flat, [[0, 0, 0]]));
        Assert.Contains("volume", ex.Message);
    }

    [Fact]
    public void GetEdges_BadCoordinates_ThrowsNamingTheSite()
    {
        Assert.Contains("site 1", Assert.Throws<ArgumentException>(() => CrystalNN.GetEdges(Cubic(4), [[0, 0, 0], [0.5, 0.5]])).Message);
        Assert.Contains("site 0", Assert.Throws<ArgumentException>(() => CrystalNN.GetEdges(Cubic(4), [[double.NaN, 0, 0]])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => CrystalNN.GetSiteNeighbors(Cubic(4), [[0, 0, 0]], 1));
    }
}
