using System.CommandLine;
using CrystalActors.Cli;
using CrystalActors.Cli.Commands;
using CrystalActors.Crystals.Io;

// crystal-actors: one executable, one sub-command tree. Each area of the system contributes its
// commands from its own file under Commands/, so that adding a capability never touches this file
// beyond one line.
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

var parse = root.Parse(args);
CliLogging.Configure(parse);
try
{
    // No stack trace on the console: an unexpected fault is one line, its trace goes to a file the line names.
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is not OperationCanceledException)
{
    var trace = Path.Combine(Path.GetTempPath(), $"crystal-actors-error-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}.log");
    // A full disk that stopped the command may refuse the trace too; the line must come out all the same.
    string traceNote;
    try { File.WriteAllText(trace, e.ToString()); traceNote = $"trace in {trace}"; }
    catch (Exception t) when (t is IOException or UnauthorizedAccessException) { traceNote = $"no trace: {FileErrors.Describe(t) ?? t.Message}"; }
    var shown = e is AggregateException or System.Reflection.TargetInvocationException ? e.GetBaseException() : e;
    // Disk full and read-only say so in plain words, whatever wraps them.
    Console.Error.WriteLine($"crystal-actors: {FileErrors.Describe(e) ?? shown.Message} ({traceNote})");
    return 1;
}
finally
{
    await Serilog.Log.CloseAndFlushAsync();
}
