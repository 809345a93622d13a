using CrystalActors.Dft.Parsing;

namespace CrystalActors.Dft.Input;

/// <summary>
/// Size of the plane-wave basis pw.x builds for a cell, and how many bands it can hold.
/// pw.x 6.7 stops with 'more bands than PWs!' when the Davidson work space (diago_david_ndim = 2 times nbnd)
/// exceeds the plane waves, and as that ratio approaches 1 the subspace becomes singular ('S matrix not positive
/// definite'; measured on Si at 10 Ry, 137 plane waves: nbnd 60 ran, 66 and 70 failed, 74 was refused).
/// So bands are capped at 80% of the plane waves divided by the work-space factor.
/// </summary>
public static class PlaneWaveBasis
{
    private const double UsableFraction = 0.8;

    /// <summary>Most lattice points the exact count visits. Beyond it the basis holds millions of plane waves, and the
    /// volume of the cutoff sphere counts them to far better than the 80 % margin (a huge cell or cutoff in a job payload
    /// would otherwise make this check run for hours).</summary>
    private const double MaxVisited = 2e7;

    /// <summary>Number of G vectors with |G|² ≤ ecutwfc (Ry atomic units: bohr⁻²) at the Γ point.</summary>
    public static int CountAtGamma(DftCell cell, double ecutwfcRy)
    {
        var b = cell.ReciprocalLatticeInvAngstrom.Select(r => r.Select(x => x * PwOutput.BohrRadiusAngstrom).ToArray()).ToArray();
        var a = cell.LatticeAngstrom;
        double gmax = Math.Sqrt(ecutwfcRy);
        // |n_i| = |G·a_i| / 2π <= gmax |a_i| / 2π.
        double[] reach = a.Select(r => Math.Ceiling(gmax * Math.Sqrt(r.Sum(x => x * x)) / PwOutput.BohrRadiusAngstrom / (2 * Math.PI))).ToArray();
        if (!(reach.Aggregate(1.0, (p, n) => p * (2 * n + 1)) <= MaxVisited))
        {
            // N = Ω k³ / (6π²): the sphere's volume over the reciprocal cell's (2π)³/Ω.
            double volumeBohr3 = Math.Abs(cell.VolumeAngstrom3) / Math.Pow(PwOutput.BohrRadiusAngstrom, 3);
            return (int)Math.Min(int.MaxValue, volumeBohr3 * gmax * gmax * gmax / (6 * Math.PI * Math.PI));
        }
        int[] lim = reach.Select(n => (int)n).ToArray();
        int count = 0;
        for (int i = -lim[0]; i <= lim[0]; i++)
        for (int j = -lim[1]; j <= lim[1]; j++)
        for (int k = -lim[2]; k <= lim[2]; k++)
        {
            double gx = i * b[0][0] + j * b[1][0] + k * b[2][0];
            double gy = i * b[0][1] + j * b[1][1] + k * b[2][1];
            double gz = i * b[0][2] + j * b[1][2] + k * b[2][2];
            if (gx * gx + gy * gy + gz * gz <= ecutwfcRy) count++;
        }
        return count;
    }

    /// <summary>Work-space bands per requested band: Davidson keeps 2 x nbnd vectors, the others nbnd.</summary>
    public static int WorkspaceFactor(string diagonalization) => diagonalization == "david" ? 2 : 1;

    /// <summary>Largest nbnd that pw.x can diagonalise reliably for this cell and cutoff.</summary>
    public static int MaxBands(DftCell cell, double ecutwfcRy, string diagonalization) =>
        (int)Math.Floor(UsableFraction * CountAtGamma(cell, ecutwfcRy) / WorkspaceFactor(diagonalization));
}
