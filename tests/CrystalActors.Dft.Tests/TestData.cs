using CrystalActors.Crystals;
using System.Text.Json;
using CrystalActors.Dft.Input;

namespace CrystalActors.Dft.Tests;

/// <summary>Locates ../shared (or $CRYSTAL_ACTORS_SHARED) and loads the QE reference runs.</summary>
public static class TestData
{
    private static readonly Lazy<string> SharedDir = new(() => SharedPaths.RequireShared("reference"));

    public static string Shared => SharedDir.Value;
    public static string PseudoRoot => Path.Combine(Shared, "pseudo");
    public static string QeDir => Path.Combine(Shared, "reference", "qe");
    public static string OutputsDir => Path.Combine(QeDir, "outputs");

    public static string Output(string runName) => File.ReadAllText(Path.Combine(OutputsDir, runName + ".out"));

    private static readonly Lazy<PseudopotentialLibrary> Library = new(() => PseudopotentialLibrary.Open(PseudoRoot));
    public static PseudopotentialLibrary Pseudos => Library.Value;

    private static readonly Lazy<IReadOnlyList<ReferenceRun>> Runs = new(() =>
        File.ReadLines(Path.Combine(QeDir, "qe_val_reference.jsonl"))
            .Where(l => l.Trim().Length > 0)
            .Select(l => new ReferenceRun(JsonDocument.Parse(l).RootElement.Clone()))
            .ToList());

    public static IReadOnlyList<ReferenceRun> ReferenceRuns => Runs.Value;

    public static ReferenceRun Run(string runName) => ReferenceRuns.Single(r => r.RunName == runName);

    /// <summary>Names of the pw.x outputs in outputs/ (some are reruns that the reference list does not hold).</summary>
    public static IReadOnlyList<string> OutputNames =>
        Directory.GetFiles(OutputsDir, "*.out").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal).ToList();

    /// <summary>The reference run of an output in outputs/, or for a rerun the first run of the same crystal.</summary>
    public static ReferenceRun RunOf(string outputName) =>
        ReferenceRuns.FirstOrDefault(r => r.RunName == outputName)
        ?? ReferenceRuns.First(r => outputName.StartsWith($"val_{r.MaterialId}_", StringComparison.Ordinal));
}

/// <summary>One line of qe_val_reference.jsonl.</summary>
public sealed class ReferenceRun(JsonElement e)
{
    public JsonElement Json { get; } = e;
    public string RunName => Json.GetProperty("run_name").GetString()!;
    public string MaterialId => Json.GetProperty("material_id").GetString()!;
    public string Formula => Json.GetProperty("formula").GetString()!;
    public string Protocol => Json.GetProperty("protocol").GetString()!;
    public string Status => Json.GetProperty("status").GetString()!;
    public int NumAtoms => Json.GetProperty("num_atoms").GetInt32();
    public string InputText => Json.GetProperty("input_text").GetString()!;
    public double? TotalEnergyRy => N("total_energy_ry");
    public double? GapEv => N("gap_ev");
    public double? BandGapEv => N("band_gap_ev");
    public double? FermiEv => N("fermi_energy_ev");
    public double? TotalMagnetization => N("total_magnetization");
    public int? ScfIterations => Json.GetProperty("scf_iterations").ValueKind == JsonValueKind.Number ? Json.GetProperty("scf_iterations").GetInt32() : null;
    public string? OutputFileName => Json.TryGetProperty("output_file_name", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public DftCell Cell => new(
        Json.GetProperty("lattice_angstrom").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray(),
        Json.GetProperty("cell_species").EnumerateArray().Select(s => s.GetString()!).ToArray(),
        Json.GetProperty("frac_coords").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray());

    private double? N(string name) =>
        Json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    public override string ToString() => RunName;
}
