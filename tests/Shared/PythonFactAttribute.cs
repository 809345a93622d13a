using Xunit;

namespace CrystalActors.Tests.Shared;

/// <summary>A fact that runs one of the repository's Python scripts; skipped with a clear message where python3 is not on PATH.</summary>
public sealed class PythonFactAttribute : FactAttribute
{
    /// <summary>Whether python3 is on PATH.</summary>
    public static bool Installed { get; } =
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(p => p.Length > 0 && File.Exists(Path.Combine(p, "python3")));

    public PythonFactAttribute()
    {
        if (!Installed) Skip = "python3 is not on PATH; apt-get install python3 to test the repository's Python scripts";
    }
}
