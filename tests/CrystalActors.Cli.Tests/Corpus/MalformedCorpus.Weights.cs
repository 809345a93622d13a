using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace CrystalActors.Cli.Tests.Corpus;

/// <summary>Weight files (safetensors): every fault is file-level, one line naming the file, before any crystal is computed.</summary>
public static partial class MalformedCorpus
{
    private const string Node = "model.embedding.layer_node_embedding.weight";

    /// <summary>A copy of a real weight file with its header (and data section) edited; the header length follows the edit.</summary>
    private static Func<byte[]> Weights(string source, Action<JsonObject>? header = null, Func<JsonObject, byte[], byte[]>? data = null) => () =>
    {
        var file = File.ReadAllBytes(source);
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        var h = JsonNode.Parse(file.AsSpan(8, n))!.AsObject();
        var body = file[(8 + n)..];
        header?.Invoke(h);
        if (data is not null) body = data(h, body);
        var json = Encoding.UTF8.GetBytes(h.ToJsonString());
        var result = new byte[8 + json.Length + body.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)json.Length);
        json.CopyTo(result, 8);
        body.CopyTo(result, 8 + json.Length);
        return result;
    };

    /// <summary>Sets float number <paramref name="k"/> of a tensor in the data section.</summary>
    private static Func<JsonObject, byte[], byte[]> SetFloat(string tensor, int k, float value) => (h, body) =>
    {
        long begin = h[tensor]!["data_offsets"]![0]!.GetValue<long>();
        BinaryPrimitives.WriteSingleLittleEndian(body.AsSpan((int)begin + 4 * k), value);
        return body;
    };

    private static Func<byte[]> Raw(byte[] bytes) => () => bytes;

    private static Func<byte[]> HeaderOnly(ulong length, string json) => () =>
    {
        var j = Encoding.UTF8.GetBytes(json);
        var b = new byte[8 + j.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(b, length);
        j.CopyTo(b, 8);
        return b;
    };

    private static IEnumerable<CorpusCase> SafeTensorFiles()
    {
        string m3 = M3gnetWeights, meg = MegnetWeights;
        var good = Lines(Good);
        string[] Eval() => ["potential", "eval", "--weights", In("bad.safetensors"), "--data", In("data.jsonl"), "--out", In("out.jsonl")];
        string[] Predict() => ["reward", "predict", "--weights", In("bad.safetensors"), "--data", In("data.jsonl"), "--out", In("out.csv")];

        var m3Cases = new (string Name, Func<byte[]> File)[]
        {
            ("empty", Raw([])),
            ("four-bytes", Raw([1, 2, 3, 4])),
            ("header-longer-than-file", HeaderOnly(1 << 20, "{}")),
            ("header-length-2^63", HeaderOnly(1UL << 63, "{}")),
            ("header-length-zero", HeaderOnly(0, "")),
            ("header-not-json", HeaderOnly(8, "{{{{{{{{")),
            ("header-json-array", HeaderOnly(5, "[1,2]")),
            ("header-json-null", HeaderOnly(4, "null")),
            ("header-invalid-utf8", () => { var b = HeaderOnly(4, "{\"a\"")(); b[9] = 0xFF; return b; }),
            ("tensor-description-a-string", Weights(m3, h => h[Node] = "weights")),
            ("dtype-missing", Weights(m3, h => h[Node]!.AsObject().Remove("dtype"))),
            ("dtype-f16", Weights(m3, h => h[Node]!["dtype"] = "F16")),
            ("dtype-bf16", Weights(m3, h => h[Node]!["dtype"] = "BF16")),
            ("dtype-unknown", Weights(m3, h => h[Node]!["dtype"] = "Q4_K")),
            ("dtype-a-number", Weights(m3, h => h[Node]!["dtype"] = 7)),
            ("dtype-i64-for-floats", Weights(m3, h => h[Node]!["dtype"] = "I64")),
            ("shape-missing", Weights(m3, h => h[Node]!.AsObject().Remove("shape"))),
            ("shape-fraction", Weights(m3, h => h[Node]!["shape"] = new JsonArray(89.5, 64))),
            ("shape-negative-pair", Weights(m3, h => h[Node]!["shape"] = new JsonArray(-(h[Node]!["shape"]![0]!.GetValue<long>()), -(h[Node]!["shape"]![1]!.GetValue<long>())))),
            ("shape-transposed", Weights(m3, h => h[Node]!["shape"] = new JsonArray(h[Node]!["shape"]![1]!.GetValue<long>(), h[Node]!["shape"]![0]!.GetValue<long>()))),
            ("shape-overflows-to-zero-bytes", Weights(m3, h =>
            {
                long begin = h[Node]!["data_offsets"]![0]!.GetValue<long>();
                h[Node]!["shape"] = new JsonArray(1L << 62, 4);
                h[Node]!["data_offsets"] = new JsonArray(begin, begin);
            })),
            ("offsets-missing", Weights(m3, h => h[Node]!.AsObject().Remove("data_offsets"))),
            ("offsets-beyond-data", Weights(m3, h => h[Node]!["data_offsets"] = new JsonArray(1L << 40, (1L << 40) + 22784))),
            ("offsets-reversed", Weights(m3, h => h[Node]!["data_offsets"] = new JsonArray(h[Node]!["data_offsets"]![1]!.GetValue<long>(), h[Node]!["data_offsets"]![0]!.GetValue<long>()))),
            ("offsets-negative", Weights(m3, h => h[Node]!["data_offsets"] = new JsonArray(-8, 0))),
            ("offsets-lying-size", Weights(m3, h => h[Node]!["data_offsets"] = new JsonArray(0, 8))),
            ("offsets-three-numbers", Weights(m3, h => h[Node]!["data_offsets"] = new JsonArray(0, 8, 16))),
            ("weight-nan", Weights(m3, data: SetFloat(Node, 5, float.NaN))),
            ("weight-infinite", Weights(m3, data: SetFloat(Node, 0, float.NegativeInfinity))),
            ("weight-missing", Weights(m3, h => h.Remove(Node))),
            ("metadata-missing", Weights(m3, h => h.Remove("__metadata__"))),
            ("metadata-value-a-number", Weights(m3, h => h["__metadata__"]!["n_tensors"] = 5)),
            ("metadata-init-args-not-json", Weights(m3, h => h["__metadata__"]!["m3gnet_init_args"] = "{units: 64")),
            ("metadata-init-args-array", Weights(m3, h => h["__metadata__"]!["m3gnet_init_args"] = "[1, 2]")),
            ("metadata-init-args-wrong-types", Weights(m3, h => h["__metadata__"]!["m3gnet_init_args"] = "{\"units\": \"many\", \"cutoff\": true}")),
            ("metadata-element-types-a-string", Weights(m3, h =>
            {
                var args = JsonNode.Parse(h["__metadata__"]!["m3gnet_init_args"]!.GetValue<string>())!;
                args["element_types"] = "Si";
                h["__metadata__"]!["m3gnet_init_args"] = args.ToJsonString();
            })),
            ("file-cut-short", () => { var b = File.ReadAllBytes(m3); return b[..(b.Length - 4096)]; }),
            ("not-safetensors-at-all", Raw(Encoding.UTF8.GetBytes("PK\u0003\u0004 this is a zip, or pickle, or anything"))),
        };
        foreach (var (name, file) in m3Cases)
            yield return Cli("safetensors", $"m3gnet/{name}", new Files().Add("bad.safetensors", file).Add("data.jsonl", good), Eval(), 2);

        var megCases = new (string Name, Func<byte[]> File)[]
        {
            ("version-not-a-number", Weights(meg, h => h["__metadata__"]!["reward_model_version"] = "v2")),
            ("element-types-not-json", Weights(meg, h => h["__metadata__"]!["element_types"] = "[\"H\", \"He\"")),
            ("element-types-a-number", Weights(meg, h => h["__metadata__"]!["element_types"] = "42")),
            ("normalizer-std-zero", Weights(meg, h => h["__metadata__"]!["normalizer_std"] = "0")),
            ("init-args-not-json", Weights(meg, h => h["__metadata__"]!["megnet_init_args"] = "{")),
            ("weight-nan", Weights(meg, data: (h, body) =>
            {
                string first = h.Select(p => p.Key).First(k => k != "__metadata__" && h[k]!["dtype"]!.GetValue<string>() == "F32");
                return SetFloat(first, 0, float.NaN)(h, body);
            })),
            ("file-cut-short", () => { var b = File.ReadAllBytes(meg); return b[..(b.Length / 2)]; }),
        };
        foreach (var (name, file) in megCases)
            yield return Cli("safetensors", $"megnet/{name}", new Files().Add("bad.safetensors", file).Add("data.jsonl", good), Predict(), 2);

        yield return Cli("safetensors", "weights-missing-file", Files.Of("data.jsonl", good),
            ["potential", "eval", "--weights", In("none.safetensors"), "--data", In("data.jsonl"), "--out", In("out.jsonl")], 2, names: "none.safetensors");
        yield return Cli("safetensors", "good-weights-control", new Files().Add("data.jsonl", good),
            ["potential", "eval", "--weights", m3, "--data", In("data.jsonl"), "--out", In("out.jsonl")], 0, ok: 3, errors: 0, output: "out.jsonl");
    }
}
