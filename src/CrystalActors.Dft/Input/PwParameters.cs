namespace CrystalActors.Dft.Input;

/// <summary>A Monkhorst-Pack mesh ('K_POINTS automatic n1 n2 n3 s1 s2 s3').</summary>
public readonly record struct KMesh(int N1, int N2, int N3, bool Shifted = false)
{
    public override string ToString() => $"{N1}x{N2}x{N3}{(Shifted ? " shifted" : "")}";

    /// <summary>Parses '3x3x3' or '3,3,3' (optionally followed by ' shifted').</summary>
    public static KMesh Parse(string text)
    {
        var t = text.Trim();
        bool shifted = t.EndsWith("shifted", StringComparison.OrdinalIgnoreCase);
        if (shifted) t = t[..^"shifted".Length].Trim();
        var parts = t.Split(['x', 'X', ',', ' '], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 || !parts.All(p => int.TryParse(p, out int n) && n >= 1))
            throw new FormatException($"k-point mesh '{text}': expected three positive integers such as 3x3x3");
        return new KMesh(int.Parse(parts[0]), int.Parse(parts[1]), int.Parse(parts[2]), shifted);
    }
}

/// <summary>
/// The resolved pw.x settings of one attempt (every value explicit, units in the names). Handlers derive the next
/// attempt's settings from these with <c>with</c>-expressions.
/// </summary>
public sealed record PwParameters
{
    public string Calculation { get; init; } = "scf";
    public required double EcutWfcRy { get; init; }
    public required double EcutRhoRy { get; init; }
    /// <summary>Number of Kohn-Sham states; null lets pw.x choose.</summary>
    public int? Nbnd { get; init; }
    public double TotCharge { get; init; }
    public int Nspin { get; init; } = 1;
    /// <summary>nosym: ignore the cell's symmetry (k points not reduced); the cure for pw.x symmetry errors.</summary>
    public bool NoSymmetry { get; init; }
    /// <summary>'fixed' or 'smearing'.</summary>
    public string Occupations { get; init; } = "fixed";
    /// <summary>'gaussian', 'marzari-vanderbilt', ... (smearing occupations only).</summary>
    public string? Smearing { get; init; }
    public double? DegaussRy { get; init; }
    /// <summary>Starting magnetisation in [-1, 1] given to every species (nspin = 2 only).</summary>
    public double? StartingMagnetization { get; init; }
    /// <summary>Fixed total magnetisation, Bohr magneton per cell (nspin = 2 only).</summary>
    public double? TotMagnetization { get; init; }
    public double ConvThr { get; init; } = 1e-6;
    public double MixingBeta { get; init; } = 0.7;
    /// <summary>'david', 'ppcg' or 'cg'.</summary>
    public string Diagonalization { get; init; } = "david";
    public int ElectronMaxstep { get; init; } = 1000;
    public required KMesh KPoints { get; init; }

    public bool IsSmearing => string.Equals(Occupations, "smearing", StringComparison.Ordinal);

    /// <summary>Checks the combinations pw.x would reject, before anything runs.</summary>
    /// <summary>The smearing names pw.x 6.x accepts; anything else would be written into the &amp;SYSTEM namelist as is.</summary>
    public static readonly string[] SmearingNames =
        ["gaussian", "gauss", "methfessel-paxton", "m-p", "mp", "marzari-vanderbilt", "cold", "m-v", "mv", "fermi-dirac", "f-d", "fd"];

    /// <summary>Upper bounds of a job's settings: a job payload is input from the network, and a typo (or a forged
    /// message) must not ask a node for a 10⁶ Ry cutoff or a 1000³ k-mesh.</summary>
    public const double MaxEcutWfcRy = 500, MaxEcutRhoRy = 8000;
    public const int MaxKPointsPerAxis = 64, MaxBands = 20000;

    public void Validate()
    {
        if (!(EcutWfcRy > 0 && EcutWfcRy <= MaxEcutWfcRy)) throw new ArgumentOutOfRangeException(nameof(EcutWfcRy), EcutWfcRy, $"must be in (0, {MaxEcutWfcRy}] Ry");
        if (!(EcutRhoRy <= MaxEcutRhoRy)) throw new ArgumentOutOfRangeException(nameof(EcutRhoRy), EcutRhoRy, $"must be <= {MaxEcutRhoRy} Ry");
        if (KPoints.N1 is < 1 or > MaxKPointsPerAxis || KPoints.N2 is < 1 or > MaxKPointsPerAxis || KPoints.N3 is < 1 or > MaxKPointsPerAxis)
            throw new ArgumentOutOfRangeException(nameof(KPoints), KPoints, $"each axis must be in 1..{MaxKPointsPerAxis}");
        if (Nbnd is > MaxBands) throw new ArgumentOutOfRangeException(nameof(Nbnd), Nbnd, $"must be <= {MaxBands}");
        if (Smearing is not null && !SmearingNames.Contains(Smearing))
            throw new ArgumentOutOfRangeException(nameof(Smearing), Smearing, $"valid: {string.Join(", ", SmearingNames)}");
        if (DegaussRy is { } dg && !(dg > 0 && dg <= 1)) throw new ArgumentOutOfRangeException(nameof(DegaussRy), DegaussRy, "must be in (0, 1] Ry");
        if (!double.IsFinite(TotCharge) || StartingMagnetization is { } sm && !(sm >= -1 && sm <= 1) || TotMagnetization is { } tm && !double.IsFinite(tm))
            throw new ArgumentException("tot_charge and tot_magnetization must be finite, starting_magnetization in [-1, 1]");
        if (EcutRhoRy < 4 * EcutWfcRy)
            throw new ArgumentOutOfRangeException(nameof(EcutRhoRy), EcutRhoRy, $"must be >= 4 x ecutwfc ({4 * EcutWfcRy} Ry)");
        if (Nbnd is < 1) throw new ArgumentOutOfRangeException(nameof(Nbnd), Nbnd, "must be >= 1");
        if (Nspin is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(Nspin), Nspin, "valid: 1, 2");
        if (Occupations is not ("fixed" or "smearing"))
            throw new ArgumentOutOfRangeException(nameof(Occupations), Occupations, "valid: fixed, smearing");
        if (IsSmearing && (Smearing is null || DegaussRy is not > 0))
            throw new ArgumentException("smearing occupations need Smearing and DegaussRy > 0");
        if (Nspin == 2 && !IsSmearing && TotMagnetization is null)
            throw new ArgumentException("pw.x rejects nspin = 2 with fixed occupations unless tot_magnetization is set");
        if (MixingBeta is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(MixingBeta), MixingBeta, "must be in (0, 1]");
        if (Diagonalization is not ("david" or "ppcg" or "cg"))
            throw new ArgumentOutOfRangeException(nameof(Diagonalization), Diagonalization, "valid: david, ppcg, cg");
        if (!(ConvThr > 0 && ConvThr < 1)) throw new ArgumentOutOfRangeException(nameof(ConvThr), ConvThr, "must be in (0, 1)");
        if (ElectronMaxstep is < 1 or > 10000) throw new ArgumentOutOfRangeException(nameof(ElectronMaxstep), ElectronMaxstep, "must be in 1..10000");
    }
}
