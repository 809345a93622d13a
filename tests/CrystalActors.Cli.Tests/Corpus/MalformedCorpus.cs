using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;

namespace CrystalActors.Cli.Tests.Corpus;

/// <summary>
/// The malformed-input corpus (issue #19): generated cases, mostly a bad record between good ones, for every input the
/// system reads — crystal files (MP-20 JSONL, CSV with CIF, CIF, POSCAR), weights (safetensors), pw.x outputs, DFT cache
/// lines, campaign and cluster configs, run folders, farm payloads and wire messages — each with the outcome the error policy promises.
/// One partial file per family.
/// </summary>
public static partial class MalformedCorpus
{
    private static readonly Lazy<IReadOnlyList<CorpusCase>> Cases = new(() =>
    {
        var all = Jsonl().Concat(Csv()).Concat(Cif()).Concat(Poscar()).Concat(SafeTensorFiles()).Concat(PwOutputs())
            .Concat(CacheLines()).Concat(Configs()).Concat(RunFolders()).Concat(Payloads()).Concat(WireMessages()).ToList();
        var duplicate = all.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"corpus case name '{duplicate.Key}' is used twice");
        return all;
    });

    public static IReadOnlyList<CorpusCase> All => Cases.Value;

    public static CorpusCase Get(string name) => All.Single(c => c.Name == name);

    private const string Dir = CorpusCase.Dir;

    // ---- building blocks -------------------------------------------------------------------------------------------

    /// <summary>A case run through the CLI.</summary>
    private static CorpusCase Cli(string kind, string name, Files files, string[] args, int exit, int? ok = null, int? errors = null,
        string? output = null, string? names = null) => new()
    {
        Name = $"{kind}/{name}",
        Kind = kind,
        Files = files.Build(),
        Args = args,
        ExitCode = exit,
        Ok = ok,
        Errors = errors,
        Output = output,
        Names = names ?? files.First,
    };

    /// <summary>The files of a case, in order; the first is the input the fault messages must name.</summary>
    private sealed class Files
    {
        private readonly List<(string Name, Func<byte[]> Content)> _files = [];

        public string First => _files[0].Name;

        public Files Add(string name, string text) => Add(name, () => Encoding.UTF8.GetBytes(text));

        public Files Add(string name, Func<byte[]> content)
        {
            _files.Add((name, content));
            return this;
        }

        public IReadOnlyDictionary<string, Func<byte[]>> Build() => _files.ToDictionary(f => f.Name, f => f.Content);

        public static Files Of(string name, string text) => new Files().Add(name, text);

        public static Files Of(string name, Func<byte[]> content) => new Files().Add(name, content);
    }

    private static string In(string file) => $"{Dir}/{file}";

    private static string[] Validity(string file) => ["structure", "validity", "--data", In(file), "--out", In("out.csv")];

    private static byte[] Gzip(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(raw);
        return ms.ToArray();
    }

    private static string Lines(params string[] lines) => string.Join("\n", lines) + "\n";

    /// <summary>A JSON object line with one edit applied.</summary>
    private static string Edit(string line, Action<JsonObject> edit)
    {
        var o = JsonNode.Parse(line)!.AsObject();
        edit(o);
        return o.ToJsonString();
    }

    /// <summary>The first lines of a gzipped text file of the shared data.</summary>
    private static string[] Head(string gz, int n)
    {
        using var reader = new StreamReader(new GZipStream(File.OpenRead(gz), CompressionMode.Decompress));
        var lines = new List<string>();
        for (int i = 0; i < n && reader.ReadLine() is { } line; i++) lines.Add(line);
        return [.. lines];
    }
}
