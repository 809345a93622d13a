using CrystalActors.Crystals.Validity;
using System.CommandLine;
using System.Globalization;
using CrystalActors.Crystals.Io;

namespace CrystalActors.Cli;

/// <summary>--strict and --record-timeout: the options of every batch command (one that reads records and works on each);
/// a command that uses the records as a whole (training, a fit) takes --strict alone.</summary>
internal sealed class BatchOptions
{
    private readonly bool _perRecordWork;

    public readonly Option<bool> Strict = new("--strict") { Description = "Stop at the first bad record (exit code 2) instead of reporting it and going on." };

    public readonly Option<double?> RecordTimeout = new("--record-timeout")
    {
        Description = "Seconds of work allowed per record: a record that takes longer is reported as 'timed out after N s' and skipped, "
                      + "and its work is abandoned (cancelled where it can be, such as a pw.x run). Batched model commands then compute one record per call.",
    };

    public BatchOptions(bool perRecordWork = true)
    {
        _perRecordWork = perRecordWork;
        RecordTimeout.Validators.Add(r =>
        {
            // Timers take at most int.MaxValue ms (24.8 days); a million seconds is far beyond any record.
            if (r.GetValue(RecordTimeout) is { } s && !(s > 0 && s <= 1e6))
                r.AddError($"--record-timeout must be between 0 and 1e6 seconds, got {s.ToString(CultureInfo.InvariantCulture)}");
        });
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Strict);
        if (_perRecordWork) command.Options.Add(RecordTimeout);
    }

    /// <summary>The error sink of one run of <paramref name="command"/>.</summary>
    public RecordErrors Start(ParseResult p, string command) =>
        new(command, p.GetValue(Strict), _perRecordWork && p.GetValue(RecordTimeout) is { } s ? TimeSpan.FromSeconds(s) : null);
}

/// <summary>
/// The record-level half of the error policy (README "Errors and exit codes"): a bad record is one line on stderr,
/// "FILE:LINE: record I (ID): field: reason" (the readers' <see cref="CrystalFormatException"/> lines have this form), it is
/// counted, and the batch goes on; the summary line on stdout carries <c>errors=N</c>. With --strict the first one ends
/// the command (exit 2). A batch whose every record was bad ends as a file-level fault (exit 2).
/// </summary>
public sealed class RecordErrors(string command, bool strict = false, TimeSpan? recordTimeout = null)
{
    private int _count;

    /// <summary>Bad records so far.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Work allowed per record; null: unbounded.</summary>
    public TimeSpan? RecordTimeout => recordTimeout;

    /// <summary>Reports one bad record (a complete message naming file, line or record, and field).</summary>
    /// <exception cref="RecordFaultStop">with --strict.</exception>
    public void Report(string fault)
    {
        Interlocked.Increment(ref _count);
        if (strict) throw new RecordFaultStop(fault);
        Console.Error.WriteLine(fault);
    }

    /// <summary>A reader's bad record (its message is already "file:line: reason").</summary>
    public void Report(CrystalFormatException e) => Report(e.Message);

    /// <summary>Where a record is, for messages: "FILE:LINE: record INDEX (ID)".</summary>
    public static string Where(string file, Mp20Record r) =>
        r.Line is { } line ? $"{file}:{line}: record {r.Index} ({r.MaterialId})" : $"{file}: record {r.Index} ({r.MaterialId})";

    /// <summary>Whether a record has coordinates; one without (the MP-20 train "nocoords" form) is reported, for the work
    /// that needs a structure.</summary>
    public bool HasCoordinates(string file, Mp20Record r)
    {
        if (r.Structure is not null) return true;
        Report($"{Where(file, r)}: frac_coords: the record has no coordinates");
        return false;
    }

    /// <summary>Whether a record has a structure fit for physics (gaps, energies, DFT): coordinates, not too many sites and
    /// no overlapping atoms (<see cref="PhysicalSanity"/>); one that is not is reported.</summary>
    public bool IsFitForPhysics(string file, Mp20Record r)
    {
        if (!HasCoordinates(file, r)) return false;
        string? unfit;
        try { unfit = PhysicalSanity.Check(r.Structure!); }
        catch (ArgumentException e) { unfit = e.Message; }
        if (unfit is null) return true;
        Report($"{Where(file, r)}: structure: {unfit}");
        return false;
    }

    /// <summary>
    /// One record's work (<paramref name="what"/> names it in messages). A fault of the record — bad input, a computation
    /// that refuses or fails on it — or running past <see cref="RecordTimeout"/> is reported and gives null; a defect
    /// (any other exception) propagates. A timed-out work is abandoned: its token is cancelled and nothing waits for it.
    /// </summary>
    public T? Run<T>(string where, string what, Func<CancellationToken, T> work) where T : class
    {
        try
        {
            if (recordTimeout is not { } limit) return work(CancellationToken.None);
            var cts = new CancellationTokenSource();
            // A thread of its own: the caller blocks a pool thread in Wait, and under load a pool task may not even start
            // within the limit (every record then "timed out" without having run).
            var task = Task.Factory.StartNew(() => work(cts.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            if (task.Wait(limit)) return task.Result;
            cts.Cancel();
            _ = task.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted); // observed: it may fail after we left
            Report($"{where}: {what}: timed out after {Seconds(limit)} s");
            return null;
        }
        catch (Exception e) when (IsRecordFault(Cli.Unwrap(e)))
        {
            Report($"{where}: {what}: {Cli.Unwrap(e).Message.ReplaceLineEndings(" ")}");
            return null;
        }
        catch (AggregateException e)
        {
            // Task.Wait wraps what the work threw; the caller sees the fault itself.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(Cli.Unwrap(e)).Throw();
            throw;
        }
    }

    /// <summary>
    /// Batched work (a model's forward pass over many crystals): each chunk in one call; a chunk whose call fails on a
    /// record fault is redone one record at a time, so a bad record costs only its own result. With a record timeout every
    /// record is its own chunk (the timeout bounds one record's work). Gives the records that succeeded, in order.
    /// </summary>
    public List<(TRecord Record, TResult Result)> RunChunked<TRecord, TResult>(IReadOnlyList<TRecord> records, int chunkSize,
        Func<TRecord, string> where, string what, Func<TRecord[], TResult[]> work)
    {
        var done = new List<(TRecord, TResult)>(records.Count);
        foreach (var chunk in records.Chunk(recordTimeout is null ? Math.Max(1, chunkSize) : 1))
        {
            if (chunk.Length > 1)
            {
                try
                {
                    done.AddRange(chunk.Zip(work(chunk)));
                    continue;
                }
                catch (Exception e) when (IsRecordFault(e)) { } // one record spoils the batch: find it below
            }
            foreach (var r in chunk)
                if (Run(where(r), what, _ => work([r])) is [var result]) done.Add((r, result));
        }
        return done;
    }

    /// <summary>As <see cref="Run{T}"/> for asynchronous work, which the timeout cancels through its token (a pw.x run is
    /// killed); a result that came back after the timeout fired is discarded.</summary>
    public async Task<T?> RunAsync<T>(string where, string what, Func<CancellationToken, Task<T>> work, CancellationToken ct) where T : class
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (recordTimeout is { } limit) cts.CancelAfter(limit);
        bool TimedOut() => cts.IsCancellationRequested && !ct.IsCancellationRequested;
        try
        {
            var result = await work(cts.Token).ConfigureAwait(false);
            if (!TimedOut()) return result;
        }
        catch (OperationCanceledException) when (TimedOut()) { }
        catch (Exception e) when (IsRecordFault(e))
        {
            Report($"{where}: {what}: {e.Message.ReplaceLineEndings(" ")}");
            return null;
        }
        Report($"{where}: {what}: timed out after {Seconds(recordTimeout!.Value)} s");
        return null;
    }

    /// <summary>
    /// Ends the batch with its summary line on stdout: "COMMAND: ok=N errors=E [key=value ...]". A batch that had records
    /// but could use none of them is a file-level fault.
    /// </summary>
    /// <exception cref="InvalidDataException">no record of <paramref name="input"/> could be used.</exception>
    public void Finish(string input, int ok, params (string Key, object? Value)[] extra)
    {
        var more = string.Concat(extra.Select(kv => string.Create(CultureInfo.InvariantCulture, $" {kv.Key}={kv.Value}")));
        Console.Out.WriteLine($"{command}: ok={ok} errors={Count}{more}");
        if (ok == 0 && Count > 0) throw new InvalidDataException($"{input}: none of its records could be used ({Count} bad, reported above)");
    }

    /// <summary>A record's own fault: its data is refused or its computation fails on it (spglib gives up, a cell a model
    /// cannot take). Null dereferences and the like are defects, not record faults.</summary>
    private static bool IsRecordFault(Exception e) =>
        e is not RecordFaultStop && (Cli.IsInputFault(e) || e is InvalidOperationException or ArithmeticException);

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}

/// <summary>--strict: the first bad record ends the command (exit 2); the message is that record's fault.</summary>
public sealed class RecordFaultStop(string fault) : Exception($"{fault} (--strict: stopped at the first bad record)");
