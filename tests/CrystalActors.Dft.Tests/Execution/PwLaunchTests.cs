using System.IO.Compression;
using CrystalActors.Dft.Execution;
using CrystalActors.Dft.Input;

namespace CrystalActors.Dft.Tests.Execution;

/// <summary>How pw.x is started (argument lists, never shell strings) and what a job leaves in its archive.</summary>
[Collection("pw.x")]
public class PwLaunchTests
{
    // The launcher only has to exist to be resolved: /bin/echo stands in for mpirun and srun.
    private static IReadOnlyList<string> Command(PwRunnerOptions o) => new PwRunner(o with { LauncherPath = o.Launcher == PwLauncher.None ? null : "/bin/echo" }).CommandLine("pw.in");

    private static string Pw => new PwRunner(new PwRunnerOptions { Launcher = PwLauncher.None, MpiRanks = 1 }).CommandLine("x")[0];

    [Fact]
    public void Mpirun_RanksAndExtraArguments_RootFlagOnlyAsRoot()
    {
        var args = Command(new PwRunnerOptions { MpiRanks = 4, LauncherArguments = ["--bind-to", "core"] });
        var expected = new List<string> { "/bin/echo" };
        if (PwRunner.RunningAsRoot) expected.Add("--allow-run-as-root");
        expected.AddRange(["--bind-to", "core", "-np", "4", Pw, "-in", "pw.in"]);
        Assert.Equal(expected, args);
    }

    [Fact]
    public void Mpirun_OneRank_RunsPwDirectly() =>
        Assert.Equal([Pw, "-in", "pw.in"], Command(new PwRunnerOptions { MpiRanks = 1 }));

    [Fact]
    public void Srun_TasksAndCpusPerTask_NoRootFlag()
    {
        var args = Command(new PwRunnerOptions { Launcher = PwLauncher.Srun, MpiRanks = 8, OmpThreads = 2, LauncherArguments = ["--exact"] });
        Assert.Equal(["/bin/echo", "--ntasks", "8", "--cpus-per-task", "2", "--exact", Pw, "-in", "pw.in"], args);
    }

    [Fact]
    public void None_RefusesSeveralRanks() =>
        Assert.Throws<ArgumentException>(() => new PwRunner(new PwRunnerOptions { Launcher = PwLauncher.None, MpiRanks = 2 }));

    [Fact]
    public void MissingLauncher_IsNamedInTheError()
    {
        var e = Assert.Throws<FileNotFoundException>(() => new PwRunner(new PwRunnerOptions { Launcher = PwLauncher.Srun, LauncherPath = "no-such-srun" }));
        Assert.Contains("no-such-srun", e.Message);
    }

    [Fact]
    public async Task Archive_KeepsInputOutputAndXmlOfEachAttempt_Compressed()
    {
        var archive = Directory.CreateTempSubdirectory("ca-archive-").FullName;
        var service = new DftService(new DftServiceOptions
        {
            PseudoRoot = TestData.PseudoRoot, ArchiveDirectory = archive,
            Runner = new PwRunnerOptions { MpiRanks = 1, WallTimeLimit = TimeSpan.FromMinutes(30) },
        });
        var si = new DftCell([[0, 2.715, 2.715], [2.715, 0, 2.715], [2.715, 2.715, 0]], ["Si", "Si"], [[0, 0, 0], [0.25, 0.25, 0.25]]);
        var r = await service.RunAsync(si, DftProtocol.Sssp with { EcutWfcRy = 20, EcutRhoRy = 160, KPoints = new KMesh(2, 2, 2) }, "job-si");
        Assert.True(r.IsSuccess);
        string Read(string file)
        {
            using var gz = new GZipStream(File.OpenRead(Path.Combine(archive, "job-si", file)), CompressionMode.Decompress);
            return new StreamReader(gz).ReadToEnd();
        }
        Assert.Contains("&CONTROL", Read("attempt-1.in.gz"), StringComparison.OrdinalIgnoreCase);
        var output = Read("attempt-1.out.gz");
        Assert.Contains("JOB DONE", output);
        Assert.Contains(r.TotalEnergyRy!.Value.ToString("F8", System.Globalization.CultureInfo.InvariantCulture)[..8], output);
        Assert.Contains("<qes:espresso", Read("attempt-1.xml.gz"));
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(archive, "job-si")), f => f.EndsWith(".tmp"));
    }
}
