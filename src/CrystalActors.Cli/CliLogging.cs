using System.CommandLine;
using Serilog;
using Serilog.Events;

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

    public static void Configure(ParseResult parse)
    {
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
    }
}
