namespace CrystalActors.Crystals;

/// <summary>A double-precision 3-vector (Cartesian Å or fractional coordinates, depending on context).</summary>
public readonly record struct Vec3(double X, double Y, double Z)
{
    public static readonly Vec3 Zero = new(0, 0, 0);

    public double this[int axis] => axis switch
    {
        0 => X,
        1 => Y,
        2 => Z,
        _ => throw new ArgumentOutOfRangeException(nameof(axis), axis, "axis must be 0, 1 or 2"),
    };

    public static Vec3 operator +(Vec3 a, Vec3 b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);
    public static Vec3 operator -(Vec3 a, Vec3 b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);
    public static Vec3 operator -(Vec3 a) => new(-a.X, -a.Y, -a.Z);
    public static Vec3 operator *(double s, Vec3 a) => new(s * a.X, s * a.Y, s * a.Z);
    public static Vec3 operator *(Vec3 a, double s) => new(s * a.X, s * a.Y, s * a.Z);
    public static Vec3 operator /(Vec3 a, double s) => new(a.X / s, a.Y / s, a.Z / s);

    public double Dot(Vec3 b) => X * b.X + Y * b.Y + Z * b.Z;
    public Vec3 Cross(Vec3 b) => new(Y * b.Z - Z * b.Y, Z * b.X - X * b.Z, X * b.Y - Y * b.X);
    public double LengthSquared => X * X + Y * Y + Z * Z;
    public double Length => Math.Sqrt(LengthSquared);
    public bool IsFinite => double.IsFinite(X) && double.IsFinite(Y) && double.IsFinite(Z);

    /// <summary>Component-wise floor-based wrap into [0, 1).</summary>
    public Vec3 WrapUnit() => new(Wrap(X), Wrap(Y), Wrap(Z));

    /// <summary>Component-wise rounding to the nearest integer (half away from zero).</summary>
    public Vec3 Round() => new(Math.Round(X, MidpointRounding.AwayFromZero), Math.Round(Y, MidpointRounding.AwayFromZero), Math.Round(Z, MidpointRounding.AwayFromZero));

    public bool ApproxEquals(Vec3 other, double tol) =>
        Math.Abs(X - other.X) <= tol && Math.Abs(Y - other.Y) <= tol && Math.Abs(Z - other.Z) <= tol;

    private static double Wrap(double x)
    {
        double w = x - Math.Floor(x);
        // x = -1e-17 gives w = 1.0 exactly after rounding; keep the result inside [0, 1).
        return w >= 1.0 ? 0.0 : w;
    }

    public override string ToString() => FormattableString.Invariant($"({X:G10}, {Y:G10}, {Z:G10})");
}
