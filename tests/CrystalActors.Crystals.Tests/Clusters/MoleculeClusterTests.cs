using CrystalActors.Crystals.Io;

namespace CrystalActors.Crystals.Tests.Clusters;

/// <summary>The non-periodic molecule type, its XYZ / extended-XYZ I/O and isomer de-duplication.</summary>
public class MoleculeClusterTests
{
    private static readonly Element Ga = Element.FromSymbol("Ga");

    /// <summary>A distorted Ga5 (no symmetry, so permutations and rotations really move the atoms).</summary>
    internal static Molecule Ga5() => new(Enumerable.Repeat(Ga, 5),
        [new(0, 0, 0), new(2.61, 0.1, -0.05), new(1.2, 2.3, 0.2), new(1.4, 0.9, 2.2), new(-0.9, 1.8, 1.7)], "ga5");

    internal static Mat3 Rotation(double ax, double ay, double az)
    {
        var rx = new Mat3(1, 0, 0, 0, Math.Cos(ax), -Math.Sin(ax), 0, Math.Sin(ax), Math.Cos(ax));
        var ry = new Mat3(Math.Cos(ay), 0, Math.Sin(ay), 0, 1, 0, -Math.Sin(ay), 0, Math.Cos(ay));
        var rz = new Mat3(Math.Cos(az), -Math.Sin(az), 0, Math.Sin(az), Math.Cos(az), 0, 0, 0, 1);
        return rz * ry * rx;
    }

    [Fact]
    public void Constructor_MismatchedOrNonFinite_ThrowsNamingTheProblem()
    {
        Assert.Contains("2 species but 1 positions", Assert.Throws<ArgumentException>(() => new Molecule([Ga, Ga], [Vec3.Zero])).Message);
        Assert.Contains("atom 1 (Ga)", Assert.Throws<ArgumentException>(() => new Molecule([Ga, Ga], [Vec3.Zero, new(double.NaN, 0, 0)])).Message);
    }

    [Fact]
    public void WriteMolecule_ThenParse_RoundTripsPositionsAndEnergy()
    {
        var m = Ga5();
        var text = ExtendedXyz.WriteMolecule(m, [new("energy", -12.345678901234), new("method", "basin hopping")]);
        Assert.StartsWith("5\nProperties=species:S:1:pos:R:3 energy=-12.345678901234 method=\"basin hopping\" id=\"ga5\" pbc=\"F F F\"\n", text);
        var f = Assert.Single(ExtendedXyz.ParseMolecules(text, "x.xyz"));
        Assert.True(f.Molecule.ApproxEquals(m, 0));
        Assert.Equal(-12.345678901234, f.Energy);
        Assert.Equal("basin hopping", f.Info["method"]);
        Assert.Equal("ga5", f.Molecule.Id);
    }

    [Fact]
    public void ParseMolecules_AseFileWithForcesAndPlainXyz_ReadsEveryFrame()
    {
        const string text = """
            2
            Properties=species:S:1:pos:R:3:forces:R:3 energy=-5.5 pbc="F F F"
            Ga       0.00000000       0.00000000       0.00000000       0.10000000       0.00000000       0.00000000
            Ga       2.50000000       0.00000000       0.00000000      -0.10000000       0.00000000       0.00000000
            3
            plain comment
            Ga 0 0 0
            Ga 0 2.5 0
            Ga 0 0 2.5
            """;
        var frames = ExtendedXyz.ParseMolecules(text, "ase.xyz");
        Assert.Equal(2, frames.Count);
        Assert.Equal(-5.5, frames[0].Energy);
        Assert.Equal(2.5, frames[0].Molecule.Distance(0, 1), 12);
        Assert.Null(frames[1].Energy);
        Assert.Equal(3, frames[1].Molecule.NumAtoms);
    }

    [Theory]
    [InlineData("2\n\nGa 0 0 0\n", "bad.xyz:4: file ends after 1 of 2 atoms")]
    [InlineData("1\n\nXx 0 0 0\n", "bad.xyz:3: unknown element 'Xx'")]
    [InlineData("one\n\nGa 0 0 0\n", "bad.xyz:1: expected a positive atom count, found 'one'")]
    [InlineData("1\n\nGa 0 zero 0\n", "bad.xyz:3: coordinate 'zero' is not a finite number")]
    public void ParseMolecules_Malformed_ThrowsOneLineNamingFileAndLine(string text, string message)
    {
        var ex = Assert.Throws<CrystalFormatException>(() => ExtendedXyz.ParseMolecules(text, "bad.xyz"));
        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void InBox_CentresTheMoleculeAndKeepsDistances()
    {
        var m = Ga5();
        var s = m.InBox(20);
        Assert.Equal(20, s.Lattice.Parameters.A, 12);
        var c = s.CartesianCoords;
        Assert.Equal(m.Distance(1, 3), (c[1] - c[3]).Length, 10);
        Assert.Throws<ArgumentException>(() => m.InBox(3));
    }

    [Fact]
    public void IsomerSet_PermutedRotatedTranslatedCopies_CountAsOneIsomer()
    {
        var m = Ga5();
        var set = new IsomerSet(tolerance: 0.01);
        Assert.True(set.Add(m, -10.0));
        int[] perm = [3, 0, 4, 1, 2];
        var permuted = new Molecule(perm.Select(i => m.Species[i]), perm.Select(i => m.Positions[i]));
        var copy = permuted.Transformed(Rotation(0.3, -1.1, 2.0)).Translated(new Vec3(5, -3, 1));
        Assert.False(set.Add(copy, -10.5));
        var mirrored = m.Transformed(new Mat3(-1, 0, 0, 0, 1, 0, 0, 0, 1));
        Assert.False(set.Add(mirrored, -9.0));
        Assert.Equal(1, set.Count);
        Assert.Equal(3, set.Isomers[0].Count);
        Assert.Equal(-10.5, set.Isomers[0].Energy); // the lowest copy is kept
    }

    [Fact]
    public void IsomerSet_DisplacedAtom_IsANewIsomer()
    {
        var m = Ga5();
        var moved = new Molecule(m.Species, m.Positions.Select((p, i) => i == 4 ? p + new Vec3(0.3, 0, 0) : p));
        var set = new IsomerSet(tolerance: 0.05);
        set.Add(m, -10);
        Assert.True(set.Add(moved, -9.9));
        Assert.Equal(2, set.Count);
    }
}
