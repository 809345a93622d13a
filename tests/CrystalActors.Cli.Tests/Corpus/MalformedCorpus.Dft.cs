using System.Text;
using System.Text.Json.Nodes;
using CrystalActors.Campaign.Roles;
using CrystalActors.Cli.Commands;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Dft;
using CrystalActors.Dft.Caching;
using CrystalActors.Dft.Handlers;
using CrystalActors.Dft.Input;
using CrystalActors.Tests.Shared;

namespace CrystalActors.Cli.Tests.Corpus;

/// <summary>DFT inputs: pw.x outputs, result-cache lines, and the job payloads a DFT worker accepts or refuses.</summary>
public static partial class MalformedCorpus
{
    private static string QeOutput(string name) => File.ReadAllText(SharedData.File("reference", "qe", "outputs", name));

    private static readonly string[] RealOutputs =
        ["val_mp-22894_A.out", "val_mp-1186119_A.out", "val_mp-1217106_B_fixed.out", "val_mp-1186119_B_smear.out", "val_mp-753001_A.out", "val_mp-864640_A.out"];

    private static IEnumerable<CorpusCase> PwOutputs()
    {
        string ok = QeOutput("val_mp-22894_A.out");
        string failed = QeOutput("val_mp-1186119_A.out");
        string[] Parse(params string[] files) => ["dft", "parse", "--output", .. files.Select(In), "--out", In("out.jsonl")];

        // Damaged but still pw.x's: the parser reads what it can (a result with warnings), nothing to report.
        var damaged = new (string Name, string Text)[]
        {
            ("cut-at-10-percent", ok[..(ok.Length / 10)]),
            ("cut-at-half", ok[..(ok.Length / 2)]),
            ("cut-mid-energy-number", ok[..(ok.IndexOf("!    total energy", StringComparison.Ordinal) + 40)]),
            ("energy-fortran-overflow", ok.Replace("=   -1332.07383779 Ry", "= **************** Ry")),
            ("energy-nan", ok.Replace("=   -1332.07383779 Ry", "=              NaN Ry")),
            ("energy-infinity", ok.Replace("=   -1332.07383779 Ry", "=        -Infinity Ry")),
            ("homo-lumo-garbage", ok.Replace("4.8426    6.2190", "4.84x6    *******")),
            ("homo-lumo-nan", ok.Replace("4.8426    6.2190", "NaN    NaN")),
            ("iteration-number-overflow", ok.Replace("iteration #  6", "iteration #***")),
            ("band-count-overflow", ok.Replace("Kohn-Sham states=          256", "Kohn-Sham states=          ***")),
            ("electrons-garbage", ok.Replace("52.00", "5x.00")),
            ("error-block-unclosed", failed[..(failed.IndexOf("charge is wrong", StringComparison.Ordinal) + 20)]),
            ("error-code-not-a-number", failed.Replace("electrons (1)", "electrons (x)")),
            ("two-runs-appended", failed + ok),
            ("crlf-line-ends", ok.Replace("\n", "\r\n")),
            ("nul-bytes", ok.Replace("JOB DONE.", "JOB\0\0\0DONE.")),
            ("one-megabyte-line", ok.Replace("JOB DONE.", new string('=', 1 << 20) + "\n   JOB DONE.")),
            ("eigenvalues-run-together", ok.Replace("highest occupied", "  -5.1234-10.2345-11.0001\n     highest occupied")),
        };
        foreach (var (name, text) in damaged)
            yield return Cli("pwx", name, new Files().Add("bad.out", text).Add("a.out", ok).Add("b.out", failed), Parse("a.out", "bad.out", "b.out"),
                0, ok: 3, errors: 0, output: "out.jsonl", names: "bad.out");

        // Not a pw.x output: a bad record, the others read.
        var notOutputs = new (string Name, Func<byte[]> Content)[]
        {
            ("empty-file", () => []),
            ("binary-garbage", () => Enumerable.Range(0, 8192).Select(i => (byte)(i * 97 % 256)).ToArray()),
            ("pw-input-instead", () => File.ReadAllBytes(SharedData.File("reference", "qe", "outputs", "val_mp-22894_A.in"))),
            ("a-log-of-something-else", () => Encoding.UTF8.GetBytes("[12:00:00 INF] campaign started\n")),
        };
        foreach (var (name, content) in notOutputs)
            yield return Cli("pwx", name, new Files().Add("bad.out", content).Add("a.out", ok).Add("b.out", failed), Parse("a.out", "bad.out", "b.out"),
                0, ok: 2, errors: 1, output: "out.jsonl", names: "bad.out");
        yield return Cli("pwx", "missing-file", new Files().Add("a.out", ok).Add("b.out", failed), Parse("a.out", "gone.out", "b.out"),
            0, ok: 2, errors: 1, output: "out.jsonl", names: "gone.out");
        yield return Cli("pwx", "every-file-bad", new Files().Add("bad.out", "").Add("bad2.out", "x"), Parse("bad.out", "bad2.out"), 2, names: "bad");
        yield return Cli("pwx", "strict", new Files().Add("bad.out", "").Add("a.out", ok), [.. Parse("a.out", "bad.out"), "--strict"], 2);

        // The real outputs of the shared reference, every failure mode pw.x has there: all read.
        var real = new Files();
        foreach (var r in RealOutputs) real.Add(r, () => Encoding.UTF8.GetBytes(QeOutput(r)));
        yield return Cli("pwx", "real-outputs", real, Parse(RealOutputs), 0, ok: RealOutputs.Length, errors: 0, output: "out.jsonl");
    }

    /// <summary>Si (2 atoms, 5.43 Å) as the CIF that `dft run --cif` reads, and the result cache line that makes it a hit
    /// (so no pw.x runs): the cases break the other lines of the cache.</summary>
    private static (string Cif, string GoodLine) CachedSilicon()
    {
        var job = ClusterCommands.SiliconJob("si", 5.43, "corpus");
        var structure = DftJobExecutor.ParseStructure(DftJobExecutor.ParsePayload(job.Payload)).WithId("si");
        var cell = DftJobExecutor.ToCell(structure);
        string key = $"{StructureFingerprint.Compute(cell)}:{DftProtocol.Sssp.Hash}:h5";
        var path = Path.Combine(Path.GetTempPath(), $"corpus-cache-{Guid.NewGuid():N}.jsonl");
        try
        {
            new JsonLinesDftResultCache(path).Put(key, new DftResult
            {
                Formula = "Si", NumSites = 2, Protocol = "sssp", ProtocolHash = DftProtocol.Sssp.Hash, Fingerprint = key.Split(':')[0], Status = "ok",
                FailureClass = DftFailureClass.None, TotalEnergyRy = -19.2, BandGapEv = 0.6, ScfIterations = 7, Attempts = [],
            });
            return (CifWriter.Write(structure), File.ReadAllText(path).Trim());
        }
        finally { File.Delete(path); }
    }

    private static IEnumerable<CorpusCase> CacheLines()
    {
        // `dft run` builds its service first, and the service checks pw.x and mpirun: without Quantum ESPRESSO there is
        // nothing to run these through (the corpus test then asks for the other kinds only).
        if (!PwFactAttribute.Installed) yield break;
        var (cif, good) = CachedSilicon();
        string[] Run(params string[] extra) =>
            ["dft", "run", "--cif", In("si.cif"), "--cache", In("cache.jsonl"), "--protocol", "sssp", "--ranks", "1", "--out", In("out.jsonl"), .. extra];
        var bad = new (string Name, string Line)[]
        {
            ("torn-line", good[..(good.Length / 2)]),
            ("not-json", "not json at all"),
            ("json-array", "[1, 2]"),
            ("json-null", "null"),
            ("key-missing", Edit(good, o => o.Remove("Key"))),
            ("result-missing", Edit(good, o => o.Remove("Result"))),
            ("result-a-string", Edit(good, o => o["Result"] = "ok")),
            ("key-a-number", Edit(good, o => o["Key"] = 42)),
            ("failure-class-unknown", Edit(good, o => o["Result"]!["FailureClass"] = "Exploded")),
            ("energy-a-string", Edit(good, o => o["Result"]!["TotalEnergyRy"] = "-19.2")),
            ("nan-literal", good.Replace("-19.2", "NaN")),
            ("nul-bytes", "{\"Key\": \0}"),
            ("deep-nesting", new string('[', 3000) + new string(']', 3000)),
        };
        foreach (var (name, line) in bad)
            yield return Cli("cache", name, new Files().Add("cache.jsonl", Lines(line, good)).Add("si.cif", cif), Run(), 0, ok: 1, errors: 1, output: "out.jsonl");
        yield return Cli("cache", "blank-lines", new Files().Add("cache.jsonl", Lines("", good, "  ")).Add("si.cif", cif), Run(), 0, ok: 1, errors: 0, output: "out.jsonl");
        yield return Cli("cache", "strict", new Files().Add("cache.jsonl", Lines("{", good)).Add("si.cif", cif), Run("--strict"), 2);
        // The crystal's name reaches the progress display: markup in it is text, not a style.
        yield return Cli("cache", "crystal-name-with-markup", new Files().Add("si[red].cif", cif).Add("cache.jsonl", Lines(good)),
            ["dft", "run", "--cif", In("si[red].cif"), "--cache", In("cache.jsonl"), "--protocol", "sssp", "--ranks", "1", "--out", In("out.jsonl")],
            0, ok: 1, errors: 0, output: "out.jsonl");
        yield return Cli("cache", "cache-is-a-folder", new Files().Add("cache.jsonl/x", "").Add("si.cif", cif), Run(), 2, names: "cache.jsonl");
    }

    /// <summary>The payload of a tiny Si job, as `cluster submit` and the campaign coordinator write it.</summary>
    private static string GoodPayload => ClusterCommands.SiliconJob("si-0", 5.43, "corpus").Payload;

    private static CorpusCase PayloadCase(string name, string payload, int exit) => new()
    {
        Name = $"payload/{name}",
        Kind = "payload",
        Files = new Dictionary<string, Func<byte[]>>(),
        Library = _ => DftJobExecutor.Validate(payload, PseudopotentialLibrary.Open(SharedData.File("pseudo"))),
        ExitCode = exit,
        Names = "",
    };

    private static IEnumerable<CorpusCase> Payloads()
    {
        string good = GoodPayload;
        string structure = JsonNode.Parse(good)!["structure"]!.GetValue<string>();
        string WithStructure(Action<JsonObject> edit) => Edit(good, o => o["structure"] = Edit(structure, edit));
        string WithProtocol(Action<JsonObject> edit) => Edit(good, o => edit(o["protocol"]!.AsObject()));
        var refused = new (string Name, string Payload)[]
        {
            ("not-json", "not json"),
            ("json-array", "[]"),
            ("json-null", "null"),
            ("empty-object", "{}"),
            ("label-missing", Edit(good, o => o.Remove("label"))),
            ("structure-missing", Edit(good, o => o.Remove("structure"))),
            ("structure-a-number", Edit(good, o => o["structure"] = 42)),
            ("structure-not-json", Edit(good, o => o["structure"] = "{")),
            ("structure-json-null", Edit(good, o => o["structure"] = "null")),
            ("structure-without-coordinates", WithStructure(s => s.Remove("frac_coords"))),
            ("structure-unknown-element", WithStructure(s => s["species"] = JsonNode.Parse("[\"Si\", \"Xx\"]"))),
            ("structure-singular-lattice", WithStructure(s => s["lattice"] = JsonNode.Parse("[[0,0,0],[0,0,0],[0,0,0]]"))),
            ("element-without-pseudopotential", WithStructure(s => s["species"] = JsonNode.Parse("[\"Si\", \"Og\"]"))),
            ("protocol-missing", Edit(good, o => o.Remove("protocol"))),
            ("protocol-a-string", Edit(good, o => o["protocol"] = "sssp")),
            ("ecutwfc-huge", WithProtocol(p => p["EcutWfcRy"] = 1e9)),
            ("ecutwfc-negative", WithProtocol(p => p["EcutWfcRy"] = -30)),
            ("ecutwfc-a-string", WithProtocol(p => p["EcutWfcRy"] = "30")),
            ("ecutwfc-nan-literal", WithProtocol(p => p["EcutWfcRy"] = 1).Replace("\"EcutWfcRy\":1", "\"EcutWfcRy\":NaN")),
            ("kmesh-huge", WithProtocol(p => p["KPoints"] = JsonNode.Parse("{\"N1\": 1000, \"N2\": 1000, \"N3\": 1000}"))),
            ("kmesh-zero", WithProtocol(p => p["KPoints"] = JsonNode.Parse("{\"N1\": 0, \"N2\": 2, \"N3\": 2}"))),
            ("smearing-injection", WithProtocol(p => p["Smearing"] = "gaussian'\n/\n&SYSTEM nat=1")),
            ("degauss-negative", WithProtocol(p => p["DegaussRy"] = -0.01)),
            ("deep-nesting", new string('[', 3000) + new string(']', 3000)),
        };
        foreach (var (name, payload) in refused) yield return PayloadCase(name, payload, 2);
        yield return PayloadCase("good-control", good, 0);
        yield return PayloadCase("unknown-extra-field", Edit(good, o => o["priority"] = "high"), 0);
    }
}
