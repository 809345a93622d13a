namespace CrystalActors.Crystals.Tests;

public class LatticeTests
{
    [Fact]
    public void Cubic_HasVolumeAndParameters()
    {
        var l = Lattice.Cubic(5.431);
        Assert.Equal(5.431 * 5.431 * 5.431, l.Volume, 9);
        var p = l.Parameters;
        Assert.Equal(5.431, p.A, 12);
        Assert.Equal(90, p.Alpha, 10);
    }

    [Fact]
    public void Hexagonal_VolumeIsSqrt3Over2A2C()
    {
        var l = Lattice.Hexagonal(3.25, 5.21);
        Assert.Equal(Math.Sqrt(3) / 2 * 3.25 * 3.25 * 5.21, l.Volume, 9);
        Assert.Equal(120, l.Parameters.Gamma, 9);
    }

    [Fact]
    public void FromParameters_Triclinic_RoundTripsParametersAndMatchesPymatgenOrientation()
    {
        var l = Lattice.FromParameters(4.1, 5.3, 6.7, 78, 95, 103);
        var p = l.Parameters;
        Assert.Equal(4.1, p.A, 10); Assert.Equal(5.3, p.B, 10); Assert.Equal(6.7, p.C, 10);
        Assert.Equal(78, p.Alpha, 9); Assert.Equal(95, p.Beta, 9); Assert.Equal(103, p.Gamma, 9);
        // pymatgen puts c along z and a in the xz plane.
        Assert.Equal(new Vec3(0, 0, 6.7), l.C);
        Assert.Equal(0, l.A.Y, 12);
        // Volume from the closed formula abc sqrt(1 - cos²α - cos²β - cos²γ + 2 cosα cosβ cosγ).
        double ca = Math.Cos(78 * Math.PI / 180), cb = Math.Cos(95 * Math.PI / 180), cg = Math.Cos(103 * Math.PI / 180);
        Assert.Equal(4.1 * 5.3 * 6.7 * Math.Sqrt(1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg), l.Volume, 9);
    }

    [Fact]
    public void ReciprocalLattice_SatisfiesDualityWithAndWithout2Pi()
    {
        var l = Lattice.FromParameters(4.1, 5.3, 6.7, 78, 95, 103);
        var rec = l.ReciprocalLattice;
        var cry = l.ReciprocalLatticeCrystallographic;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                Assert.Equal(i == j ? 2 * Math.PI : 0, l.Matrix.Row(i).Dot(rec.Matrix.Row(j)), 10);
                Assert.Equal(i == j ? 1 : 0, l.Matrix.Row(i).Dot(cry.Matrix.Row(j)), 10);
            }
        Assert.Equal(1 / l.Volume, cry.Volume, 12);
    }

    [Fact]
    public void FractionalCartesian_RoundTrip()
    {
        var l = Lattice.FromParameters(4.1, 5.3, 6.7, 78, 95, 103);
        var f = new Vec3(0.1, -0.7, 1.3);
        var c = l.GetCartesianCoords(f);
        Assert.True(l.GetFractionalCoords(c).ApproxEquals(f, 1e-12));
        Assert.True(c.ApproxEquals(0.1 * l.A - 0.7 * l.B + 1.3 * l.C, 1e-12));
    }

    [Fact]
    public void Constructor_ZeroVolume_ThrowsWithVolumeInMessage()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Lattice(new Mat3(1, 0, 0, 0, 1, 0, 1, 1, 0)));
        Assert.Contains("volume", ex.Message);
        Assert.Throws<ArgumentException>(() => Lattice.FromParameters(3, 3, 3, 120, 120, 120)); // coplanar
    }

    [Fact]
    public void Constructor_LeftHanded_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Lattice(new Mat3(1, 0, 0, 0, 1, 0, 0, 0, -1)));
        Assert.Contains("left-handed", ex.Message);
    }

    [Fact]
    public void GetDistanceAndImage_MatchesBruteForceOnSkewedCells()
    {
        var rng = new Random(11);
        for (int trial = 0; trial < 200; trial++)
        {
            var l = RandomCells.Triclinic(rng);
            var f1 = new Vec3(rng.NextDouble() * 2 - 0.5, rng.NextDouble(), rng.NextDouble());
            var f2 = new Vec3(rng.NextDouble(), rng.NextDouble() * 3 - 1, rng.NextDouble());
            var (d, img) = l.GetDistanceAndImage(f1, f2);
            double best = double.MaxValue;
            for (int a = -6; a <= 6; a++)
                for (int b = -6; b <= 6; b++)
                    for (int c = -6; c <= 6; c++)
                        best = Math.Min(best, l.GetCartesianCoords(f2 + new Vec3(a, b, c) - f1).Length);
            Assert.Equal(best, d, 9);
            Assert.Equal(d, l.GetCartesianCoords(f2 + new Vec3(img.A, img.B, img.C) - f1).Length, 9);
        }
    }
}

internal static class RandomCells
{
    /// <summary>A random right-handed triclinic cell, often strongly skewed (angles 40°-140°, lengths 1.5-9 Å).</summary>
    public static Lattice Triclinic(Random rng, double minLength = 1.5, double maxLength = 9)
    {
        while (true)
        {
            double L() => minLength + rng.NextDouble() * (maxLength - minLength);
            double A() => 40 + rng.NextDouble() * 100;
            try
            {
                var l = Lattice.FromParameters(L(), L(), L(), A(), A(), A());
                if (l.Volume > 0.2 * l.Parameters.A * l.Parameters.B * l.Parameters.C) return l;
            }
            catch (ArgumentException)
            {
                // angles that cannot close a cell: draw again
            }
        }
    }
}
