using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrystalActors.Runtime.Messages;

namespace CrystalActors.Cli.Tests.Corpus;

/// <summary>Configs (campaign and metal-cluster runs), run folders and wire messages: a bad config stops the command before any work.</summary>
public static partial class MalformedCorpus
{
    /// <summary>The checkout's cluster-config/ (the real configs are the starting point of each case).</summary>
    private static string ConfigFile(string name)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "cluster-config", name))) return Path.Combine(d.FullName, "cluster-config", name);
        throw new FileNotFoundException($"cluster-config/{name} not found above {AppContext.BaseDirectory}");
    }

    private static readonly JsonDocumentOptions WithComments = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private static string EditConfig(string file, Action<JsonObject> edit)
    {
        var o = JsonNode.Parse(File.ReadAllText(ConfigFile(file)), documentOptions: WithComments)!.AsObject();
        edit(o);
        return o.ToJsonString();
    }

    private static IEnumerable<CorpusCase> Configs()
    {
        string C(Action<JsonObject> edit) => EditConfig("campaign-smoke.json", edit);
        string[] Optimum() => ["campaign", "optimum", "--config", In("campaign.json")];
        var campaign = new (string Name, string Text)[]
        {
            ("empty-file", ""),
            ("not-json", "name: smoke"),
            ("json-array", "[]"),
            ("json-null", "null"),
            ("deep-nesting", new string('[', 3000) + new string(']', 3000)),
            ("unknown-key", C(o => o["epsiode"] = 5)),
            ("name-empty", C(o => o["name"] = "")),
            ("name-a-path", C(o => o["name"] = "../../outside")),
            ("target-gap-negative", C(o => o["target_gap_ev"] = -1)),
            ("target-gap-a-string", C(o => o["target_gap_ev"] = "1.12")),
            ("target-gap-overflow", C(o => o["target_gap_ev"] = 1).Replace("\"target_gap_ev\":1", "\"target_gap_ev\":1e400")),
            ("episodes-zero", C(o => o["episodes"] = 0)),
            ("episodes-overflow", C(o => o["episodes"] = 1e30)),
            ("epsilon-above-one", C(o => o["epsilon"]!["start"] = 2.0)),
            ("epsilon-a-number", C(o => o["epsilon"] = 5)),
            ("vocabulary-unknown-element", C(o => o["vocabulary"] = new JsonArray("Li", "Xx"))),
            ("dft-cutoff-huge", C(o => o["dft"]!["ecut_wfc_ry"] = 1e9)),
            ("dft-ranks-zero", C(o => o["dft"]!["mpi_ranks"] = 0)),
            ("relax-fmax-zero", C(o => o["relax"]!["fmax"] = 0)),
            ("dft-budget-negative", C(o => o["dft_budget"] = -1)),
            ("skeleton-ids-a-string", C(o => o["skeleton"]!["material_ids"] = "mp-8041")),
        };
        foreach (var (name, text) in campaign)
            yield return Cli("config", $"campaign/{name}", Files.Of("campaign.json", text), Optimum(), 2);

        // What the config points at: the message names that file.
        yield return Cli("config", "campaign/skeleton-file-missing", Files.Of("campaign.json", C(o => o["skeleton"] = JsonNode.Parse("{\"data\": \"absent.cif\", \"material_ids\": []}"))),
            Optimum(), 2, names: "absent.cif");
        yield return Cli("config", "campaign/skeleton-file-malformed", new Files().Add("campaign.json", C(o => o["skeleton"] = JsonNode.Parse("{\"data\": \"bad.cif\", \"material_ids\": []}")))
            .Add("bad.cif", "data_x\n_cell_length_a 'unterminated\n"), Optimum(), 2, names: "bad.cif");
        yield return Cli("config", "campaign/skeleton-id-not-in-data", Files.Of("campaign.json", C(o => o["skeleton"]!["material_ids"] = new JsonArray("mp-nope"))),
            Optimum(), 2, names: "mp-nope");
        yield return Cli("config", "campaign/reward-weights-corrupt", new Files()
            .Add("campaign.json", C(o => o["reward_model"]!["weights"] = "bad.safetensors")).Add("bad.safetensors", "not weights"), Optimum(), 2, names: "bad.safetensors");
        yield return Cli("config", "campaign/missing-file", Files.Of("other.json", "{}"), Optimum(), 2, names: "campaign.json");
        yield return Cli("config", "campaign/audit-not-json", Files.Of("campaign.json", "{"), ["campaign", "audit", "--config", In("campaign.json")], 2);
        yield return Cli("config", "campaign/run-not-json", Files.Of("campaign.json", "{"), ["campaign", "run", "--config", In("campaign.json")], 2);

        string L(Action<JsonObject> edit) => EditConfig("clusters-lj-smoke.json", o =>
        {
            o["seed_xyz"] = ConfigFile(Path.Combine("clusters", "LJ12-sigma2.5.xyz"));
            o["output_root"] = "runs";
            edit(o);
        });
        string[] ClusterRun() => ["clusters", "run", "--config", In("clusters.json")];
        var clusters = new (string Name, string Text)[]
        {
            ("empty-file", ""),
            ("not-json", "{ bag: Ga }"),
            ("json-array", "[]"),
            ("unknown-key", L(o => o["budjet"] = 5)),
            ("bag-unknown-element", L(o => o["bag"] = JsonNode.Parse("{\"Xx\": 1}"))),
            ("bag-negative", L(o => o["bag"] = JsonNode.Parse("{\"Ga\": -1}"))),
            ("bag-empty", L(o => o["bag"] = new JsonObject())),
            ("budget-zero", L(o => o["budget"] = 0)),
            ("potential-unknown", L(o => o["potential"]!["kind"] = "magic")),
            ("sigma-negative", L(o => o["potential"]!["sigma"] = -2.5)),
            ("relax-steps-negative", L(o => o["relax"]!["steps"] = -5)),
            ("seed-file-missing", L(o => o["seed_xyz"] = "absent.xyz")),
        };
        foreach (var (name, text) in clusters)
            yield return Cli("config", $"clusters/{name}", Files.Of("clusters.json", text), ClusterRun(), 2, names: name == "seed-file-missing" ? "absent.xyz" : "clusters.json");
        var seeds = new (string Name, string Xyz)[]
        {
            ("seed-xyz-empty", ""),
            ("seed-xyz-count-lies", "12\ncomment\nGa 0 0 0\nGa 1 0 0\n"),
            ("seed-xyz-nan", "2\ncomment\nGa 0 0 0\nGa NaN 0 0\n"),
            ("seed-xyz-unknown-element", "2\ncomment\nGa 0 0 0\nXx 2.5 0 0\n"),
            ("seed-xyz-count-text", "two\ncomment\nGa 0 0 0\nGa 2.5 0 0\n"),
        };
        foreach (var (name, xyz) in seeds)
            yield return Cli("config", $"clusters/{name}", new Files().Add("seed.xyz", xyz).Add("clusters.json", L(o => o["seed_xyz"] = "seed.xyz")), ClusterRun(), 2);
    }

    /// <summary>Run folders `report` reads: one that is no run is one line naming it.</summary>
    private static IEnumerable<CorpusCase> RunFolders()
    {
        string[] Report(string folder) => ["report", "--run", In(folder)];
        yield return Cli("runfolder", "empty-folder", Files.Of("run/notes.txt", "nothing here"), Report("run"), 2, names: "run");
        yield return Cli("runfolder", "missing-folder", Files.Of("other/notes.txt", ""), Report("run"), 2, names: "run");
        yield return Cli("runfolder", "report-json-garbage", new Files().Add("run/report.json", "{ not json").Add("run/config.json", "{}"), Report("run"), 0);
        yield return Cli("runfolder", "scalars-garbage", Files.Of("run/scalars.csv", "wall_time,step,tag,value\nx,y,z\n\u0000\u0001,,\n1e999,NaN,loss,abc\n"), Report("run"), 0);
        yield return Cli("runfolder", "offline-options-garbage", new Files().Add("run/options.json", "[1, 2").Add("run/scalars.csv", "step,loss\nfoo,bar\n"), Report("run"), 0);
    }

    /// <summary>Every message contract the serializer decodes, by manifest.</summary>
    private static IEnumerable<string> Manifests() =>
        new[] { typeof(IWireMessage).Assembly, typeof(Campaign.CampaignOptions).Assembly }
            .SelectMany(a => a.GetTypes())
            .Select(t => t.GetCustomAttribute<MessageContractAttribute>()?.Manifest)
            .OfType<string>().Order(StringComparer.Ordinal);

    private static CorpusCase Wire(string name, byte[] bytes, string manifest) => new()
    {
        Name = $"wire/{name}",
        Kind = "wire",
        Files = new Dictionary<string, Func<byte[]>>(),
        Library = _ => WireSerializer.Decode(bytes, manifest),
        ExitCode = 2,
        Names = manifest,
    };

    private static IEnumerable<CorpusCase> WireMessages()
    {
        // A frame a peer of another build, a broken link or an attacker could send: dropped with a SerializationException
        // naming the manifest (Akka.Remote logs it and keeps the association), never any other fault.
        foreach (var m in Manifests())
        {
            yield return Wire($"{m}/truncated", Encoding.UTF8.GetBytes("{\"jobId\": \"j1\", \"payload\": \"{\\\"stru"), m);
            yield return Wire($"{m}/wrong-kind", Encoding.UTF8.GetBytes("\"a string, not an object\""), m);
        }
        yield return Wire("unknown-manifest", Encoding.UTF8.GetBytes("{}"), "farm.submit.v99");
        yield return Wire("empty-frame", [], "farm.submit.v1");
        yield return Wire("json-null", Encoding.UTF8.GetBytes("null"), "farm.submit.v1");
        yield return Wire("invalid-utf8", [.. "{\"jobId\": \""u8, 0xC3, 0x28, .. "\"}"u8], "farm.submit.v1");
        yield return Wire("deep-nesting", Encoding.UTF8.GetBytes(new string('[', 3000) + new string(']', 3000)), "farm.submit.v1");
        yield return Wire("stages-a-number", Encoding.UTF8.GetBytes("{\"jobId\": \"j\", \"payload\": \"p\", \"stages\": 5, \"requestedBy\": \"x\"}"), "farm.submit.v1");
        yield return Wire("number-overflow", Encoding.UTF8.GetBytes("{\"jobId\": \"j\", \"epoch\": 99999999999999999999}"), "farm.failed.v1");
    }
}
