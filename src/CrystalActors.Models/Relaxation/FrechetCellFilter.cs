namespace CrystalActors.Models.Relaxation;

/// <summary>
/// ASE 3.23's <c>FrechetCellFilter</c>: relaxes atom positions and the cell together. The degrees of freedom are
/// the positions in the undeformed cell z (x = z·Fᵀ) and the matrix logarithm X = log F of the deformation
/// gradient F (cell = cell₀·Fᵀ), scaled by the number of atoms. Their generalised forces are f·F for atoms and,
/// for the cell, the gradient of E with respect to X: Σ_ij L(X, E_μν)_ij · (W F⁻ᵀ)_ij / n with the virial
/// W = −V·σ (σ symmetrised, eV/Å³) and L the Fréchet derivative of the matrix exponential.
/// X itself is kept instead of ASE's logm(F) round trip (equal up to rounding).
/// </summary>
public sealed class FrechetCellFilter
{
    private readonly double[] _origCell; // rows
    private readonly int _n;
    private readonly double _factor;
    private double[] _logDeform = new double[9]; // X
    private double[] _deform = Matrix3.Identity(); // F = exp(X)
    private double[] _z;

    public FrechetCellFilter(double[] cell, double[] positions)
    {
        _origCell = (double[])cell.Clone();
        _n = positions.Length / 3;
        _factor = _n; // exp_cell_factor default: the number of atoms
        _z = (double[])positions.Clone();
    }

    /// <summary>Current cell rows (Å), flattened 3×3.</summary>
    public double[] Cell => Matrix3.Mul(_origCell, Matrix3.Transpose(_deform));

    /// <summary>Current Cartesian positions (Å), flattened [n, 3].</summary>
    public double[] Positions => ApplyRight(_z, Matrix3.Transpose(_deform));

    /// <summary>The optimiser's view: [z (n×3), n·X (3×3)].</summary>
    public double[] GetDofs()
    {
        var dofs = new double[3 * _n + 9];
        Array.Copy(_z, dofs, 3 * _n);
        for (int i = 0; i < 9; i++) dofs[3 * _n + i] = _logDeform[i] * _factor;
        return dofs;
    }

    public void SetDofs(double[] dofs)
    {
        _z = dofs[..(3 * _n)];
        var x = new double[9];
        for (int i = 0; i < 9; i++) x[i] = dofs[3 * _n + i] / _factor;
        _logDeform = x;
        _deform = Matrix3.Expm(x);
    }

    /// <summary>Generalised forces [(n + 3) × 3] from atomic forces (eV/Å) and the stress σ (eV/Å³, 3×3).</summary>
    public double[] GetForces(ReadOnlySpan<double> forces, ReadOnlySpan<double> stress, double volume)
    {
        var result = new double[3 * _n + 9];
        var atomForces = ApplyRight(forces, _deform);
        Array.Copy(atomForces, result, 3 * _n);

        // ASE's calculator hands over the Voigt stress, i.e. the symmetric part.
        var virial = new double[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                virial[3 * i + j] = -volume * 0.5 * (stress[3 * i + j] + stress[3 * j + i]);
        var ucfGrad = Matrix3.Mul(virial, Matrix3.Inverse(Matrix3.Transpose(_deform)));
        var direction = new double[9];
        for (int mu = 0; mu < 9; mu++)
        {
            Array.Clear(direction);
            direction[mu] = 1.0;
            var der = Matrix3.ExpmFrechet(_logDeform, direction);
            double s = 0;
            for (int k = 0; k < 9; k++) s += der[k] * ucfGrad[k];
            result[3 * _n + mu] = s / _factor;
        }
        return result;
    }

    /// <summary>rows·M for a flattened [n, 3] array.</summary>
    internal static double[] ApplyRight(ReadOnlySpan<double> rows, ReadOnlySpan<double> m)
    {
        var r = new double[rows.Length];
        for (int a = 0; a < rows.Length / 3; a++)
            for (int j = 0; j < 3; j++)
                r[3 * a + j] = rows[3 * a] * m[j] + rows[3 * a + 1] * m[3 + j] + rows[3 * a + 2] * m[6 + j];
        return r;
    }
}
