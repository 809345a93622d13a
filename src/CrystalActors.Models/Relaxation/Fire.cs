namespace CrystalActors.Models.Relaxation;

/// <summary>FIRE hyperparameters, ASE 3.23 defaults (Bitzek et al., PRL 97, 170201 (2006)).</summary>
public sealed record FireSettings
{
    public double Dt { get; init; } = 0.1;
    /// <summary>Largest allowed norm of the whole displacement vector per step (Å; ASE's maxstep).</summary>
    public double MaxStep { get; init; } = 0.2;
    public double DtMax { get; init; } = 1.0;
    public int NMin { get; init; } = 5;
    public double FInc { get; init; } = 1.1;
    public double FDec { get; init; } = 0.5;
    public double AStart { get; init; } = 0.1;
    public double Fa { get; init; } = 0.99;
    public double A { get; init; } = 0.1;
}

/// <summary>
/// The FIRE optimiser state for one system, stepping a flat vector of degrees of freedom exactly as ASE 3.23's
/// <c>ase.optimize.FIRE.step</c> (without downhill check): mix the velocity toward the force while the power
/// F·v is positive (growing dt after NMin such steps), reset it otherwise, then move by dt·v capped at MaxStep.
/// </summary>
public sealed class Fire
{
    private readonly FireSettings _s;
    private double[]? _v;
    private double _dt, _a;
    private int _nSteps;

    public Fire(FireSettings settings)
    {
        _s = settings;
        _dt = settings.Dt;
        _a = settings.A;
    }

    public double TimeStep => _dt;

    /// <summary>Returns the new positions r + dr for forces f at positions r (both flat, same length).</summary>
    public double[] Step(ReadOnlySpan<double> r, ReadOnlySpan<double> f)
    {
        if (_v is null)
        {
            _v = new double[f.Length];
        }
        else
        {
            double vf = Dot(f, _v);
            if (vf > 0.0)
            {
                double fNorm = Math.Sqrt(Dot(f, f)), vNorm = Math.Sqrt(Dot(_v, _v));
                for (int i = 0; i < _v.Length; i++) _v[i] = (1.0 - _a) * _v[i] + _a * f[i] / fNorm * vNorm;
                if (_nSteps > _s.NMin)
                {
                    _dt = Math.Min(_dt * _s.FInc, _s.DtMax);
                    _a *= _s.Fa;
                }
                _nSteps++;
            }
            else
            {
                Array.Clear(_v);
                _a = _s.AStart;
                _dt *= _s.FDec;
                _nSteps = 0;
            }
        }
        var dr = new double[f.Length];
        for (int i = 0; i < dr.Length; i++)
        {
            _v[i] += _dt * f[i];
            dr[i] = _dt * _v[i];
        }
        double norm = Math.Sqrt(Dot(dr, dr));
        var next = new double[r.Length];
        bool cap = norm > _s.MaxStep;
        for (int i = 0; i < next.Length; i++) next[i] = r[i] + (cap ? _s.MaxStep * dr[i] / norm : dr[i]);
        return next;
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
