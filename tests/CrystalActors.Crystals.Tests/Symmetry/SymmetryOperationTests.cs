using CrystalActors.Crystals.Symmetry;

namespace CrystalActors.Crystals.Tests.Symmetry;

public class SymmetryOperationTests
{
    [Theory]
    [InlineData("x, y, z", 0.1, 0.2, 0.3, 0.1, 0.2, 0.3)]
    [InlineData("-x+1/2, y-x, z+0.25", 0.1, 0.2, 0.3, 0.4, 0.1, 0.55)]
    [InlineData("1/2+x,-y,1/4-z", 0.1, 0.2, 0.3, 0.6, -0.2, -0.05)]
    [InlineData("X-Y, +X, Z", 0.5, 0.25, 0.0, 0.25, 0.5, 0.0)]
    [InlineData("2*x, y, z", 0.1, 0.2, 0.3, 0.2, 0.2, 0.3)]
    public void Parse_AppliesTheAffineMap(string op, double x, double y, double z, double ex, double ey, double ez)
    {
        var r = SymmetryOperation.Parse(op).Apply(new Vec3(x, y, z));
        Assert.True(r.ApproxEquals(new Vec3(ex, ey, ez), 1e-12), r.ToString());
    }

    [Theory]
    [InlineData("x, y")]
    [InlineData("x, y, w")]
    [InlineData("x, y, 1/0")]
    public void Parse_Malformed_QuotesTheOperation(string op)
    {
        var ex = Assert.Throws<FormatException>(() => SymmetryOperation.Parse(op));
        Assert.Contains(op, ex.Message);
    }
}
