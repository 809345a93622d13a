using Xunit;

namespace CrystalActors.Tests.Shared;

/// <summary>A fact that runs real pw.x; skipped with a clear message where Quantum ESPRESSO is not installed.</summary>
public sealed class PwFactAttribute : FactAttribute
{
    /// <summary>Whether pw.x is on PATH.</summary>
    public static bool Installed { get; } =
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(p => p.Length > 0 && File.Exists(Path.Combine(p, "pw.x")));

    public PwFactAttribute()
    {
        if (!Installed) Skip = "pw.x is not on PATH; apt-get install quantum-espresso to run DFT tests";
    }
}
