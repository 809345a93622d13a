namespace CrystalActors.Crystals.Neighbors;

/// <summary>A lattice translation in units of the lattice vectors: the neighbour sits at frac_j + (A, B, C).</summary>
public readonly record struct LatticeImage(int A, int B, int C)
{
    public static readonly LatticeImage Zero = new(0, 0, 0);
    public bool IsZero => A == 0 && B == 0 && C == 0;
    public static LatticeImage operator -(LatticeImage x) => new(-x.A, -x.B, -x.C);
    public Vec3 ToVec3() => new(A, B, C);
    public override string ToString() => $"[{A}, {B}, {C}]";
}
