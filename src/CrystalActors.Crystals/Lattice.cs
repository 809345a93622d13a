namespace CrystalActors.Crystals;

/// <summary>Lattice parameters: lengths in Å, angles in degrees (alpha = angle(b, c), beta = angle(a, c), gamma = angle(a, b)).</summary>
public readonly record struct LatticeParameters(double A, double B, double C, double Alpha, double Beta, double Gamma);

/// <summary>
/// An immutable crystal lattice. <see cref="Matrix"/> holds the lattice vectors a, b, c as rows, in Å, so a
/// fractional row vector f maps to Cartesian f·M. Only right-handed, non-degenerate lattices are accepted.
/// </summary>
public sealed class Lattice : IEquatable<Lattice>
{
    /// <summary>Smallest accepted cell volume in Å³ (no real crystal is near it; catches degenerate input).</summary>
    public const double MinVolume = 1e-3;

    private readonly Mat3 _inverse;

    public Mat3 Matrix { get; }
    public Mat3 InverseMatrix => _inverse;
    /// <summary>Cell volume in Å³ (the determinant of <see cref="Matrix"/>).</summary>
    public double Volume { get; }

    /// <exception cref="ArgumentException">a non-finite entry, a (near-)zero volume, or a left-handed (negative-determinant) basis.</exception>
    public Lattice(Mat3 matrix)
    {
        for (int i = 0; i < 3; i++)
            if (!matrix.Row(i).IsFinite)
                throw new ArgumentException($"lattice vector {"abc"[i]} = {matrix.Row(i)} has a non-finite component", nameof(matrix));
        double det = matrix.Determinant;
        if (Math.Abs(det) < MinVolume)
            throw new ArgumentException($"lattice volume {det:G6} Å³ is zero (lattice vectors are coplanar or zero); minimum is {MinVolume} Å³", nameof(matrix));
        if (det < 0)
            throw new ArgumentException($"lattice vectors are left-handed (determinant {det:G6} Å³ < 0); swap two vectors or negate one", nameof(matrix));
        Matrix = matrix;
        Volume = det;
        _inverse = matrix.Inverse();
    }

    public Lattice(IReadOnlyList<IReadOnlyList<double>> rows) : this(Mat3.FromRows(rows)) { }

    public static Lattice Cubic(double a) => FromParameters(a, a, a, 90, 90, 90);

    public static Lattice Hexagonal(double a, double c) => FromParameters(a, a, c, 90, 90, 120);

    /// <summary>
    /// Builds the lattice from a, b, c (Å) and alpha, beta, gamma (degrees) in pymatgen's orientation
    /// (c along z, a in the xz plane), so matrices agree with pymatgen's <c>Lattice.from_parameters</c>.
    /// </summary>
    /// <exception cref="ArgumentException">a non-positive length, or angles that cannot close a cell.</exception>
    public static Lattice FromParameters(double a, double b, double c, double alpha, double beta, double gamma)
    {
        if (!(a > 0) || !(b > 0) || !(c > 0) || !double.IsFinite(a + b + c))
            throw new ArgumentException($"lattice lengths must be positive and finite, got a={a}, b={b}, c={c}");
        foreach (var (name, angle) in new[] { ("alpha", alpha), ("beta", beta), ("gamma", gamma) })
            if (!(angle > 0 && angle < 180))
                throw new ArgumentException($"lattice angle {name} = {angle}° must lie strictly between 0° and 180°");
        double ar = alpha * Math.PI / 180, br = beta * Math.PI / 180, gr = gamma * Math.PI / 180;
        double val = (Math.Cos(ar) * Math.Cos(br) - Math.Cos(gr)) / (Math.Sin(ar) * Math.Sin(br));
        val = Math.Clamp(val, -1.0, 1.0);
        double gammaStar = Math.Acos(val);
        var va = new Vec3(a * Math.Sin(br), 0.0, a * Math.Cos(br));
        var vb = new Vec3(-b * Math.Sin(ar) * Math.Cos(gammaStar), b * Math.Sin(ar) * Math.Sin(gammaStar), b * Math.Cos(ar));
        var vc = new Vec3(0.0, 0.0, c);
        return new Lattice(Mat3.FromRows(va, vb, vc));
    }

    public Vec3 A => Matrix.Row(0);
    public Vec3 B => Matrix.Row(1);
    public Vec3 C => Matrix.Row(2);

    public LatticeParameters Parameters
    {
        get
        {
            Vec3 a = A, b = B, c = C;
            return new(a.Length, b.Length, c.Length, Angle(b, c), Angle(a, c), Angle(a, b));
        }
    }

    /// <summary>Reciprocal lattice with the 2π factor (rows b_i with a_i·b_j = 2π δ_ij), in Å⁻¹.</summary>
    public Lattice ReciprocalLattice => new((2 * Math.PI) * _inverse.Transpose());

    /// <summary>Reciprocal lattice without 2π (crystallographic convention, a_i·b_j = δ_ij), in Å⁻¹.</summary>
    public Lattice ReciprocalLatticeCrystallographic => new(_inverse.Transpose());

    /// <summary>Distances in Å between adjacent lattice planes of each family (100), (010), (001): V / |b×c| etc.
    /// A sphere of radius r fits ceil(r / width) images along that axis.</summary>
    public Vec3 PerpendicularWidths
    {
        get
        {
            Vec3 a = A, b = B, c = C;
            return new(Volume / b.Cross(c).Length, Volume / c.Cross(a).Length, Volume / a.Cross(b).Length);
        }
    }

    public Vec3 GetCartesianCoords(Vec3 frac) => frac * Matrix;
    public Vec3 GetFractionalCoords(Vec3 cart) => cart * _inverse;

    /// <summary>
    /// Shortest distance (Å) between fractional points f1 and any periodic image of f2, and the image
    /// (lattice translation added to f2) that achieves it. Exact for any cell shape: it searches every image
    /// that could beat the nearest-cell candidate.
    /// </summary>
    public (double Distance, (int A, int B, int C) Image) GetDistanceAndImage(Vec3 frac1, Vec3 frac2)
    {
        Vec3 d = frac2 - frac1;
        var shift = new Vec3(-Math.Round(d.X), -Math.Round(d.Y), -Math.Round(d.Z));
        Vec3 d0 = d + shift;
        double best2 = GetCartesianCoords(d0).LengthSquared;
        double best = Math.Sqrt(best2);
        Vec3 w = PerpendicularWidths;
        int na = (int)Math.Ceiling(best / w.X), nb = (int)Math.Ceiling(best / w.Y), nc = (int)Math.Ceiling(best / w.Z);
        (int, int, int) bestImage = (0, 0, 0);
        for (int i = -na; i <= na; i++)
            for (int j = -nb; j <= nb; j++)
                for (int k = -nc; k <= nc; k++)
                {
                    double l2 = GetCartesianCoords(d0 + new Vec3(i, j, k)).LengthSquared;
                    if (l2 < best2 - 1e-12) { best2 = l2; bestImage = (i, j, k); }
                }
        return (Math.Sqrt(best2), ((int)shift.X + bestImage.Item1, (int)shift.Y + bestImage.Item2, (int)shift.Z + bestImage.Item3));
    }

    public bool ApproxEquals(Lattice other, double tol = 1e-6) => Matrix.ApproxEquals(other.Matrix, tol);

    public bool Equals(Lattice? other) => other is not null && Matrix == other.Matrix;
    public override bool Equals(object? obj) => obj is Lattice l && Equals(l);
    public override int GetHashCode() => Matrix.GetHashCode();

    public override string ToString()
    {
        var p = Parameters;
        return FormattableString.Invariant($"Lattice(a={p.A:F4}, b={p.B:F4}, c={p.C:F4}, alpha={p.Alpha:F3}, beta={p.Beta:F3}, gamma={p.Gamma:F3})");
    }

    private static double Angle(Vec3 u, Vec3 v) =>
        Math.Acos(Math.Clamp(u.Dot(v) / (u.Length * v.Length), -1.0, 1.0)) * 180.0 / Math.PI;
}
