using System.Diagnostics;
using System.Text.RegularExpressions;

namespace CrystalActors.Cli.Tests.Corpus;

/// <summary>What a case's command did.</summary>
public sealed record CaseOutcome(int ExitCode, string Stdout, string Stderr, bool TimedOut);

/// <summary>Runs corpus cases (in this process, or as a real `crystal-actors` process) and checks them against the error policy.</summary>
public static partial class CorpusRunner
{
    /// <summary>Writes the case's files into a fresh folder and returns it.</summary>
    public static string Prepare(CorpusCase c)
    {
        var dir = Path.Combine(Path.GetTempPath(), "crystal-actors-corpus", $"{Guid.NewGuid():N}"[..12] + "-" + c.Name.Replace('/', '_'));
        Directory.CreateDirectory(dir);
        foreach (var (name, content) in c.Files)
        {
            var path = Path.Combine(dir, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, content());
        }
        return dir;
    }

    public static string[] ArgsIn(CorpusCase c, string dir) => c.Args!.Select(a => a.Replace(CorpusCase.Dir, dir)).ToArray();

    /// <summary>The CLI's own entry in this process, its console captured; a run past <paramref name="limit"/> is a hang
    /// (cancelled, and reported as timed out rather than waited for).</summary>
    public static async Task<CaseOutcome> RunInProcessAsync(CorpusCase c, string dir, TimeSpan limit)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        using var cts = new CancellationTokenSource();
        var args = ArgsIn(c, dir);
        var run = Task.Run(() => Cli.RunAsync(args, stdout, stderr, cts.Token));
        if (await Task.WhenAny(run, Task.Delay(limit)) != run)
        {
            cts.Cancel();
            return new CaseOutcome(-1, stdout.ToString(), stderr.ToString(), TimedOut: true);
        }
        return new CaseOutcome(await run, stdout.ToString(), stderr.ToString(), TimedOut: false);
    }

    /// <summary>A library case: the entry point a node calls; its fault, if any, as the CLI would report it.</summary>
    public static async Task<CaseOutcome> RunLibraryAsync(CorpusCase c, string dir, TimeSpan limit)
    {
        var run = Task.Run(() =>
        {
            try
            {
                c.Library!(dir);
                return new CaseOutcome(0, "", "", false);
            }
            catch (Exception e)
            {
                var fault = Cli.Unwrap(e);
                // The documented faults of these entry points: a payload a worker refuses, a frame the serializer drops.
                bool documented = fault is CrystalActors.Runtime.Farming.JobPayloadException or System.Runtime.Serialization.SerializationException;
                return new CaseOutcome(documented ? 2 : 1, "", $"error: {fault.Message}\n{(documented ? "" : fault.ToString())}", false);
            }
        });
        if (await Task.WhenAny(run, Task.Delay(limit)) != run) return new CaseOutcome(-1, "", "", TimedOut: true);
        return await run;
    }

    /// <summary>`dotnet crystal-actors.dll ...` as a user runs it.</summary>
    public static async Task<CaseOutcome> RunProcessAsync(CorpusCase c, string dir, TimeSpan limit)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
        psi.ArgumentList.Add(CliDll);
        foreach (var a in ArgsIn(c, dir)) psi.ArgumentList.Add(a);
        psi.Environment["GLOG_minloglevel"] = "2";
        psi.Environment["OMP_NUM_THREADS"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(limit);
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            return new CaseOutcome(-1, await stdout, await stderr, TimedOut: true);
        }
        return new CaseOutcome(p.ExitCode, await stdout, await stderr, TimedOut: false);
    }

    /// <summary>The CLI built beside the tests (the project reference copies it here).</summary>
    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "crystal-actors.dll");

    /// <summary>The policy's promises for one case; every broken one is listed in the failure.</summary>
    public static void AssertPolicy(CorpusCase c, CaseOutcome o, string dir)
    {
        var problems = new List<string>();
        if (o.TimedOut) problems.Add("did not finish within the time limit (a hang)");
        else
        {
            if (o.ExitCode != c.ExitCode) problems.Add($"exit code {o.ExitCode}, documented {c.ExitCode}");
            foreach (var (stream, text) in new[] { ("stderr", o.Stderr), ("stdout", o.Stdout) })
                if (c.Library is null && StackTrace().Match(text) is { Success: true } m) problems.Add($"a stack trace on {stream}: '{m.Value.Trim()}'");
            var lines = o.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var errorLines = lines.Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
            if (c.ExitCode == 2 && o.ExitCode == 2)
            {
                if (errorLines.Count != 1) problems.Add($"{errorLines.Count} 'error:' lines, documented one");
                else if (!errorLines[0].Contains(c.Names, StringComparison.Ordinal)) problems.Add($"the error line does not name '{c.Names}': {errorLines[0]}");
            }
            if (c.ExitCode == 0 && errorLines.Count > 0) problems.Add($"an error line on a run that succeeded: {errorLines[0]}");
            // Record faults are the lines that start with the input's path (file:line: ...).
            var faults = lines.Where(l => l.StartsWith(dir, StringComparison.Ordinal)).ToList();
            if (c.Library is null)
            {
                foreach (var f in faults.Where(f => !f.Contains(c.Names, StringComparison.Ordinal)))
                    problems.Add($"a record fault that does not name '{c.Names}': {f}");
                if (c.ExitCode == 0 && o.ExitCode == 0 && c.Errors is { } e)
                {
                    if (faults.Count != e) problems.Add($"{faults.Count} record faults on stderr, expected {e}");
                    if (Summary(o.Stdout, "errors") is { } reported && reported != e) problems.Add($"summary errors={reported}, expected {e}");
                }
                if (c.ExitCode == 0 && o.ExitCode == 0 && c.Ok is { } ok)
                {
                    if (Summary(o.Stdout, "ok") is not { } done) problems.Add("no 'ok=' in the summary on stdout");
                    else if (done != ok) problems.Add($"summary ok={done}, expected {ok} good records processed");
                    if (c.Output is { } output)
                    {
                        int rows = Rows(Path.Combine(dir, output));
                        if (rows != ok) problems.Add($"{output} holds {rows} rows, expected {ok}");
                    }
                }
            }
        }
        if (problems.Count > 0)
            Assert.Fail($"{c.Name}:\n  - {string.Join("\n  - ", problems)}\n--- stdout:\n{Tail(o.Stdout)}\n--- stderr:\n{Tail(o.Stderr)}");
    }

    /// <summary>Rows of an output file: CSV records after the header, or non-empty lines.</summary>
    public static int Rows(string path)
    {
        if (!File.Exists(path)) return -1;
        if (!path.EndsWith(".csv", StringComparison.Ordinal)) return File.ReadLines(path).Count(l => l.Length > 0);
        using var csv = CsvHelper.CsvReader.FromFile(path, CsvHelper.CsvReaderOptions.Default);
        int rows = 0;
        foreach (var _ in csv) rows++;
        return rows;
    }

    private static int? Summary(string stdout, string key) =>
        Regex.Match(stdout, $@"(?m)^[a-z -]+:.*\b{key}=(\d+)") is { Success: true } m ? int.Parse(m.Groups[1].Value) : null;

    private static string Tail(string text) => text.Length <= 3000 ? text : "..." + text[^3000..];

    /// <summary>A .NET stack frame or an exception's type dump ("System.Foo.BarException: ...").</summary>
    [GeneratedRegex(@"(?m)^\s+at [\w.<>`]+[.(]|\b[\w.]*Exception( \(0x[0-9A-Fa-f]+\))?: ")]
    private static partial Regex StackTrace();
}
