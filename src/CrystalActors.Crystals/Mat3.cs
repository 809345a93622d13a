namespace CrystalActors.Crystals;

/// <summary>A 3x3 double matrix stored row-major. For a lattice the rows are the lattice vectors.</summary>
public readonly record struct Mat3(
    double M00, double M01, double M02,
    double M10, double M11, double M12,
    double M20, double M21, double M22)
{
    public static readonly Mat3 Identity = new(1, 0, 0, 0, 1, 0, 0, 0, 1);

    public static Mat3 FromRows(Vec3 r0, Vec3 r1, Vec3 r2) =>
        new(r0.X, r0.Y, r0.Z, r1.X, r1.Y, r1.Z, r2.X, r2.Y, r2.Z);

    /// <summary>From a [3][3] or [3,3]-shaped jagged array, rows first.</summary>
    public static Mat3 FromRows(IReadOnlyList<IReadOnlyList<double>> rows)
    {
        if (rows.Count != 3 || rows.Any(r => r.Count != 3))
            throw new ArgumentException($"a 3x3 matrix needs 3 rows of 3 numbers, got {rows.Count} rows", nameof(rows));
        return new(rows[0][0], rows[0][1], rows[0][2], rows[1][0], rows[1][1], rows[1][2], rows[2][0], rows[2][1], rows[2][2]);
    }

    public double this[int row, int col] => (row * 3 + col) switch
    {
        0 => M00, 1 => M01, 2 => M02,
        3 => M10, 4 => M11, 5 => M12,
        6 => M20, 7 => M21, 8 => M22,
        _ => throw new ArgumentOutOfRangeException(nameof(row), $"index ({row}, {col}) is outside 3x3"),
    };

    public Vec3 Row(int i) => i switch
    {
        0 => new(M00, M01, M02),
        1 => new(M10, M11, M12),
        2 => new(M20, M21, M22),
        _ => throw new ArgumentOutOfRangeException(nameof(i), i, "row must be 0, 1 or 2"),
    };

    public Vec3 Column(int j) => j switch
    {
        0 => new(M00, M10, M20),
        1 => new(M01, M11, M21),
        2 => new(M02, M12, M22),
        _ => throw new ArgumentOutOfRangeException(nameof(j), j, "column must be 0, 1 or 2"),
    };

    public double Determinant =>
        M00 * (M11 * M22 - M12 * M21) - M01 * (M10 * M22 - M12 * M20) + M02 * (M10 * M21 - M11 * M20);

    public Mat3 Transpose() => new(M00, M10, M20, M01, M11, M21, M02, M12, M22);

    public Mat3 Inverse()
    {
        double det = Determinant;
        if (det == 0 || !double.IsFinite(det))
            throw new InvalidOperationException("matrix is singular and has no inverse");
        double inv = 1.0 / det;
        return new(
            (M11 * M22 - M12 * M21) * inv, (M02 * M21 - M01 * M22) * inv, (M01 * M12 - M02 * M11) * inv,
            (M12 * M20 - M10 * M22) * inv, (M00 * M22 - M02 * M20) * inv, (M02 * M10 - M00 * M12) * inv,
            (M10 * M21 - M11 * M20) * inv, (M01 * M20 - M00 * M21) * inv, (M00 * M11 - M01 * M10) * inv);
    }

    /// <summary>Row vector times matrix: v·M (the fractional -> Cartesian map when M holds lattice rows).</summary>
    public static Vec3 operator *(Vec3 v, Mat3 m) => new(
        v.X * m.M00 + v.Y * m.M10 + v.Z * m.M20,
        v.X * m.M01 + v.Y * m.M11 + v.Z * m.M21,
        v.X * m.M02 + v.Y * m.M12 + v.Z * m.M22);

    /// <summary>Matrix times column vector: M·v.</summary>
    public static Vec3 operator *(Mat3 m, Vec3 v) => new(
        m.M00 * v.X + m.M01 * v.Y + m.M02 * v.Z,
        m.M10 * v.X + m.M11 * v.Y + m.M12 * v.Z,
        m.M20 * v.X + m.M21 * v.Y + m.M22 * v.Z);

    public static Mat3 operator *(Mat3 a, Mat3 b) => FromRows(a.Row(0) * b, a.Row(1) * b, a.Row(2) * b);

    public static Mat3 operator *(double s, Mat3 a) => new(
        s * a.M00, s * a.M01, s * a.M02, s * a.M10, s * a.M11, s * a.M12, s * a.M20, s * a.M21, s * a.M22);

    public double[][] ToJagged() => [[M00, M01, M02], [M10, M11, M12], [M20, M21, M22]];

    public bool ApproxEquals(Mat3 other, double tol) =>
        Row(0).ApproxEquals(other.Row(0), tol) && Row(1).ApproxEquals(other.Row(1), tol) && Row(2).ApproxEquals(other.Row(2), tol);
}
