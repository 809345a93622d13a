using CrystalActors.Crystals.Io;

namespace CrystalActors.Cli.Tests;

/// <summary>The error policy's pieces on their own: how a fault that ends a command is reported, and how a record's is.</summary>
public sealed class CliErrorPolicyTests
{
    /// <summary>Runs <paramref name="action"/> with stderr captured (the console is the process's: the corpus classes run
    /// one at a time).</summary>
    private static string CaptureStderr(Action action)
    {
        var old = Console.Error;
        var err = new StringWriter();
        Console.SetError(err);
        try { action(); }
        finally { Console.SetError(old); }
        return err.ToString();
    }

    [Fact]
    public void Report_UnexpectedFault_OneLineNamingTheLogFileWithTheTrace_Exit1()
    {
        int code = 0;
        Exception fault;
        try { throw new NullReferenceException("a defect"); }
        catch (Exception e) { fault = e; }
        string stderr = CaptureStderr(() => code = Cli.Report(new AggregateException(fault)));

        Assert.Equal(Cli.ExitUnexpected, code);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var m = System.Text.RegularExpressions.Regex.Match(line, @"^error: a defect \(details in (.+\.log)\)$");
        Assert.True(m.Success, line);
        string log = File.ReadAllText(m.Groups[1].Value);
        Assert.Contains("NullReferenceException", log);
        Assert.Contains(nameof(Report_UnexpectedFault_OneLineNamingTheLogFileWithTheTrace_Exit1), log); // the trace is in the file
        File.Delete(m.Groups[1].Value);
    }

    [Fact]
    public void Report_InputFault_OneLineWithoutTrace_Exit2()
    {
        int code = 0;
        string stderr = CaptureStderr(() => code = Cli.Report(new CrystalFormatException("x.cif", 3, "unknown element 'Xx'")));
        Assert.Equal(Cli.ExitInput, code);
        Assert.Equal("error: x.cif:3: unknown element 'Xx'", stderr.Trim());
    }

    [Fact]
    public void Run_RecordFaultAndTimeout_ReportedAndCounted_OthersDone()
    {
        var errors = new RecordErrors("test", strict: false, recordTimeout: TimeSpan.FromMilliseconds(200));
        string? slow = null, bad = null, good = null;
        string stderr = CaptureStderr(() =>
        {
            slow = errors.Run("f:1: record 0 (a)", "work", ct => { Task.Delay(5000, ct).Wait(ct); return "late"; });
            bad = errors.Run<string>("f:2: record 1 (b)", "work", _ => throw new ArgumentException("refused"));
            good = errors.Run("f:3: record 2 (c)", "work", _ => "done");
        });
        Assert.Null(slow);
        Assert.Null(bad);
        Assert.Equal("done", good);
        Assert.Equal(2, errors.Count);
        Assert.Equal(["f:1: record 0 (a): work: timed out after 0.2 s", "f:2: record 1 (b): work: refused"],
            stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void Run_Defect_IsNotARecordFault()
    {
        var errors = new RecordErrors("test");
        Assert.Throws<NullReferenceException>(() => errors.Run<string>("f:1", "work", _ => throw new NullReferenceException()));
        Assert.Equal(0, errors.Count);
    }

    [Fact]
    public void Report_Strict_StopsAtTheFirstRecordFault()
    {
        var errors = new RecordErrors("test", strict: true);
        var stop = Assert.Throws<RecordFaultStop>(() => errors.Report("f:7: record 3 (x): lattice: singular"));
        Assert.StartsWith("f:7: record 3 (x): lattice: singular", stop.Message);
        Assert.True(Cli.IsInputFault(stop));
    }

    [Fact]
    public void RunChunked_ABadRecordSpoilsOnlyItself()
    {
        var errors = new RecordErrors("test");
        int[] records = [1, 2, -3, 4, 5];
        int calls = 0;
        List<(int Record, int Result)>? done = null;
        string stderr = CaptureStderr(() => done = errors.RunChunked(records, 5, r => $"f: record {r}", "square", chunk =>
        {
            calls++;
            if (chunk.Any(r => r < 0)) throw new ArgumentException("negative");
            return chunk.Select(r => r * r).ToArray();
        }));
        Assert.Equal([(1, 1), (2, 4), (4, 16), (5, 25)], done);
        Assert.Equal(1, errors.Count);
        Assert.Equal(6, calls); // the batch, then one call per record
        Assert.Equal("f: record -3: square: negative", stderr.Trim());
    }
}
