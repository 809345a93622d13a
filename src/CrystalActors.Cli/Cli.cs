using CrystalActors.Crystals.Io;
using System.CommandLine;
using System.Reflection;
using System.Text.Json;
using CrystalActors.Cli.Commands;
using Spectre.Console;

namespace CrystalActors.Cli;

/// <summary>
/// crystal-actors: one sub-command tree, and the one error policy every command ends in (README "Errors and exit codes"):
/// 0 done; 1 an unexpected fault, one line on stderr and its trace in a log file; 2 an input fault (a bad option, a file
/// that cannot be used, or with --strict the first bad record), one line. No stack trace reaches the console.
/// Callable in-process, so that the malformed-input corpus runs hundreds of cases without a process each.
/// </summary>
public static class Cli
{
    /// <summary>The version the build stamped (package version + git commit), for provenance records.</summary>
    public static string CodeVersion { get; } =
        typeof(Cli).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "?";

    public const int ExitOk = 0;
    public const int ExitUnexpected = 1;
    public const int ExitInput = 2;
    public const int ExitCancelled = 130;

    /// <summary>The command tree. Each area contributes its commands from its own file under Commands/.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand("CrystalActors: reinforcement-learning crystal design checked by DFT.");
        root.Options.Add(CliLogging.VerboseOption);
        root.Subcommands.Add(TorchCommands.Create());
        root.Subcommands.Add(StructureCommands.Create());
        root.Subcommands.Add(DftCommands.Create());
        foreach (var c in RewardCommands.Create()) root.Subcommands.Add(c);
        foreach (var c in PotentialCommands.Create()) root.Subcommands.Add(c);
        root.Subcommands.Add(OfflineCommands.Create());
        root.Subcommands.Add(EvaluateCommands.Create());
        root.Subcommands.Add(CampaignCommands.Create());
        root.Subcommands.Add(ClusterCommands.Create());
        root.Subcommands.Add(MetalClusterCommands.Create());
        root.Subcommands.Add(BenchCommands.Create());
        root.Subcommands.Add(ReportCommands.Create());
        return root;
    }

    /// <summary>
    /// Runs one command line and returns its exit code. Given <paramref name="stdout"/> and <paramref name="stderr"/>, the
    /// console (also Spectre's and the log's) writes there for the duration of the call: the console is the process's, so
    /// in-process callers run one command at a time.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null, CancellationToken ct = default)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var oldAnsi = stdout is null ? null : AnsiConsole.Console;
        if (stdout is not null)
        {
            Console.SetOut(stdout);
            AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No, Out = new AnsiConsoleOutput(stdout),
            });
        }
        if (stderr is not null) Console.SetError(stderr);
        try
        {
            var parse = Build().Parse(args);
            if (parse.Errors.Count > 0)
            {
                // A bad command line is an input fault like a bad file: one line each, exit 2 (help stays one --help away).
                foreach (var e in parse.Errors) Console.Error.WriteLine($"error: {e.Message}");
                Console.Error.WriteLine("(see --help)");
                return ExitInput;
            }
            CliLogging.Configure(parse);
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, ct);
        }
        catch (Exception e)
        {
            return Report(e);
        }
        finally
        {
            await Serilog.Log.CloseAndFlushAsync();
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
            if (oldAnsi is not null) AnsiConsole.Console = oldAnsi;
        }
    }

    /// <summary>A fault that ended a command: its one line on stderr, and its exit code.</summary>
    public static int Report(Exception fault)
    {
        var e = Unwrap(fault);
        if (e is OperationCanceledException)
        {
            Console.Error.WriteLine("error: cancelled");
            return ExitCancelled;
        }
        if (IsInputFault(e))
        {
            Console.Error.WriteLine($"error: {OneLine(e.Message)}");
            return ExitInput;
        }
        var log = Path.Combine(Path.GetTempPath(), $"crystal-actors-error-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}-{Guid.NewGuid():N}.log");
        // A full disk that stopped the command may refuse the trace too; the line must come out all the same.
        try { File.WriteAllText(log, fault.ToString()); }
        catch (Exception io) when (io is IOException or UnauthorizedAccessException) { log = $"not written: {FileErrors.Describe(io) ?? io.Message}"; }
        // Disk full and read-only say so in plain words, whatever wraps them.
        Console.Error.WriteLine($"error: {OneLine(FileErrors.Describe(fault) ?? e.Message)} (details in {log})");
        return ExitUnexpected;
    }

    /// <summary>
    /// Faults of the input, not of the program: a file or value that is missing, malformed, out of range or refused
    /// (the readers and validators throw these, naming the input). Anything else is a defect and exits with 1.
    /// </summary>
    public static bool IsInputFault(Exception e) =>
        e is RecordFaultStop
        || e is ArgumentException and not ArgumentNullException
        || e is FormatException or InvalidDataException or JsonException or IOException or UnauthorizedAccessException
            or KeyNotFoundException or NotSupportedException
        || e is Campaign.CampaignConfigException or Learning.Clusters.ClusterConfigException or Runtime.Farming.JobPayloadException
            or Reporting.RunFolderException;

    /// <summary>The fault inside the wrappers that tasks, PLINQ, reflection and static constructors put around it.</summary>
    public static Exception Unwrap(Exception e)
    {
        while (true)
        {
            switch (e)
            {
                case AggregateException a when a.InnerExceptions.Count > 0:
                    e = a.InnerExceptions.FirstOrDefault(x => x is RecordFaultStop) ?? a.InnerExceptions[0];
                    break;
                case TargetInvocationException or TypeInitializationException when e.InnerException is not null:
                    e = e.InnerException;
                    break;
                default:
                    return e;
            }
        }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
