using System.Diagnostics;
using System.Text;
using CrystalActors.Dft.Handlers;
using Serilog;

namespace CrystalActors.Dft.Execution;

/// <summary>How pw.x's MPI ranks are started: OpenMPI's mpirun, Slurm's srun (inside an allocation), or none (one rank).</summary>
public enum PwLauncher { Mpirun, Srun, None }

/// <summary>How pw.x is launched. Defaults follow the measurements in shared/NOTES.md.</summary>
public sealed record PwRunnerOptions
{
    /// <summary>pw.x executable: a path, or a name looked up on PATH (environment modules put it there).</summary>
    public string PwExecutable { get; init; } = "pw.x";
    /// <summary>What starts the ranks. mpirun is used only for more than one rank; srun always (a job step gets its cores).</summary>
    public PwLauncher Launcher { get; init; } = PwLauncher.Mpirun;
    /// <summary>The launcher's executable (a path or a name on PATH); default "mpirun" or "srun".</summary>
    public string? LauncherPath { get; init; }
    /// <summary>MPI ranks. Debian's pw.x has no OpenMP, so ranks (not threads) use the cores.</summary>
    public int MpiRanks { get; init; } = 2;
    /// <summary>Extra launcher arguments, each one list element (never a shell string), placed before the rank count.</summary>
    public IReadOnlyList<string> LauncherArguments { get; init; } = [];
    /// <summary>
    /// Let MPI ranks waiting in a collective yield the core (OMPI_MCA_mpi_yield_when_idle=1) instead of spinning: on a
    /// node whose cores are shared with learners a spinning rank holds a core while its partner waits to be scheduled.
    /// Costs nothing measurable when pw.x has the cores to itself. Default true.
    /// </summary>
    public bool YieldWhenIdle { get; init; } = true;
    /// <summary>OMP_NUM_THREADS given to pw.x.</summary>
    public int OmpThreads { get; init; } = 1;
    /// <summary>Each attempt is killed (with its whole process tree) after this long.</summary>
    public TimeSpan WallTimeLimit { get; init; } = TimeSpan.FromMinutes(12);
    /// <summary>Parent of the per-attempt working directories; default: the system temp folder.</summary>
    public string? ScratchRoot { get; init; }
    /// <summary>Keep the working directory (wavefunctions included) instead of deleting it; for debugging.</summary>
    public bool KeepScratch { get; init; }
    /// <summary>Settings of the live SCF monitor; null switches it off.</summary>
    public ScfMonitorOptions? Monitor { get; init; } = new();
}

/// <summary>What one pw.x process did.</summary>
public sealed record PwRunOutcome(
    PwTermination Termination,
    int? ExitCode,
    string OutputText,
    string StandardErrorText,
    string? CrashFileText,
    double WallSeconds,
    string? MonitorReason,
    string? XmlText = null);

/// <summary>
/// Runs pw.x once in its own working directory: spawned with an argument list (no shell), standard output read
/// line by line into memory and through the live <see cref="ScfMonitor"/>, the whole process tree killed on the
/// wall-time limit, on a monitor verdict or on cancellation, and the directory deleted afterwards.
/// </summary>
public sealed class PwRunner
{
    private readonly string _pwPath;
    private readonly string? _launcherPath;

    /// <summary>Resolves the executables now, so that a missing pw.x or mpirun is reported before any run.</summary>
    public PwRunner(PwRunnerOptions? options = null)
    {
        Options = options ?? new PwRunnerOptions();
        if (Options.MpiRanks < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.MpiRanks, "MpiRanks must be >= 1");
        if (Options.WallTimeLimit <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), Options.WallTimeLimit, "WallTimeLimit must be positive");
        _pwPath = ResolveExecutable(Options.PwExecutable)
                  ?? throw new FileNotFoundException($"pw.x not found: '{Options.PwExecutable}' is not a file and not on PATH (install quantum-espresso or set the pw.x path)", Options.PwExecutable);
        if (Options.Launcher == PwLauncher.None && Options.MpiRanks > 1)
            throw new ArgumentException($"launcher 'none' runs one rank; {Options.MpiRanks} ranks need mpirun or srun", nameof(options));
        if (Options.OmpThreads < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.OmpThreads, "OmpThreads must be >= 1");
        if (UsesLauncher)
        {
            var launcher = Options.LauncherPath ?? (Options.Launcher == PwLauncher.Srun ? "srun" : "mpirun");
            _launcherPath = ResolveExecutable(launcher)
                            ?? throw new FileNotFoundException($"MPI launcher not found: '{launcher}' is not a file and not on PATH " +
                                (Options.Launcher == PwLauncher.Srun ? "(srun runs inside a Slurm allocation)" : "(install openmpi-bin or use 1 rank)"), launcher);
        }
    }

    public PwRunnerOptions Options { get; }

    private bool UsesLauncher => Options.Launcher switch
    {
        PwLauncher.Srun => true,
        PwLauncher.Mpirun => Options.MpiRanks > 1,
        _ => false,
    };

    /// <summary>OpenMPI refuses to run as root without this flag; it is added only when this process is root.</summary>
    public static bool RunningAsRoot => Environment.IsPrivilegedProcess;

    /// <summary>The command line, for logs (the process itself is started from the argument list).</summary>
    public IReadOnlyList<string> CommandLine(string inputFileName)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var args = new List<string>();
        if (_launcherPath is not null && Options.Launcher == PwLauncher.Mpirun)
        {
            args.Add(_launcherPath);
            if (RunningAsRoot) args.Add("--allow-run-as-root");
            args.AddRange(Options.LauncherArguments);
            args.AddRange(["-np", Options.MpiRanks.ToString(inv)]);
        }
        else if (_launcherPath is not null && Options.Launcher == PwLauncher.Srun)
        {
            args.AddRange([_launcherPath, "--ntasks", Options.MpiRanks.ToString(inv), "--cpus-per-task", Options.OmpThreads.ToString(inv)]);
            args.AddRange(Options.LauncherArguments);
        }
        args.AddRange([_pwPath, "-in", inputFileName]);
        return args;
    }

    /// <param name="inputText">The pw.x input; its outdir should be relative ('./out') so that it lands in the working directory.</param>
    /// <param name="name">A label for the working directory and logs.</param>
    /// <param name="monitor">Live SCF monitor for this attempt, or null.</param>
    /// <summary>
    /// The working directory's name: the label (file-name-safe, at most 80 characters) and a 12-hex-digit random part
    /// that is always kept, so two jobs never share a directory whatever their labels (a long label once cut the
    /// unique part off, and one job's clean-up deleted another's files).
    /// </summary>
    internal static string ScratchName(string label)
    {
        string safe = string.Concat(label.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        if (safe.Length > 80) safe = safe[..80];
        if (safe.Length == 0 || safe.Trim('.').Length == 0) safe = "job";
        return $"{safe}-{Guid.NewGuid():N}"[..(safe.Length + 13)];
    }

    public async Task<PwRunOutcome> RunAsync(string inputText, string name, ScfMonitor? monitor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputText);
        string root = Options.ScratchRoot ?? Path.Combine(Path.GetTempPath(), "crystal-actors-dft");
        string dir = Path.Combine(root, ScratchName(name));
        Directory.CreateDirectory(dir);
        try
        {
            const string inputFile = "pw.in";
            await File.WriteAllTextAsync(Path.Combine(dir, inputFile), inputText, cancellationToken).ConfigureAwait(false);
            var command = CommandLine(inputFile);
            var psi = new ProcessStartInfo(command[0])
            {
                WorkingDirectory = dir,
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                CreateNoWindow = true,
            };
            foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
            psi.Environment["OMP_NUM_THREADS"] = Options.OmpThreads.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (Options.YieldWhenIdle) psi.Environment["OMPI_MCA_mpi_yield_when_idle"] = "1";
            Log.Debug("pw.x {Name}: {Command} in {Dir}", name, string.Join(" ", command), dir);

            var output = new StringBuilder();
            var stderr = new StringBuilder();
            var stopwatch = Stopwatch.StartNew();
            using var process = new Process { StartInfo = psi };
            process.Start();
            process.StandardInput.Close();

            using var wallTime = new CancellationTokenSource(Options.WallTimeLimit);
            using var monitorStop = new CancellationTokenSource();
            using var anyStop = CancellationTokenSource.CreateLinkedTokenSource(wallTime.Token, monitorStop.Token, cancellationToken);

            var readOut = Task.Run(async () =>
            {
                // Also streamed to pw.out in the working directory, so a run can be followed with tail -f.
                await using var file = new StreamWriter(Path.Combine(dir, "pw.out")) { AutoFlush = true };
                while (await process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
                {
                    lock (output) output.Append(line).Append('\n');
                    await file.WriteLineAsync(line).ConfigureAwait(false);
                    if (monitor is not null && monitor.Feed(line)) monitorStop.Cancel();
                }
            }, CancellationToken.None);
            var readErr = Task.Run(async () =>
            {
                while (await process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
                    lock (stderr) stderr.Append(line).Append('\n');
            }, CancellationToken.None);

            var termination = PwTermination.Exited;
            try
            {
                await process.WaitForExitAsync(anyStop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                termination = cancellationToken.IsCancellationRequested ? PwTermination.Cancelled
                    : monitorStop.IsCancellationRequested ? PwTermination.MonitorStopped
                    : PwTermination.WallTime;
                KillTree(process, name, termination);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                // A rank mpirun was forking at the moment of the kill escapes the tree walk; the working
                // directory is ours alone, so anything still running in it is a leftover of this attempt.
                await KillStragglersAsync(dir, name).ConfigureAwait(false);
            }
            // The pipes close when the last process holding them exits; do not wait forever on a stray grandchild.
            await Task.WhenAny(Task.WhenAll(readOut, readErr), Task.Delay(TimeSpan.FromSeconds(10), CancellationToken.None)).ConfigureAwait(false);
            stopwatch.Stop();

            string crashPath = Path.Combine(dir, "CRASH");
            string? crash = File.Exists(crashPath) ? await File.ReadAllTextAsync(crashPath, CancellationToken.None).ConfigureAwait(false) : null;
            string outText, errText;
            lock (output) outText = output.ToString();
            lock (stderr) errText = stderr.ToString();
            int? exitCode = termination == PwTermination.Exited ? process.ExitCode : null;
            // pw.x's XML (outdir/prefix.xml) holds every result at full precision: kept for the archive before the directory goes.
            string? xml = Directory.Exists(Path.Combine(dir, "out"))
                ? Directory.EnumerateFiles(Path.Combine(dir, "out"), "*.xml").FirstOrDefault() is { } x ? await File.ReadAllTextAsync(x, CancellationToken.None).ConfigureAwait(false) : null
                : null;
            return new PwRunOutcome(termination, exitCode, outText, errText, crash, stopwatch.Elapsed.TotalSeconds, monitor?.StopReason, xml);
        }
        finally
        {
            if (!Options.KeepScratch) TryDelete(dir);
        }
    }

    private static void KillTree(Process process, string name, PwTermination why)
    {
        try
        {
            // mpirun's ranks are its children: killing the tree leaves no orphan pw.x burning a core.
            process.Kill(entireProcessTree: true);
            Log.Information("pw.x {Name}: killed process tree ({Why})", name, why);
        }
        catch (InvalidOperationException)
        {
            // Exited between the timeout and the kill.
        }
    }

    /// <summary>Kills processes whose working directory is <paramref name="dir"/> (Linux /proc), until none is left.</summary>
    private static async Task KillStragglersAsync(string dir, string name)
    {
        if (!OperatingSystem.IsLinux()) return;
        for (int round = 0; round < 20; round++)
        {
            var pids = ProcessesIn(dir);
            if (pids.Count == 0) return;
            foreach (int pid in pids)
            {
                try
                {
                    using var p = Process.GetProcessById(pid);
                    p.Kill(entireProcessTree: true);
                    Log.Information("pw.x {Name}: killed straggler {Pid}", name, pid);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // Already gone.
                }
            }
            await Task.Delay(100).ConfigureAwait(false);
        }
        Log.Warning("pw.x {Name}: processes still running in {Dir} after repeated kills", name, dir);
    }

    /// <summary>Live processes whose current directory is <paramref name="dir"/> or below it.</summary>
    internal static List<int> ProcessesIn(string dir)
    {
        var found = new List<int>();
        string root = Path.GetFullPath(dir).TrimEnd('/');
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out int pid) || pid == Environment.ProcessId) continue;
            try
            {
                var cwd = new FileInfo(Path.Combine(entry, "cwd")).LinkTarget;
                if (cwd is not null && (cwd == root || cwd.StartsWith(root + "/", StringComparison.Ordinal))) found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }
        return found;
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException e)
        {
            Log.Warning("could not delete pw.x scratch {Dir}: {Message}", dir, e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            Log.Warning("could not delete pw.x scratch {Dir}: {Message}", dir, e.Message);
        }
    }

    /// <summary>A path to an existing file, or the first match on PATH; null when neither.</summary>
    public static string? ResolveExecutable(string nameOrPath)
    {
        if (string.IsNullOrWhiteSpace(nameOrPath)) return null;
        if (nameOrPath.Contains(Path.DirectorySeparatorChar) || nameOrPath.Contains('/'))
            return File.Exists(nameOrPath) ? Path.GetFullPath(nameOrPath) : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, nameOrPath);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
