using System.Diagnostics;
using CrystalActors.Models.Tests.Megnet;
using CrystalActors.Tests.Shared;

namespace CrystalActors.Models.Tests;

/// <summary>
/// scripts/convert-matgl-weights.py, which rebuilds shared/reference's weight files from matgl's model directories
/// (README, "Shared data"). Its conversion needs torch, which CI does not have; its pure part runs here: the metadata it
/// would write, re-derived from each shared file's own model JSON and tensors, equals the file's, and its safetensors
/// writer and reader give back every tensor byte for byte.
/// </summary>
public class WeightConversionTests
{
    private static readonly string[] Files =
    [
        Path.Combine("megnet", "MEGNet-MP-2019.4.1-BandGap-mfi.safetensors"),
        Path.Combine("m3gnet", "M3GNet-MP-2021.2.8-PES.safetensors"),
        Path.Combine("m3gnet", "M3GNet-MatPES-PBE-v2025.1-PES.safetensors"),
    ];

    [PythonFact]
    public void Check_EverySharedWeightFile_RederivesItsMetadataAndRoundTripsItsTensors()
    {
        var paths = Files.Select(f => Path.Combine(MegnetTestData.SharedDir, "reference", f)).ToList();
        var (exit, output) = Run(["check", .. paths]);
        Assert.True(exit == 0, output);
        Assert.Equal(paths.Select((p, i) => $"ok {p}: {(i == 0 ? 107 : 115)} tensors"), output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static (int Exit, string Output) Run(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Script());
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr.Result);
    }

    /// <summary>The script in the checkout these tests were built from.</summary>
    private static string Script()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var path = Path.Combine(d.FullName, "scripts", "convert-matgl-weights.py");
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"scripts/convert-matgl-weights.py not found above {AppContext.BaseDirectory}");
    }
}
