using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

using CrystalActors.Runtime.Farming;

namespace CrystalActors.Runtime.Tests.Farming;

/// <summary>Settings of <see cref="SiliconPwExecutor"/>. Defaults in the initialisers.</summary>
public sealed class PwExecutorOptions
{
    /// <summary>pw.x executable (looked up on PATH). Default "pw.x".</summary>
    public string PwExecutable { get; init; } = "pw.x";
    /// <summary>Directory holding Si.pbe-n-rrkjus_psl.1.0.0.UPF (SSSP efficiency). Required.</summary>
    public string PseudoDir { get; init; } = "";
    /// <summary>Where per-job run directories are created. Default: the system temp directory.</summary>
    public string WorkRoot { get; init; } = Path.Combine(Path.GetTempPath(), "crystal-actors-pw");
    /// <summary>Keep run directories after success (they are always kept after a failure). Default false.</summary>
    public bool KeepRunDirs { get; init; }
}

/// <summary>
/// A real but tiny DFT job: diamond-structure Si (2 atoms, fcc primitive cell) at a lattice constant from
/// the payload, PBE, ultrasoft pslibrary pseudopotential, 2×2×2 k-points, 20 Ry — about a second of pw.x.
/// Payload JSON: <c>{"a": 5.43, "ecutwfc": 20, "kpts": 2}</c> (a in Å). Result JSON: total energy (Ry),
/// HOMO/LUMO (eV), SCF iterations. Stands in for the DFT project's service so farming can be tested alone.
/// </summary>
public sealed partial class SiliconPwExecutor(PwExecutorOptions options) : IJobExecutor
{
    private const double BohrPerAngstrom = 1.0 / 0.529177210903;

    public sealed record Payload(double A, double Ecutwfc, int Kpts);

    public static Payload Parse(string payload)
    {
        try
        {
            using var doc = JsonDocument.Parse(payload);
            var r = doc.RootElement;
            double a = r.GetProperty("a").GetDouble();
            double ecut = r.TryGetProperty("ecutwfc", out var e) ? e.GetDouble() : 20;
            int k = r.TryGetProperty("kpts", out var kp) ? kp.GetInt32() : 2;
            if (a is < 4.0 or > 7.0) throw new JobPayloadException($"Si lattice constant a={a} Å is outside 4-7 Å");
            if (ecut is < 10 or > 80) throw new JobPayloadException($"ecutwfc={ecut} Ry is outside 10-80 Ry");
            if (k is < 1 or > 8) throw new JobPayloadException($"kpts={k} is outside 1-8");
            return new Payload(a, ecut, k);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new JobPayloadException($"Si job payload is not {{\"a\": number, ...}}: {ex.Message}");
        }
    }

    public void Validate(string payload) => Parse(payload);

    /// <summary>pw.x input text for a payload (deterministic, so tests can compare it).</summary>
    public string InputFor(Payload p) => string.Create(CultureInfo.InvariantCulture, $"""
        &control
          calculation = 'scf', prefix = 'si', outdir = './tmp', pseudo_dir = '{options.PseudoDir}'
        /
        &system
          ibrav = 2, celldm(1) = {p.A * BohrPerAngstrom:F6}, nat = 2, ntyp = 1,
          ecutwfc = {p.Ecutwfc:F1}, ecutrho = {8 * p.Ecutwfc:F1}, nbnd = 8
        /
        &electrons
          conv_thr = 1.0d-8
        /
        ATOMIC_SPECIES
        Si 28.0855 Si.pbe-n-rrkjus_psl.1.0.0.UPF
        ATOMIC_POSITIONS crystal
        Si 0.00 0.00 0.00
        Si 0.25 0.25 0.25
        K_POINTS automatic
        {p.Kpts} {p.Kpts} {p.Kpts} 0 0 0

        """);

    public async Task<JobExecution> ExecuteAsync(string payload, CancellationToken ct)
    {
        var p = Parse(payload);
        var dir = Path.Combine(options.WorkRoot, $"si-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "pw.in"), InputFor(p), ct).ConfigureAwait(false);
        var psi = new ProcessStartInfo(options.PwExecutable, ["-in", "pw.in"])
        {
            WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.Environment["OMP_NUM_THREADS"] = "1";
        var sw = Stopwatch.StartNew();
        using var proc = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {options.PwExecutable}");
        var stdout = proc.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = proc.StandardError.ReadToEndAsync(CancellationToken.None);
        try { await proc.WaitForExitAsync(ct).ConfigureAwait(false); }
        catch (OperationCanceledException)
        {
            try { proc.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
        var seconds = sw.Elapsed.TotalSeconds;
        var output = await stdout.ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(dir, "pw.out"), output, CancellationToken.None).ConfigureAwait(false);
        var energy = TotalEnergy().Match(output);
        var levels = HomoLumo().Match(output);
        if (proc.ExitCode != 0 || !energy.Success || !output.Contains("convergence has been achieved"))
            throw new InvalidOperationException($"pw.x failed in {dir} (exit {proc.ExitCode}): " +
                (ErrorBlock().Match(output) is { Success: true } m ? m.Groups[1].Value.Trim() : (await stderr.ConfigureAwait(false)).Trim()));
        var result = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["a_angstrom"] = p.A,
            ["total_energy_ry"] = double.Parse(energy.Groups[1].Value, CultureInfo.InvariantCulture),
            ["homo_ev"] = double.Parse(levels.Groups[1].Value, CultureInfo.InvariantCulture),
            ["lumo_ev"] = double.Parse(levels.Groups[2].Value, CultureInfo.InvariantCulture),
            ["scf_iterations"] = int.Parse(Iterations().Match(output).Groups[1].Value, CultureInfo.InvariantCulture),
            ["pw_seconds"] = Math.Round(seconds, 3),
        });
        if (!options.KeepRunDirs) try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        return new JobExecution(result, seconds);
    }

    [GeneratedRegex(@"^!\s+total energy\s+=\s+(-?\d+\.\d+) Ry", RegexOptions.Multiline)]
    private static partial Regex TotalEnergy();
    [GeneratedRegex(@"highest occupied, lowest unoccupied level \(ev\):\s+(-?\d+\.\d+)\s+(-?\d+\.\d+)")]
    private static partial Regex HomoLumo();
    [GeneratedRegex(@"convergence has been achieved in\s+(\d+) iterations")]
    private static partial Regex Iterations();
    [GeneratedRegex(@"%{10,}\s*\n(.*?)\n\s*%{10,}", RegexOptions.Singleline)]
    private static partial Regex ErrorBlock();
}
