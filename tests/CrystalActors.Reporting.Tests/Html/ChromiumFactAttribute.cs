namespace CrystalActors.Reporting.Tests.Html;

/// <summary>
/// A test that drives the system's Chromium. Where it is not installed the test is skipped and xunit prints the
/// reason, so a run on a machine without it says which check it did not make.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Executable = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Executable))
            Skip = $"Chromium is not installed ({Executable} missing); apt-get install chromium (scripts/bootstrap.sh does) to run the browser test";
    }
}
