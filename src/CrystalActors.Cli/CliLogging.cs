using System.CommandLine;
using Serilog;
using Serilog.Events;
using Spectre.Console;

namespace CrystalActors.Cli;

/// <summary>
/// Serilog, configured once per process. Log lines go to stderr so that commands can print
/// tables and machine-readable lines on stdout. <c>CRYSTAL_ACTORS_LOG_FILE</c> adds a rolling file.
/// </summary>
public static class CliLogging
{
    public static readonly Option<bool> VerboseOption = new("--verbose", "-v")
    {
        Description = "Log debug messages.",
        Recursive = true,
    };

    private static LogEventLevel _level = LogEventLevel.Information;

    /// <summary>
    /// A node's log: everything goes to <paramref name="file"/> (runs/&lt;name&gt;/logs/&lt;node&gt;.log), whatever the terminal;
    /// the console (stderr) keeps all lines, or only warnings and errors under a live display (<paramref name="consoleWarningsOnly"/>).
    /// </summary>
    public static void AlsoToFile(string file, bool consoleWarningsOnly)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        var previous = Log.Logger;
        Log.Logger = new LoggerConfiguration()
            .MinimumLevel.Is(_level)
            .Enrich.WithProperty("pid", Environment.ProcessId)
            .WriteTo.Console(restrictedToMinimumLevel: consoleWarningsOnly ? LogEventLevel.Warning : _level, standardErrorFromLevel: LogEventLevel.Verbose,
                outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}")
            .WriteTo.File(file, outputTemplate: "[{Timestamp:yyyy-MM-dd HH:mm:ss.fff} {Level:u3}] {Message:lj}{NewLine}{Exception}", shared: true)
            .CreateLogger();
        (previous as IDisposable)?.Dispose();
    }

    /// <summary>A command with an output folder also logs to &lt;folder&gt;/logs/&lt;name&gt;.log, whatever the terminal; returns that path.</summary>
    public static string ToFolder(string folder, string name)
    {
        var file = Path.Combine(folder, "logs", $"{name}.log");
        AlsoToFile(file, consoleWarningsOnly: false);
        return file;
    }

    public static void Configure(ParseResult parse)
    {
        // Spectre.Console decides ANSI support from TERM, not from redirection: output piped or written to a file must
        // carry no escape codes. (Serilog's console sink already drops its colours when either stream is redirected.)
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Capabilities.Ansi = false;
        var level = parse.GetValue(VerboseOption) ? LogEventLevel.Debug : LogEventLevel.Information;
        if (Environment.GetEnvironmentVariable("CRYSTAL_ACTORS_LOG_LEVEL") is { } env
            && Enum.TryParse<LogEventLevel>(env, ignoreCase: true, out var fromEnv))
            level = fromEnv;

        var config = new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .Enrich.WithProperty("pid", Environment.ProcessId)
            .WriteTo.Console(
                standardErrorFromLevel: LogEventLevel.Verbose,
                outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}");
        if (Environment.GetEnvironmentVariable("CRYSTAL_ACTORS_LOG_FILE") is { Length: > 0 } file)
            config = config.WriteTo.File(file, rollingInterval: RollingInterval.Day, shared: true);
        Log.Logger = config.CreateLogger();
        _level = level;
    }
}
