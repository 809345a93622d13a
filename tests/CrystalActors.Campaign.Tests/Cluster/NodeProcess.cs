using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace CrystalActors.Campaign.Tests.Cluster;

/// <summary>One `crystal-actors` process of a multi-process test: its output captured, killable with SIGKILL or SIGTERM.</summary>
public sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public string Name { get; }

    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The prebuilt CLI of this checkout (`dotnet test` builds it with the solution).</summary>
    public static string CliDll { get; } = Path.Combine(RepoRoot, "src", "CrystalActors.Cli", "bin", "Release", "net10.0", "crystal-actors.dll");

    private NodeProcess(string name, Process process)
    {
        Name = name;
        _process = process;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static NodeProcess Start(string name, params string[] args) => StartCommand(name, "dotnet", [CliDll, .. args]);

    public static NodeProcess StartCommand(string name, string file, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoRoot };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["CRYSTAL_ACTORS_NO_LIVE"] = "1";
        psi.Environment["OMP_NUM_THREADS"] = "1";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        return new NodeProcess(name, Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}"));
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    public bool Exited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>Waits until the output matches <paramref name="pattern"/>; fails with the output tail otherwise.</summary>
    public async Task WaitForAsync(string pattern, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (Regex.IsMatch(Output, pattern)) return;
            if (_process.HasExited) break;
            await Task.Delay(200);
        }
        if (Regex.IsMatch(Output, pattern)) return;
        throw new TimeoutException($"{Name}: no '{pattern}' within {timeout.TotalSeconds:0} s (exited: {_process.HasExited}); output tail:\n{Tail(40)}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { throw new TimeoutException($"{Name} still running after {timeout.TotalSeconds:0} s; output tail:\n{Tail(40)}"); }
        return _process.ExitCode;
    }

    public string Tail(int lines) => string.Join('\n', Output.Split('\n').TakeLast(lines));

    /// <summary>SIGKILL: no shutdown of any kind, as when a node crashes or is preempted.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGTERM: the node leaves the cluster gracefully (its singletons hand over).</summary>
    public void Terminate()
    {
        if (_process.HasExited) return;
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()]);
        kill.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "CrystalActors.sln"))) return d.FullName;
        throw new DirectoryNotFoundException($"no CrystalActors.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>A multi-process test: needs the built CLI and pw.x (and PostgreSQL when asked); skipped with the reason otherwise.</summary>
public sealed class MultiProcessFactAttribute : FactAttribute
{
    public MultiProcessFactAttribute()
    {
        if (!File.Exists(NodeProcess.CliDll)) Skip = $"the CLI is not built at {NodeProcess.CliDll} (dotnet build -c Release)";
        else if (!CrystalActors.Tests.Shared.PwFactAttribute.Installed)
            Skip = "pw.x is not on PATH; apt-get install quantum-espresso to run multi-process DFT tests";
    }

    /// <summary>Also needs the PostgreSQL server package (scripts/postgres.sh starts a private server).</summary>
    public bool NeedsPostgres
    {
        get => _needsPostgres;
        set
        {
            _needsPostgres = value;
            if (value && Skip is null && !Directory.Exists("/usr/lib/postgresql"))
                Skip = "PostgreSQL is not installed (/usr/lib/postgresql missing); apt-get install postgresql to run the PostgreSQL cluster test";
        }
    }

    private bool _needsPostgres;
}
