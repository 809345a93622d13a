using System.Text.Json.Serialization;
using CrystalActors.Dft.Handlers;
using CrystalActors.Dft.Input;

namespace CrystalActors.Dft;

/// <summary>One pw.x attempt of a job: what was run, how it ended, and the fix chosen for the next attempt.</summary>
public sealed record DftAttempt
{
    public required int Number { get; init; }
    public required PwParameters Parameters { get; init; }
    public required string InputText { get; init; }
    public required DftFailureClass FailureClass { get; init; }
    public required string Detail { get; init; }
    /// <summary>Name of the fix applied after this attempt (null for the last one).</summary>
    public string? FixApplied { get; init; }
    public string? FixDescription { get; init; }
    public double WallSeconds { get; init; }
    public int ScfIterations { get; init; }
    public double? TotalEnergyRy { get; init; }
    public int? ExitCode { get; init; }
    /// <summary>pw.x standard output (kept with the job; not persisted in caches).</summary>
    public string? OutputText { get; init; }
    public string? CrashFileText { get; init; }
    /// <summary>Standard error of mpirun / pw.x (MPI and system messages).</summary>
    public string? StandardErrorText { get; init; }
}

/// <summary>The outcome of a DFT job: a result, or a named final failure class, plus every attempt.</summary>
public sealed record DftResult
{
    public string? Label { get; init; }
    public required string Formula { get; init; }
    public required int NumSites { get; init; }
    public required string Protocol { get; init; }
    public required string ProtocolHash { get; init; }
    public required string Fingerprint { get; init; }
    /// <summary>"ok" or "failed".</summary>
    public required string Status { get; init; }
    /// <summary>None for a result; otherwise the class of the last attempt.</summary>
    public required DftFailureClass FailureClass { get; init; }
    public string? FailureDetail { get; init; }
    public double? TotalEnergyRy { get; init; }
    public double? TotalEnergyEv { get; init; }
    public double? EnergyPerAtomRy => TotalEnergyRy / NumSites;
    /// <summary>Band gap, eV, never negative (0 for a metal).</summary>
    public double? BandGapEv { get; init; }
    public double? HomoEv { get; init; }
    public double? LumoEv { get; init; }
    public double? FermiEnergyEv { get; init; }
    public int? ScfIterations { get; init; }
    public double? TotalMagnetization { get; init; }
    /// <summary>Valence electrons of the cell.</summary>
    public double ValenceElectrons { get; init; }
    /// <summary>Settings adjustments made before the first attempt (e.g. nbnd lowered to fit the basis).</summary>
    public string? Note { get; init; }
    public IReadOnlyList<DftAttempt> Attempts { get; init; } = [];
    /// <summary>Wall time of all attempts, s (0 for a cache hit).</summary>
    public double WallSeconds { get; init; }
    public bool CacheHit { get; init; }

    [JsonIgnore]
    public bool IsSuccess => Status == "ok";

    public DftResult WithoutOutputText() =>
        this with { Attempts = Attempts.Select(a => a with { OutputText = null, CrashFileText = null, StandardErrorText = null }).ToList() };
}
