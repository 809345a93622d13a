using Spectre.Console;

namespace CrystalActors.Bench;

/// <summary>
/// Benchmarks print a table for people and one <c>name key=value value=X</c> line per figure
/// for scripts (grep-able, stable names).
/// </summary>
public sealed class BenchTable
{
    private readonly Table _table;
    private readonly List<string> _lines = new();

    public BenchTable(string title, params string[] columns)
    {
        _table = new Table { Title = new TableTitle(title) };
        foreach (var c in columns) _table.AddColumn(c);
    }

    public void Add(string metric, string parameters, double value, string unit)
    {
        _table.AddRow(metric, parameters, value.ToString("G4"), unit);
        _lines.Add($"{metric} {parameters} value={value:G6}".Replace("  ", " "));
    }

    public void Print()
    {
        AnsiConsole.Write(_table);
        foreach (var line in _lines) Console.WriteLine(line);
    }

    /// <summary>
    /// Runs <paramref name="action"/> repeatedly for about <paramref name="seconds"/> after warm-up; returns calls per
    /// second as 1 / median call time, so a stray slow call (another process, a GC) does not move the figure.
    /// </summary>
    public static double Rate(Action action, double seconds = 2.0, int warmup = 3)
    {
        // BENCH_TRACE=1 prints each timed call and the working set (to see warm-up and allocator effects).
        bool trace = Environment.GetEnvironmentVariable("BENCH_TRACE") == "1";
        for (int i = 0; i < warmup; i++) action();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var times = new List<double>();
        while (sw.Elapsed.TotalSeconds < seconds || times.Count < 3)
        {
            var t0 = sw.Elapsed.TotalSeconds;
            action();
            times.Add(sw.Elapsed.TotalSeconds - t0);
            if (trace) Console.Error.WriteLine($"  call {times.Count}: {times[^1] * 1000:F0} ms, rss {Environment.WorkingSet >> 20} MB");
        }
        return 1.0 / Median(times);
    }

    public static double Median(List<double> xs)
    {
        var s = xs.OrderBy(x => x).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }
}
