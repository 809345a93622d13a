using System.Diagnostics;

namespace CrystalActors.Campaign.Tests.Cluster;

/// <summary>`scripts/bootstrap.sh --no-apt` (HPC, no root): one clear line per missing prerequisite, nothing built.</summary>
public class BootstrapTests
{
    [Fact]
    public void NoApt_MissingLibtorchAndPw_EachReportedOnOneLineWithHowToGetIt()
    {
        var psi = new ProcessStartInfo("bash", [Path.Combine(NodeProcess.RepoRoot, "scripts", "bootstrap.sh"), "--no-apt"])
        { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.Environment["TORCH_PREFIX"] = "/nonexistent/libtorch";
        psi.Environment["CRYSTAL_ACTORS_PW"] = "no-such-pw.x";
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(1, p.ExitCode);
        var missing = err.Split('\n').Where(l => l.Contains("missing:")).ToList();
        Assert.Equal(2, missing.Count);
        Assert.Contains(missing, l => l.Contains("libtorch") && l.Contains("TORCH_PREFIX"));
        Assert.Contains(missing, l => l.Contains("no-such-pw.x") && l.Contains("module load quantum-espresso"));
        Assert.Contains("2 prerequisite(s) missing; nothing was built", err);
    }
}
