using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CrystalActors.Dft.Input;

/// <summary>
/// A named recipe that turns a crystal into pw.x settings. Every field can be overridden with a
/// <c>with</c>-expression; <see cref="Hash"/> covers all of them, so a changed field never reuses a cached result.
/// </summary>
public sealed record DftProtocol
{
    public required string Name { get; init; }
    /// <summary>Wavefunction cutoff, Ry; null = the largest SSSP recommendation among the species.</summary>
    public double? EcutWfcRy { get; init; }
    /// <summary>Charge-density cutoff, Ry; null = the largest SSSP recommendation among the species.</summary>
    public double? EcutRhoRy { get; init; }
    /// <summary>Fixed number of bands; null = from the valence electrons (occupied x factor, at least occupied + extra).</summary>
    public int? Nbnd { get; init; }
    public double NbndOccupiedFactor { get; init; } = 1.2;
    public int NbndMinExtraBands { get; init; } = 4;
    /// <summary>Lower nbnd when the plane-wave basis of the cell cannot hold that many bands (see <see cref="PlaneWaveBasis"/>).</summary>
    public bool LimitNbndToBasis { get; init; } = true;
    /// <summary>Explicit k-point mesh; null = from <see cref="KSpacingInvAngstrom"/>.</summary>
    public KMesh? KPoints { get; init; }
    /// <summary>Largest k-point spacing along each reciprocal vector, 1/Å including 2π (used when KPoints is null).</summary>
    public double KSpacingInvAngstrom { get; init; } = 0.5;
    public double ConvThr { get; init; } = 1e-6;
    public double MixingBeta { get; init; } = 0.7;
    public string Diagonalization { get; init; } = "david";
    public int ElectronMaxstep { get; init; } = 1000;
    public string Occupations { get; init; } = "fixed";
    public string? Smearing { get; init; }
    public double? DegaussRy { get; init; }
    public int Nspin { get; init; } = 1;
    public double? StartingMagnetization { get; init; }
    public double TotCharge { get; init; }

    /// <summary>
    /// The offline-CQL paper appendix: scf, conv_thr 1e-6, 3x3x3, fixed occupations, david, ecutwfc 30,
    /// ecutrho 245, mixing_beta 0.7, electron_maxstep 1000, nbnd 256 (lowered when the basis is too small).
    /// </summary>
    public static DftProtocol Paper { get; } = new()
    {
        Name = "paper", EcutWfcRy = 30, EcutRhoRy = 245, Nbnd = 256, KPoints = new KMesh(3, 3, 3),
    };

    /// <summary>
    /// SSSP efficiency cutoffs (largest among the species), nbnd = max(ceil(1.2 occupied), occupied + 4),
    /// k-mesh from a 0.5 1/Å spacing, otherwise as <see cref="Paper"/>.
    /// </summary>
    public static DftProtocol Sssp { get; } = new() { Name = "sssp" };

    public static IReadOnlyList<string> Names { get; } = ["paper", "sssp"];

    public static DftProtocol ByName(string name) => name.ToLowerInvariant() switch
    {
        "paper" => Paper,
        "sssp" => Sssp,
        _ => throw new ArgumentException($"unknown protocol '{name}'; valid: {string.Join(", ", Names)}", nameof(name)),
    };

    /// <summary>First 16 hex digits of the SHA-256 of the protocol's JSON (all fields, declaration order).</summary>
    [JsonIgnore]
    public string Hash
    {
        get
        {
            var json = JsonSerializer.Serialize(this);
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..16];
        }
    }

    /// <summary>The settings of the first attempt for <paramref name="cell"/>.</summary>
    public PwParameters Resolve(DftCell cell, PseudopotentialLibrary pseudos, out string? note)
    {
        note = null;
        var pps = cell.DistinctSpecies.Select(pseudos.Get).ToList();
        double ecutwfc = EcutWfcRy ?? pps.Max(p => p.CutoffWfcRy);
        double ecutrho = EcutRhoRy ?? pps.Max(p => p.CutoffRhoRy);
        double nelec = pseudos.ValenceElectrons(cell) - TotCharge;
        int occupied = (int)Math.Ceiling(nelec / 2 - 1e-9);
        int nbnd = Nbnd ?? Math.Max((int)Math.Ceiling(nelec / 2 * NbndOccupiedFactor - 1e-9), occupied + NbndMinExtraBands);
        if (LimitNbndToBasis)
        {
            int max = PlaneWaveBasis.MaxBands(cell, ecutwfc, Diagonalization);
            if (nbnd > max)
            {
                int lowered = Math.Max(max, occupied + 1);
                note = $"nbnd lowered from {nbnd} to {lowered}: {PlaneWaveBasis.CountAtGamma(cell, ecutwfc)} plane waves at {ecutwfc} Ry";
                nbnd = lowered;
            }
        }
        var p = new PwParameters
        {
            EcutWfcRy = ecutwfc,
            EcutRhoRy = ecutrho,
            Nbnd = nbnd,
            TotCharge = TotCharge,
            Nspin = Nspin,
            Occupations = Occupations,
            Smearing = Smearing,
            DegaussRy = DegaussRy,
            StartingMagnetization = StartingMagnetization,
            ConvThr = ConvThr,
            MixingBeta = MixingBeta,
            Diagonalization = Diagonalization,
            ElectronMaxstep = ElectronMaxstep,
            KPoints = KPoints ?? KMeshFromSpacing(cell, KSpacingInvAngstrom),
        };
        p.Validate();
        return p;
    }

    /// <summary>n_i = max(1, ceil(|b_i| / spacing)) with b_i the reciprocal vectors including 2π.</summary>
    public static KMesh KMeshFromSpacing(DftCell cell, double spacingInvAngstrom)
    {
        if (spacingInvAngstrom <= 0)
            throw new ArgumentOutOfRangeException(nameof(spacingInvAngstrom), spacingInvAngstrom, "must be > 0 1/Å");
        var b = cell.ReciprocalLatticeInvAngstrom;
        int N(double[] v) => Math.Max(1, (int)Math.Ceiling(Math.Sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]) / spacingInvAngstrom - 1e-9));
        return new KMesh(N(b[0]), N(b[1]), N(b[2]));
    }
}
