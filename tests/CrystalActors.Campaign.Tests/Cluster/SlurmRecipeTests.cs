using System.Diagnostics;

namespace CrystalActors.Campaign.Tests.Cluster;

/// <summary>
/// The Slurm recipes' logic, run by bash with fake `srun` and `scontrol` on PATH: which job step each node gets, with
/// which roles, seeds and options, and that every option they pass exists in `crystal-actors campaign run`.
/// </summary>
public class SlurmRecipeTests
{
    private static string Recipe(string name) => Path.Combine(NodeProcess.RepoRoot, "cluster-config", "slurm", name);

    private sealed record Run(int ExitCode, string Stderr, IReadOnlyList<IReadOnlyList<string>> Steps);

    /// <summary>Runs a recipe; every srun call's argument vector is recorded.</summary>
    private static Run Sbatch(string recipe, Dictionary<string, string> env)
    {
        var dir = Directory.CreateTempSubdirectory("ca-slurm-").FullName;
        var bin = Directory.CreateDirectory(Path.Combine(dir, "bin")).FullName;
        var calls = Directory.CreateDirectory(Path.Combine(dir, "calls")).FullName;
        File.WriteAllText(Path.Combine(bin, "scontrol"), "#!/bin/bash\n[[ $1 == show && $2 == hostnames ]] && tr ',' '\\n' <<< \"$3\"\n");
        File.WriteAllText(Path.Combine(bin, "srun"), $"#!/bin/bash\nf=$(mktemp {calls}/call.XXXXXX)\nprintf '%s\\n' \"$@\" > \"$f\"\n");
        foreach (var f in new[] { "scontrol", "srun" }) File.SetUnixFileMode(Path.Combine(bin, f), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var psi = new ProcessStartInfo("bash", [Recipe(recipe)]) { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = dir };
        psi.Environment["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}";
        psi.Environment["CRYSTAL_ACTORS_REPO"] = "/repo";
        psi.Environment["CONFIG"] = "/repo/cluster-config/exp3.json";
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        var steps = Directory.GetFiles(calls).Select(f => (IReadOnlyList<string>)File.ReadAllLines(f)).OrderBy(a => string.Join(" ", a)).ToList();
        return new Run(p.ExitCode, err, steps);
    }

    private static string After(IReadOnlyList<string> args, string option) => args[args.ToList().IndexOf(option) + 1];

    [Fact]
    public void Hetjob_OneGpuStepAndOneStepPerCpuNode_WithTheirRolesAndSeeds()
    {
        var run = Sbatch("campaign-hetjob.sbatch", new() { ["SLURM_JOB_NODELIST_HET_GROUP_0"] = "gpu01", ["SLURM_JOB_NODELIST_HET_GROUP_1"] = "cpu01,cpu02" });
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(3, run.Steps.Count);
        var gpu = run.Steps.Single(s => s.Contains("--het-group=0"));
        Assert.Contains("--gpus=1", gpu);
        Assert.Equal(("gpu01", "gpu01", "coordinator,learner,offline-cql,fine-tuner,reward-model"), (After(gpu, "-w"), After(gpu, "--node"), After(gpu, "--roles")));
        foreach (var cpu in run.Steps.Where(s => s.Contains("--het-group=1")))
        {
            Assert.Equal("rollout,relaxer,dft-worker,reward-model", After(cpu, "--roles"));
            Assert.Equal(After(cpu, "-w"), After(cpu, "--host"));
        }
        Assert.Equal(["cpu01", "cpu02"], run.Steps.Where(s => s.Contains("--het-group=1")).Select(s => After(s, "--node")).Order());
        Assert.All(run.Steps, s =>
        {
            Assert.Equal("gpu01:4053,cpu01:4053", After(s, "--seeds"));
            Assert.Equal(("hpc", "4053", "sqlite", "/repo/cluster-config/exp3.json"), (After(s, "--profile"), After(s, "--port"), After(s, "--journal"), After(s, "--config")));
            Assert.Equal("/repo/scripts/crystal-actors", s[s.ToList().IndexOf("campaign") - 1]);
        });
    }

    [Fact]
    public void CpuOnly_SingleNodeGetsEveryRole_AndContainerAndPostgresAreOptions()
    {
        var alone = Sbatch("campaign-cpu.sbatch", new() { ["SLURM_JOB_NODELIST"] = "n1" });
        Assert.True(alone.ExitCode == 0, alone.Stderr);
        var step = Assert.Single(alone.Steps);
        Assert.Equal("coordinator,learner,offline-cql,fine-tuner,reward-model,rollout,relaxer,dft-worker", After(step, "--roles"));
        Assert.Equal("n1:4053", After(step, "--seeds"));

        var boxed = Sbatch("campaign-cpu.sbatch", new()
        {
            ["SLURM_JOB_NODELIST"] = "n1,n2,n3", ["CONTAINER"] = "/img/crystal-actors.sif", ["JOURNAL"] = "postgres",
            ["CRYSTAL_ACTORS_JOURNAL"] = "Host=db;Database=exp3", ["PORT"] = "5000",
        });
        Assert.True(boxed.ExitCode == 0, boxed.Stderr);
        Assert.Equal(3, boxed.Steps.Count);
        Assert.All(boxed.Steps, s =>
        {
            var i = s.ToList().IndexOf("apptainer");
            Assert.Equal(["apptainer", "exec", "--nv", "--bind", "/repo", "/img/crystal-actors.sif", "/repo/scripts/crystal-actors"], s.Skip(i).Take(7));
            Assert.Equal(("postgres", "Host=db;Database=exp3", "n1:5000,n2:5000"), (After(s, "--journal"), After(s, "--journal-target"), After(s, "--seeds")));
        });
    }

    [Fact]
    public void Postgres_WithoutAConnection_IsRefusedWithItsReason()
    {
        var run = Sbatch("campaign-cpu.sbatch", new() { ["SLURM_JOB_NODELIST"] = "n1,n2", ["JOURNAL"] = "postgres" });
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("JOURNAL=postgres needs CRYSTAL_ACTORS_JOURNAL", run.Stderr);
    }

    [MultiProcessFact]
    public void EveryOptionTheRecipesPass_ExistsInCampaignRun()
    {
        var run = Sbatch("campaign-hetjob.sbatch", new() { ["SLURM_JOB_NODELIST_HET_GROUP_0"] = "g", ["SLURM_JOB_NODELIST_HET_GROUP_1"] = "c" });
        using var help = NodeProcess.Start("help", "campaign", "run", "--help");
        help.WaitForExitAsync(TimeSpan.FromMinutes(1)).GetAwaiter().GetResult();
        foreach (var option in run.Steps.SelectMany(s => s.SkipWhile(a => a != "campaign")).Where(a => a.StartsWith("--")).Distinct())
            Assert.Contains(option, help.Output);
    }
}
