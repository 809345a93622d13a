using System.Collections.Concurrent;
using System.Text.Json;

namespace CrystalActors.Dft.Caching;

/// <summary>Results of finished DFT jobs keyed by structure fingerprint + protocol hash.</summary>
public interface IDftResultCache
{
    bool TryGet(string key, out DftResult result);
    void Put(string key, DftResult result);
    int Count { get; }
}

/// <summary>Process-local cache.</summary>
public sealed class InMemoryDftResultCache : IDftResultCache
{
    private readonly ConcurrentDictionary<string, DftResult> _results = new(StringComparer.Ordinal);

    public bool TryGet(string key, out DftResult result) => _results.TryGetValue(key, out result!);

    public void Put(string key, DftResult result) => _results[key] = result;

    public int Count => _results.Count;
}

/// <summary>
/// A cache persisted as JSON lines ({"key":..., "result":...}), appended as results arrive, so that a campaign
/// restarted from the same file never repeats a calculation. Later lines win. Pw.x output text is not stored
/// (inputs and per-attempt summaries are).
/// </summary>
public sealed class JsonLinesDftResultCache : IDftResultCache
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };
    private readonly Dictionary<string, DftResult> _results = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <param name="onBadLine">Where an unreadable line goes ("path:line: reason"); default: a logged warning.</param>
    public JsonLinesDftResultCache(string path, Action<string>? onBadLine = null)
    {
        onBadLine ??= fault => Serilog.Log.Warning("skipped unreadable cache entry: {Fault}", fault);
        Path = System.IO.Path.GetFullPath(path);
        // Checked now: a folder of that name would otherwise surface at the first Put, after a pw.x run.
        if (Directory.Exists(Path)) throw new IOException($"{Path}: is a folder, not a result cache file");
        if (!File.Exists(Path)) return;
        int lineNo = 0;
        foreach (var line in File.ReadLines(Path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                var entry = JsonSerializer.Deserialize<Entry>(line, Json)
                            ?? throw new JsonException("null entry");
                if (entry.Key is null || entry.Result is null) throw new JsonException("an entry needs a \"Key\" and a \"Result\"");
                _results[entry.Key] = entry.Result;
            }
            catch (JsonException e)
            {
                // A line torn by a crash mid-append is skipped, not fatal: the job is simply recomputed.
                onBadLine($"{Path}:{lineNo}: {e.Message}");
            }
        }
    }

    public string Path { get; }

    public int Count
    {
        get { lock (_gate) return _results.Count; }
    }

    public bool TryGet(string key, out DftResult result)
    {
        lock (_gate) return _results.TryGetValue(key, out result!);
    }

    public void Put(string key, DftResult result)
    {
        var stored = result.WithoutOutputText();
        lock (_gate)
        {
            _results[key] = stored;
            string? dir = System.IO.Path.GetDirectoryName(Path);
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            File.AppendAllText(Path, JsonSerializer.Serialize(new Entry(key, stored), Json) + "\n");
        }
    }

    private sealed record Entry(string Key, DftResult Result);
}
