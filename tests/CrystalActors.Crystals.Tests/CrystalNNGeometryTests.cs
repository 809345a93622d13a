using CrystalActors.Crystals.Graphs;

namespace CrystalActors.Crystals.Tests;

/// <summary>The pieces under CrystalNN: the clipped Voronoi cell, Python rounding, the semicircle integral.</summary>
public sealed class CrystalNNGeometryTests
{
    [Fact]
    public void Compute_RandomPointClouds_FacesCloseTheSphereAndTheCellVolume()
    {
        // Faces of a closed cell subtend the full sphere, and the pyramids on its faces fill the cell; the cell of
        // the origin in a jittered cubic grid must also contain every point closer to the origin than to a
        // neighbour (checked by sampling).
        var rng = new Random(12345);
        var cell = new VoronoiCell();
        var faces = new List<VoronoiFace>();
        for (int trial = 0; trial < 12; trial++)
        {
            var points = new List<Vec3>();
            for (int x = -3; x <= 3; x++)
                for (int y = -3; y <= 3; y++)
                    for (int z = -3; z <= 3; z++)
                        if (x != 0 || y != 0 || z != 0)
                            points.Add(new Vec3(x + 0.4 * (rng.NextDouble() - 0.5), y + 0.4 * (rng.NextDouble() - 0.5),
                                                z + 0.4 * (rng.NextDouble() - 0.5)) * 2.5);
            points.Sort((p, q) => p.LengthSquared.CompareTo(q.LengthSquared));

            Assert.True(cell.Compute(points.ToArray(), 70, faces));

            Assert.Equal(4 * Math.PI, faces.Sum(f => f.SolidAngle), 10);
            double volume = faces.Sum(f => f.Area * points[f.Neighbor].Length / 2 / 3);
            // Cell vertices stay within 3.5 Å of the origin, so only neighbours within 7 Å can claim a sample.
            var near = points.Where(p => p.Length < 7.5).ToArray();
            int inside = 0, samples = 40000;
            for (int s = 0; s < samples; s++)
            {
                var v = new Vec3(rng.NextDouble() - 0.5, rng.NextDouble() - 0.5, rng.NextDouble() - 0.5) * 7.0;
                double d0 = v.LengthSquared;
                if (near.All(p => (v - p).LengthSquared > d0)) inside++;
            }
            double sampled = 343.0 * inside / samples;
            // 40000 samples at p ≈ 0.045: relative standard error 2.3%, so 10% is over 4σ.
            Assert.True(Math.Abs(sampled - volume) < 0.10 * volume, $"trial {trial}: faces give {volume:F3} Å³, sampling {sampled:F3} Å³");
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1e-13)]
    [InlineData(1e-10)]
    [InlineData(1e-8)]
    [InlineData(1e-6)]
    public void Compute_JitteredFccNeighbours_ClosedCellAndTwelveMainFaces(double jitter)
    {
        // In perfect fcc, six second-neighbour planes pass exactly through vertices of the rhombic dodecahedron;
        // tiny jitter turns them into slivers or near-misses, which must neither break the cell nor change the
        // twelve main faces.
        var rng = new Random(7);
        var points = new List<Vec3>();
        for (int x = -2; x <= 2; x++)
            for (int y = -2; y <= 2; y++)
                for (int z = -2; z <= 2; z++)
                    if ((x + y + z) % 2 == 0 && (x != 0 || y != 0 || z != 0))
                        points.Add(new Vec3(x + jitter * (rng.NextDouble() - 0.5), y + jitter * (rng.NextDouble() - 0.5),
                                            z + jitter * (rng.NextDouble() - 0.5)) * 1.8);
        points.Sort((p, q) => p.LengthSquared.CompareTo(q.LengthSquared));
        var faces = new List<VoronoiFace>();

        Assert.True(new VoronoiCell().Compute(points.ToArray(), 70, faces));

        Assert.Equal(4 * Math.PI, faces.Sum(f => f.SolidAngle), 9);
        var main = faces.Where(f => f.SolidAngle > 1e-3).ToList();
        Assert.Equal(12, main.Count);
        Assert.All(main, f => Assert.Equal(4 * Math.PI / 12, f.SolidAngle, 4));
        Assert.All(main, f => Assert.True(points[f.Neighbor].Length < 1.8 * 1.5));
    }

    [Fact]
    public void Compute_OpenSide_ReportsUnbounded()
    {
        // Neighbours only on the +x side: the cell is a half-space, which Qhull reports as an infinite vertex.
        var cell = new VoronoiCell();
        var faces = new List<VoronoiFace>();
        Vec3[] points = [new(2, 0, 0), new(2, 2, 0), new(2, 0, 2), new(3, -2, -2)];

        Assert.False(cell.Compute(points, 70, faces));
    }

    [Theory]
    [InlineData(0.0625, 0.062)] // exact tie in binary: half to even
    [InlineData(0.1875, 0.188)] // exact tie: half to even, upward
    [InlineData(0.5825, 0.583)] // binary value just above the tie: Math.Round(x * 1000) / 1000 gives 0.582
    [InlineData(0.7795, 0.779)] // binary value just below the tie: the naive product gives 0.78
    [InlineData(0.0005, 0.001)]
    [InlineData(0.0004999999999999999, 0.0)]
    [InlineData(0.9995, 1.0)]
    [InlineData(0.36010161539514380, 0.36)]
    [InlineData(1.0, 1.0)]
    [InlineData(-0.5825, -0.583)]
    public void Round3_MatchesPythonRound(double x, double python)
    {
        Assert.Equal(python, PythonRounding.Round3(x));
    }

    [Fact]
    public void Round3_DiffersFromNaiveScaledRounding_WhereThePythonValueIsKnown()
    {
        // Python: round(0.5825, 3) == 0.583, while rounding the scaled product 582.5 to even gives 0.582.
        Assert.Equal(0.582, Math.Round(0.5825 * 1000, MidpointRounding.ToEven) / 1000);
        Assert.Equal(0.583, PythonRounding.Round3(0.5825));
    }

    [Theory]
    [InlineData(1.0, 0.0, 1.0)]
    [InlineData(0.5, 0.0, 0.6089977810442294)] // area(0.5) / (π/4)
    [InlineData(1.0, 0.36, 0.5517364596742721)]
    public void SemicircleIntegral_MatchesPymatgen(double x1, double x2, double expected)
    {
        Assert.Equal(expected, CrystalNNWorker.SemicircleIntegral(x1, x2), 14);
    }
}
