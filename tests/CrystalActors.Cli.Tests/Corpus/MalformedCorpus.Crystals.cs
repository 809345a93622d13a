using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CrystalActors.Crystals.Io;

namespace CrystalActors.Cli.Tests.Corpus;

/// <summary>Crystal files: MP-20 JSONL, CSV with a CIF column, CIF, POSCAR.</summary>
public static partial class MalformedCorpus
{
    private static readonly Lazy<string[]> GoodLines = new(() => Head(SharedData.File("data", "mp20", "mp20_val.jsonl.gz"), 3));

    /// <summary>Three good MP-20 records (Tm-Mg-Hg, Ho-W-Cl-O, Na-Ca-Ti-Ta-O) as JSONL lines.</summary>
    private static string[] Good => GoodLines.Value;

    /// <summary>A good record with <paramref name="bad"/> between the first and the second: the bad one is reported, all three good ones written.</summary>
    private static string Around(string bad) => Lines(Good[0], bad, Good[1], Good[2]);

    /// <summary>Bad MP-20 lines: each is one reported record, whatever command reads it.</summary>
    private static IEnumerable<(string Name, string Line)> BadJsonlLines()
    {
        string g = Good[0];
        yield return ("not-json", "this is not json");
        yield return ("open-brace", "{");
        yield return ("truncated-line", g[..(g.Length / 2)]);
        yield return ("json-array", "[1, 2, 3]");
        yield return ("json-string", "\"mp-1\"");
        yield return ("json-number", "42");
        yield return ("json-null", "null");
        yield return ("empty-object", "{}");
        yield return ("trailing-comma", g[..^1] + ",}");
        yield return ("single-quotes", g.Replace('"', '\''));
        yield return ("nan-literal", g.Replace("\"band_gap\": 0.0", "\"band_gap\": NaN"));
        yield return ("infinity-in-lattice", g.Replace("[[1.45746314,", "[[Infinity,"));
        yield return ("nul-bytes", "{\"index\": \0\0\0}");
        yield return ("deep-nesting", new string('[', 5000) + new string(']', 5000));
        yield return ("bom-mid-file", "\uFEFF" + g);
        yield return ("huge-line", "{\"index\": 9, \"pad\": \"" + new string('x', 2_000_000) + "\"}");
        yield return ("index-missing", Edit(g, o => o.Remove("index")));
        yield return ("index-string", Edit(g, o => o["index"] = "7"));
        yield return ("index-fraction", Edit(g, o => o["index"] = 1.5));
        yield return ("index-huge", g.Replace("\"index\": 0", "\"index\": 99999999999999999999"));
        yield return ("material-id-missing", Edit(g, o => o.Remove("material_id")));
        yield return ("material-id-number", Edit(g, o => o["material_id"] = 7));
        yield return ("material-id-null", Edit(g, o => o["material_id"] = null));
        yield return ("material-id-object", Edit(g, o => o["material_id"] = new JsonObject()));
        yield return ("lattice-missing", Edit(g, o => o.Remove("lattice")));
        yield return ("lattice-two-rows", Edit(g, o => o["lattice"] = JsonNode.Parse("[[1,0,0],[0,1,0]]")));
        yield return ("lattice-short-row", Edit(g, o => o["lattice"] = JsonNode.Parse("[[1,0],[0,1,0],[0,0,1]]")));
        yield return ("lattice-strings", Edit(g, o => o["lattice"] = JsonNode.Parse("[[\"a\",0,0],[0,1,0],[0,0,1]]")));
        yield return ("lattice-null-entry", Edit(g, o => o["lattice"] = JsonNode.Parse("[[null,0,0],[0,1,0],[0,0,1]]")));
        yield return ("lattice-not-list", Edit(g, o => o["lattice"] = "cubic"));
        yield return ("lattice-singular", Edit(g, o => o["lattice"] = JsonNode.Parse("[[0,0,0],[0,0,0],[0,0,0]]")));
        yield return ("lattice-coplanar", Edit(g, o => o["lattice"] = JsonNode.Parse("[[1,0,0],[0,1,0],[1,1,0]]")));
        yield return ("lattice-overflow", g.Replace("[[1.45746314,", "[[1e400,"));
        yield return ("species-missing", Edit(g, o => o.Remove("species")));
        yield return ("species-not-list", Edit(g, o => o["species"] = "TmMgHg2"));
        yield return ("species-empty", Edit(g, o => o["species"] = new JsonArray()));
        yield return ("species-unknown", Edit(g, o => o["species"] = JsonNode.Parse("[\"Tm\", \"Mg\", \"Xx\", \"Hg\"]")));
        yield return ("species-number", Edit(g, o => o["species"] = JsonNode.Parse("[69, 12, 80, 80]")));
        yield return ("species-null-entry", Edit(g, o => o["species"] = JsonNode.Parse("[\"Tm\", null, \"Hg\", \"Hg\"]")));
        yield return ("species-lower-case", Edit(g, o => o["species"] = JsonNode.Parse("[\"tm\", \"mg\", \"hg\", \"hg\"]")));
        yield return ("coords-fewer-than-species", Edit(g, o => o["frac_coords"] = JsonNode.Parse("[[0,0,0],[0.5,0.5,0.5],[0.75,0.75,0.75]]")));
        yield return ("coords-short-row", Edit(g, o => o["frac_coords"] = JsonNode.Parse("[[0,0],[0.5,0.5,0.5],[0.75,0.75,0.75],[0.25,0.25,0.25]]")));
        yield return ("coords-string", Edit(g, o => o["frac_coords"] = "0 0 0"));
        yield return ("coords-bool", Edit(g, o => o["frac_coords"] = JsonNode.Parse("[[true,0,0],[0.5,0.5,0.5],[0.75,0.75,0.75],[0.25,0.25,0.25]]")));
        yield return ("num-atoms-mismatch", Edit(g, o => o["num_atoms"] = 5));
        yield return ("num-atoms-fraction", Edit(g, o => o["num_atoms"] = 4.5));
        yield return ("band-gap-string", Edit(g, o => o["band_gap"] = "wide"));
        yield return ("band-gap-overflow", g.Replace("\"band_gap\": 0.0", "\"band_gap\": -1e999"));
        yield return ("spacegroup-fraction", Edit(g, o => o["spacegroup_number_symprec0.1"] = 225.5));
        yield return ("spacegroup-string", Edit(g, o => o["spacegroup_number_symprec0.1"] = "225"));
        yield return ("formation-energy-bool", Edit(g, o => o["formation_energy_per_atom"] = true));
    }

    private static IEnumerable<CorpusCase> Jsonl()
    {
        // Every bad line between good ones, through the cheapest command: three written, one reported.
        foreach (var (name, line) in BadJsonlLines())
            yield return Cli("jsonl", name, Files.Of("data.jsonl", Around(line)), Validity("data.jsonl"), 0, ok: 3, errors: 1, output: "out.csv");

        // Odd but usable: nothing to report.
        string g = Good[0];
        yield return Cli("jsonl", "blank-and-space-lines", Files.Of("data.jsonl", Lines(Good[0], "", "   \t", Good[1], Good[2], "")),
            Validity("data.jsonl"), 0, ok: 3, errors: 0, output: "out.csv");
        yield return Cli("jsonl", "crlf-line-ends", Files.Of("data.jsonl", Lines(Good).Replace("\n", "\r\n")), Validity("data.jsonl"), 0, ok: 3, errors: 0, output: "out.csv");
        yield return Cli("jsonl", "no-final-newline", Files.Of("data.jsonl", Lines(Good).TrimEnd('\n')), Validity("data.jsonl"), 0, ok: 3, errors: 0, output: "out.csv");
        yield return Cli("jsonl", "bom-at-start", Files.Of("data.jsonl", "\uFEFF" + Lines(Good)), Validity("data.jsonl"), 0, ok: 3, errors: 0, output: "out.csv");
        yield return Cli("jsonl", "id-with-comma-quote-newline", Files.Of("data.jsonl", Around(Edit(g, o => o["material_id"] = "mp-1,\"x\"\nforged,row"))),
            Validity("data.jsonl"), 0, ok: 4, errors: 0, output: "out.csv");
        yield return Cli("jsonl", "id-with-control-chars", Files.Of("data.jsonl", Around(Edit(g, o => o["material_id"] = "mp-\u0001\u001b[31m"))),
            Validity("data.jsonl"), 0, ok: 4, errors: 0, output: "out.csv");
        yield return Cli("jsonl", "invalid-utf8-in-id", Files.Of("data.jsonl", () =>
        {
            var bad = Encoding.UTF8.GetBytes(g.Replace("mp-865981", "mp-@@"));
            int at = Array.IndexOf(bad, (byte)'@');
            bad[at] = 0xC3;
            bad[at + 1] = 0x28; // an invalid two-byte sequence: decoded as U+FFFD, the record is read
            return Encoding.UTF8.GetBytes(Lines(Good[1])).Concat(bad).Concat(Encoding.UTF8.GetBytes("\n" + Lines(Good[2]))).ToArray();
        }), Validity("data.jsonl"), 0, ok: 3, errors: 0, output: "out.csv");
        yield return Cli("jsonl", "no-coordinates-is-a-composition", Files.Of("data.jsonl", Around(Edit(g, o => o.Remove("frac_coords")))),
            Validity("data.jsonl"), 0, ok: 4, errors: 0, output: "out.csv");

        // Whole files.
        yield return Cli("jsonl", "empty-file", Files.Of("data.jsonl", ""), Validity("data.jsonl"), 0, ok: 0, errors: 0, output: "out.csv");
        yield return Cli("jsonl", "only-blank-lines", Files.Of("data.jsonl", "\n\n   \n"), Validity("data.jsonl"), 0, ok: 0, errors: 0, output: "out.csv");
        yield return Cli("jsonl", "every-record-bad", Files.Of("data.jsonl", Lines("{", "[]", "null")), Validity("data.jsonl"), 2, errors: 3);
        yield return Cli("jsonl", "binary-garbage", Files.Of("data.jsonl", () => Enumerable.Range(0, 4096).Select(i => (byte)(i * 37 % 251)).ToArray()),
            Validity("data.jsonl"), 2);
        yield return Cli("jsonl", "gzip-mixed", Files.Of("data.jsonl.gz", () => Gzip(Encoding.UTF8.GetBytes(Around("{")))),
            Validity("data.jsonl.gz"), 0, ok: 3, errors: 1, output: "out.csv");
        yield return Cli("jsonl", "gzip-truncated", Files.Of("data.jsonl.gz", () =>
        {
            var gz = Gzip(Encoding.UTF8.GetBytes(Around("{")));
            return gz[..(gz.Length * 2 / 3)];
        }), Validity("data.jsonl.gz"), 0, ok: 2, errors: 2, output: "out.csv"); // read as far as it goes: the torn last line is a bad record
        yield return Cli("jsonl", "gzip-corrupt-body", Files.Of("data.jsonl.gz", () =>
        {
            var gz = Gzip(Encoding.UTF8.GetBytes(Around("{")));
            for (int i = 20; i < gz.Length - 8; i += 3) gz[i] ^= 0x5A;
            return gz;
        }), Validity("data.jsonl.gz"), 2);
        yield return Cli("jsonl", "unsupported-extension", Files.Of("data.txt", Lines(Good)), Validity("data.txt"), 2);
        yield return Cli("jsonl", "missing-file", Files.Of("other.jsonl", Lines(Good)), Validity("absent.jsonl"), 2, names: "absent.jsonl");
        yield return Cli("jsonl", "data-is-a-folder", Files.Of("sub/data.jsonl", Lines(Good)), Validity("sub"), 2, names: "sub");
        yield return Cli("jsonl", "strict-stops-at-first", Files.Of("data.jsonl", Around("{")), [.. Validity("data.jsonl"), "--strict"], 2);
        yield return Cli("jsonl", "strict-with-good-file", Files.Of("data.jsonl", Lines(Good)), [.. Validity("data.jsonl"), "--strict"], 0, ok: 3, errors: 0, output: "out.csv");
        yield return Cli("jsonl", "record-timeout-negative", Files.Of("data.jsonl", Lines(Good)), [.. Validity("data.jsonl"), "--record-timeout", "-1"], 2,
            names: "--record-timeout");
        yield return Cli("jsonl", "output-folder-missing", Files.Of("data.jsonl", Lines(Good)),
            ["structure", "validity", "--data", In("data.jsonl"), "--out", In("new/folder/out.csv")], 0, ok: 3, errors: 0, output: "new/folder/out.csv");

        // Limits of the work on one record (README "Limits on input"): the record is refused, its neighbours computed.
        var many = new[] { "Li", "Be", "Na", "Mg", "K", "Ca", "Rb", "Sr", "Cs", "Ba", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga" };
        yield return Cli("jsonl", "smact-21-elements", Files.Of("data.jsonl", Around(Edit(g, o =>
        {
            o["species"] = new JsonArray(many.Select(e => (JsonNode)e).ToArray());
            o["frac_coords"] = new JsonArray(many.Select((_, i) => (JsonNode)new JsonArray(i / 21.0, 0.5, 0.5)).ToArray());
            o.Remove("num_atoms");
        }))), Validity("data.jsonl"), 0, ok: 3, errors: 1, output: "out.csv");
        yield return Cli("jsonl", "neighbors-huge-coordinate-wraps", Files.Of("data.jsonl", Around(Edit(g, o =>
            o["frac_coords"] = JsonNode.Parse("[[1e7,0,0],[0.5,0.5,0.5],[0.75,0.75,0.75],[0.25,0.25,0.25]]")))),
            Neighbors("data.jsonl"), 0, ok: 4, errors: 0, output: "out.jsonl");
        yield return Cli("jsonl", "neighbors-needle-cell", Files.Of("data.jsonl", Around(Edit(g, o =>
            o["lattice"] = JsonNode.Parse("[[1e-4,0,0],[0,1e-4,0],[0,0,500]]")))),
            Neighbors("data.jsonl"), 0, ok: 3, errors: 1, output: "out.jsonl");
        yield return Cli("jsonl", "neighbors-atoms-on-top", Files.Of("data.jsonl", Around(Edit(g, o =>
            o["frac_coords"] = JsonNode.Parse("[[0,0,0],[0,0,0],[0.75,0.75,0.75],[0.25,0.25,0.25]]")))),
            Neighbors("data.jsonl"), 0, ok: 3, errors: 1, output: "out.jsonl");
        yield return Cli("jsonl", "spacegroup-atoms-on-top-still-has-one", Files.Of("data.jsonl", Around(Edit(g, o =>
            o["frac_coords"] = JsonNode.Parse("[[0,0,0],[0,0,0],[0.75,0.75,0.75],[0.25,0.25,0.25]]")))),
            Spacegroup("data.jsonl"), 0, ok: 4, errors: 0, output: "out.csv");
        yield return Cli("jsonl", "spacegroup-no-coordinates", Files.Of("data.jsonl", Around(Edit(g, o => o.Remove("frac_coords")))),
            Spacegroup("data.jsonl"), 0, ok: 3, errors: 1, output: "out.csv");
        yield return Cli("jsonl", "potential-cell-too-dense", Files.Of("data.jsonl", Around(Edit(g, o =>
            o["lattice"] = JsonNode.Parse("[[0.5,0,0],[0,0.5,0],[0,0,0.5]]")))),
            PotentialEval("data.jsonl"), 0, ok: 3, errors: 1, output: "out.jsonl");
        // Physical sanity before any physics (PhysicalSanity): overlapping atoms and oversized structures are refused,
        // not passed on as a 0 eV gap or a missing energy.
        var onTop = Around(Edit(g, o => o["frac_coords"] = JsonNode.Parse("[[0,0,0],[0,0,0.01],[0.75,0.75,0.75],[0.25,0.25,0.25]]")));
        yield return Cli("jsonl", "reward-predict-atoms-on-top", Files.Of("data.jsonl", onTop), RewardPredict("data.jsonl"), 0, ok: 3, errors: 1, output: "out.csv");
        yield return Cli("jsonl", "potential-eval-atoms-on-top", Files.Of("data.jsonl", onTop), PotentialEval("data.jsonl"), 0, ok: 3, errors: 1, output: "out.jsonl");
        yield return Cli("jsonl", "reward-predict-1001-sites", Files.Of("data.jsonl", Around(Edit(g, o =>
        {
            o["lattice"] = JsonNode.Parse("[[110,0,0],[0,110,0],[0,0,110]]");
            o["species"] = new JsonArray(Enumerable.Range(0, 1001).Select(_ => (JsonNode)"Si").ToArray());
            o["frac_coords"] = new JsonArray(Enumerable.Range(0, 1001).Select(i => (JsonNode)new JsonArray(i % 11 / 11.0, i / 11 % 11 / 11.0, i / 121 / 11.0)).ToArray());
            o.Remove("num_atoms");
        }))), RewardPredict("data.jsonl"), 0, ok: 3, errors: 1, output: "out.csv");
        yield return Cli("jsonl", "neighbors-record-timeout", Files.Of("data.jsonl", () => Encoding.UTF8.GetBytes(SlowNeighbours())),
            ["structure", "neighbors", "--strategy", "radius", "--cutoff", "30", "--record-timeout", "0.3", "--data", In("data.jsonl"), "--out", In("out.jsonl")],
            0, ok: 2, errors: 1, output: "out.jsonl");

        // Every batch command that reads crystals, on a few of the bad lines.
        var sample = new HashSet<string> { "truncated-line", "material-id-number", "species-unknown", "lattice-singular", "coords-fewer-than-species", "nan-literal" };
        foreach (var (name, line) in BadJsonlLines().Where(b => sample.Contains(b.Name)))
        {
            var files = Files.Of("data.jsonl", Around(line));
            yield return Cli("jsonl", $"spacegroup/{name}", files, Spacegroup("data.jsonl"), 0, ok: 3, errors: 1, output: "out.csv");
            yield return Cli("jsonl", $"neighbors/{name}", files, Neighbors("data.jsonl"), 0, ok: 3, errors: 1, output: "out.jsonl");
            yield return Cli("jsonl", $"reward-predict/{name}", files, RewardPredict("data.jsonl"), 0, ok: 3, errors: 1, output: "out.csv");
            yield return Cli("jsonl", $"potential-eval/{name}", files, PotentialEval("data.jsonl"), 0, ok: 3, errors: 1, output: "out.jsonl");
            yield return Cli("jsonl", $"relax/{name}", files,
                ["relax", "--weights", SharedData.File("reference", "m3gnet", "M3GNet-MatPES-PBE-v2025.1-PES.safetensors"), "--steps", "2",
                 "--data", In("data.jsonl"), "--out", In("out.jsonl")], 0, ok: 3, errors: 1, output: "out.jsonl");
        }
        yield return Cli("jsonl", "reward-predict/strict", Files.Of("data.jsonl", Around("{")), [.. RewardPredict("data.jsonl"), "--strict"], 2);
        yield return Cli("jsonl", "reward-evaluate/bad-dft-gap", Files.Of("data.jsonl", Around(Edit(g, o => o["dft_gap"] = "1.2 eV"))),
            ["reward", "evaluate", "--weights", MegnetWeights, "--data", In("data.jsonl")], 0);
    }

    private static string[] Spacegroup(string file) => ["structure", "spacegroup", "--data", In(file), "--out", In("out.csv")];

    private static string[] Neighbors(string file) => ["structure", "neighbors", "--data", In(file), "--out", In("out.jsonl")];

    private static string MegnetWeights => SharedData.File("reference", "megnet", "MEGNet-MP-2019.4.1-BandGap-mfi.safetensors");

    private static string M3gnetWeights => SharedData.File("reference", "m3gnet", "M3GNet-MatPES-PBE-v2025.1-PES.safetensors");

    private static string[] RewardPredict(string file) => ["reward", "predict", "--weights", MegnetWeights, "--data", In(file), "--out", In("out.csv")];

    private static string[] PotentialEval(string file) => ["potential", "eval", "--weights", M3gnetWeights, "--data", In(file), "--out", In("out.jsonl")];

    /// <summary>Two one-atom cells around 120 atoms in a 14 Å cell: at a 30 Å cutoff the middle one takes over a second, the others milliseconds.</summary>
    private static string SlowNeighbours()
    {
        static string Cell(int index, double a, int n)
        {
            var rng = new Random(index + 1);
            var coords = string.Join(", ", Enumerable.Range(0, n).Select(_ =>
                string.Create(CultureInfo.InvariantCulture, $"[{rng.NextDouble():R}, {rng.NextDouble():R}, {rng.NextDouble():R}]")));
            var species = string.Join(", ", Enumerable.Repeat("\"Si\"", n));
            return string.Create(CultureInfo.InvariantCulture,
                $"{{\"index\": {index}, \"material_id\": \"cell-{index}\", \"lattice\": [[{a}, 0, 0], [0, {a}, 0], [0, 0, {a}]], \"species\": [{species}], \"frac_coords\": [{coords}]}}");
        }
        return Lines(Cell(0, 30, 1), Cell(1, 14, 120), Cell(2, 30, 1));
    }

    // ---- CSV with a CIF column (the CDVAE form of MP-20) ------------------------------------------------------------

    private const string CsvHeader = ",material_id,formation_energy_per_atom,band_gap,pretty_formula,elements,cif,spacegroup.number,num_atoms";

    private static string CsvRow(int index, string id, string cif) =>
        $"{index},{id},-1.0,0.5,X,\"['X']\",\"{cif.Replace("\"", "\"\"")}\",1,1";

    private static string GoodCif(int i) => CifWriter.Write(Mp20JsonlReader.ParseLine(Good[i]).Structure!);

    private static string CsvAround(string badRow) =>
        Lines(CsvHeader, CsvRow(0, "mp-a", GoodCif(0)), badRow, CsvRow(2, "mp-b", GoodCif(1)), CsvRow(3, "mp-c", GoodCif(2)));

    private static IEnumerable<CorpusCase> Csv()
    {
        string cif = GoodCif(0);
        var bad = new (string Name, string Row)[]
        {
            ("fewer-fields", "1,mp-x,-1.0,0.5"),
            ("more-fields", CsvRow(1, "mp-x", cif) + ",extra,fields"),
            ("index-not-integer", CsvRow(1, "mp-x", cif).Replace("1,mp-x", "one,mp-x")),
            ("empty-cif", CsvRow(1, "mp-x", "")),
            ("cif-not-a-cif", CsvRow(1, "mp-x", "hello world")),
            ("cif-unknown-element", CsvRow(1, "mp-x", cif.Replace("  Tm  Tm0", "  Xx  Xx0"))),
            ("cif-partial-occupancy", CsvRow(1, "mp-x", cif.Replace("0.00000000  0.00000000  0.00000000  1", "0.00000000  0.00000000  0.00000000  0.5"))),
            ("cif-missing-cell", CsvRow(1, "mp-x", string.Join("\n", cif.Split('\n').Where(l => !l.StartsWith("_cell_length_b"))))),
            ("cif-nan-coordinate", CsvRow(1, "mp-x", cif.Replace("0.50000000  0.50000000  0.50000000", "nan  0.50000000  0.50000000"))),
            ("cif-unterminated-quote", CsvRow(1, "mp-x", cif.Replace("'x, y, z'", "'x, y, z"))),
            ("only-commas", ",,,,,,,,"),
            ("single-empty-field-line", " "),
        };
        foreach (var (name, row) in bad)
            yield return Cli("csv", name, Files.Of("data.csv", CsvAround(row)), Validity("data.csv"), 0, ok: 3, errors: 1, output: "out.csv");

        yield return Cli("csv", "stray-quote-in-field-is-text", Files.Of("data.csv", CsvAround(CsvRow(1, "mp\"x", cif))), Validity("data.csv"), 0, ok: 4, errors: 0, output: "out.csv");
        yield return Cli("csv", "id-with-comma-quoted", Files.Of("data.csv", CsvAround(CsvRow(1, "\"mp-1,b\"", cif))), Validity("data.csv"), 0, ok: 4, errors: 0, output: "out.csv");
        yield return Cli("csv", "blank-line-between-rows", Files.Of("data.csv", CsvAround("")), Validity("data.csv"), 0, ok: 3, errors: 0, output: "out.csv");
        yield return Cli("csv", "crlf-line-ends", Files.Of("data.csv", CsvAround(CsvRow(1, "mp-x", cif)).Replace("\n", "\r\n")), Validity("data.csv"), 0, ok: 4, errors: 0, output: "out.csv");
        yield return Cli("csv", "bom-header", Files.Of("data.csv", "\uFEFF" + CsvAround(CsvRow(1, "mp-x", cif))), Validity("data.csv"), 0, ok: 4, errors: 0, output: "out.csv");
        yield return Cli("csv", "unterminated-quote-last-row", Files.Of("data.csv", Lines(CsvHeader, CsvRow(0, "mp-a", GoodCif(0)), CsvRow(2, "mp-b", GoodCif(1)),
            CsvRow(3, "mp-c", GoodCif(2)), "4,mp-d,-1,0.5,X,\"['X']\",\"data_open")), Validity("data.csv"), 0, ok: 3, errors: 1, output: "out.csv");
        yield return Cli("csv", "empty-file", Files.Of("data.csv", ""), Validity("data.csv"), 2);
        yield return Cli("csv", "header-only", Files.Of("data.csv", Lines(CsvHeader)), Validity("data.csv"), 0, ok: 0, errors: 0, output: "out.csv");
        yield return Cli("csv", "header-without-cif", Files.Of("data.csv", Lines(",material_id,band_gap", "0,mp-1,0.5")), Validity("data.csv"), 2);
        yield return Cli("csv", "header-without-material-id", Files.Of("data.csv", Lines(",id,cif", "0,mp-1,x")), Validity("data.csv"), 2);
        yield return Cli("csv", "binary-garbage", Files.Of("data.csv", () => Enumerable.Range(0, 4096).Select(i => (byte)(i * 53 % 256)).ToArray()), Validity("data.csv"), 2);
        yield return Cli("csv", "every-row-bad", Files.Of("data.csv", Lines(CsvHeader, "1,a", "2,b", "3,c")), Validity("data.csv"), 2, errors: 3);
        yield return Cli("csv", "gzip-mixed", Files.Of("data.csv.gz", () => Gzip(Encoding.UTF8.GetBytes(CsvAround("1,mp-x")))), Validity("data.csv.gz"), 0, ok: 3, errors: 1, output: "out.csv");
        yield return Cli("csv", "reward-predict/fewer-fields", Files.Of("data.csv", CsvAround("1,mp-x")), RewardPredict("data.csv"), 0, ok: 3, errors: 1, output: "out.csv");
        yield return Cli("csv", "spacegroup/cif-not-a-cif", Files.Of("data.csv", CsvAround(CsvRow(1, "mp-x", "hello"))), Spacegroup("data.csv"), 0, ok: 3, errors: 1, output: "out.csv");
        // A real file: the head of the shared CSV, cut inside a quoted CIF (as a download that stopped).
        yield return Cli("csv", "real-head-cut-mid-cif", Files.Of("data.csv", () => Encoding.UTF8.GetBytes(
            string.Join("\n", Head(SharedData.File("data", "mp20", "mp20_val_cif.csv.gz"), 100)))), Validity("data.csv"), 0, errors: 1, output: "out.csv");
    }

    // ---- CIF: one record per data block -----------------------------------------------------------------------------

    /// <summary>A valid block: rock salt by its space-group symbol (the operations come from spglib's table).</summary>
    private const string Block = """
        data_rocksalt
        _cell_length_a 5.64
        _cell_length_b 5.64
        _cell_length_c 5.64
        _cell_angle_alpha 90
        _cell_angle_beta 90
        _cell_angle_gamma 90
        _symmetry_space_group_name_H-M 'F m -3 m'
        loop_
        _atom_site_label
        _atom_site_type_symbol
        _atom_site_fract_x
        _atom_site_fract_y
        _atom_site_fract_z
        _atom_site_occupancy
        Na1 Na 0 0 0 1
        Cl1 Cl 0.5 0.5 0.5 1

        """;

    private static string CifAround(string badBlock) => GoodCif(0) + "\n" + badBlock + "\n" + GoodCif(1) + "\n" + GoodCif(2);

    private static IEnumerable<CorpusCase> Cif()
    {
        string P1(int sites) => Block.Replace("'F m -3 m'", "'P 1'").Replace("Na1 Na 0 0 0 1\nCl1 Cl 0.5 0.5 0.5 1\n",
            string.Concat(Enumerable.Range(0, sites).Select(i => string.Create(CultureInfo.InvariantCulture, $"Na{i} Na {i * 0.6180339887 % 1:F6} {i * 0.7548776662 % 1:F6} {i * 0.5698402910 % 1:F6} 1\n"))));
        var bad = new (string Name, string Block, int Errors)[]
        {
            ("cell-length-missing", Block.Replace("_cell_length_b 5.64\n", ""), 1),
            ("cell-length-unknown", Block.Replace("_cell_length_b 5.64", "_cell_length_b ?"), 1),
            ("cell-length-negative", Block.Replace("_cell_length_b 5.64", "_cell_length_b -5.64"), 1),
            ("cell-length-zero", Block.Replace("_cell_length_b 5.64", "_cell_length_b 0"), 1),
            ("cell-length-text", Block.Replace("_cell_length_b 5.64", "_cell_length_b five"), 1),
            ("cell-length-overflow", Block.Replace("_cell_length_b 5.64", "_cell_length_b 1e400"), 1),
            ("cell-length-nan", Block.Replace("_cell_length_b 5.64", "_cell_length_b nan"), 1),
            ("cell-uncertainty-unclosed", Block.Replace("_cell_length_b 5.64", "_cell_length_b 5.64(3"), 1),
            ("cell-angle-zero", Block.Replace("_cell_angle_beta 90", "_cell_angle_beta 0"), 1),
            ("cell-angle-180", Block.Replace("_cell_angle_beta 90", "_cell_angle_beta 180"), 1),
            ("cell-angles-impossible", Block.Replace("_cell_angle_alpha 90", "_cell_angle_alpha 120").Replace("_cell_angle_beta 90", "_cell_angle_beta 120").Replace("_cell_angle_gamma 90", "_cell_angle_gamma 130"), 1),
            ("space-group-unknown", Block.Replace("'F m -3 m'", "'Q 9 z'"), 1),
            ("space-group-number-231", Block.Replace("_symmetry_space_group_name_H-M 'F m -3 m'", "_symmetry_Int_Tables_number 231"), 1),
            ("space-group-number-text", Block.Replace("_symmetry_space_group_name_H-M 'F m -3 m'", "_symmetry_Int_Tables_number two"), 1),
            ("symop-two-parts", Block.Replace("_symmetry_space_group_name_H-M 'F m -3 m'\n", "loop_\n_symmetry_equiv_pos_as_xyz\n'x, y'\n"), 1),
            ("symop-unknown-symbol", Block.Replace("_symmetry_space_group_name_H-M 'F m -3 m'\n", "loop_\n_symmetry_equiv_pos_as_xyz\n'x+q, y, z'\n"), 1),
            ("symop-divide-by-zero", Block.Replace("_symmetry_space_group_name_H-M 'F m -3 m'\n", "loop_\n_symmetry_equiv_pos_as_xyz\n'x+1/0, y, z'\n"), 1),
            ("symop-huge-translation-is-a-translation", Block.Replace("_symmetry_space_group_name_H-M 'F m -3 m'\n", "loop_\n_symmetry_equiv_pos_as_xyz\n'x+99999999999999999999, y, z'\n"), 0),
            ("element-unknown", Block.Replace("Cl1 Cl", "Cl1 Xx"), 1),
            ("label-only-unknown", Block.Replace("_atom_site_type_symbol\n", "").Replace("Na1 Na 0", "Q1 0").Replace("Cl1 Cl 0.5", "Cl1 0.5"), 1),
            ("occupancy-partial", Block.Replace("Cl1 Cl 0.5 0.5 0.5 1", "Cl1 Cl 0.5 0.5 0.5 0.5"), 1),
            ("occupancy-text", Block.Replace("Cl1 Cl 0.5 0.5 0.5 1", "Cl1 Cl 0.5 0.5 0.5 full"), 1),
            ("coordinate-column-missing", Block.Replace("_atom_site_fract_z\n", "").Replace(" 0 0 0 1", " 0 0 1").Replace(" 0.5 0.5 0.5 1", " 0.5 0.5 1"), 1),
            ("coordinate-unknown", Block.Replace("Cl1 Cl 0.5 0.5 0.5 1", "Cl1 Cl 0.5 ? 0.5 1"), 1),
            ("coordinate-nan", Block.Replace("Cl1 Cl 0.5 0.5 0.5 1", "Cl1 Cl 0.5 nan 0.5 1"), 1),
            ("coordinate-overflow", Block.Replace("Cl1 Cl 0.5 0.5 0.5 1", "Cl1 Cl 0.5 1e400 0.5 1"), 1),
            ("coordinate-huge", Block.Replace("Cl1 Cl 0.5 0.5 0.5 1", "Cl1 Cl 0.5 1e300 0.5 1"), 1),
            ("sites-collide-under-symmetry", Block.Replace("Cl1 Cl 0.5 0.5 0.5 1", "Cl1 Cl 0 0 0 1"), 1),
            ("no-type-no-label", Block.Replace("_atom_site_label\n", "").Replace("_atom_site_type_symbol\n", "").Replace("Na1 Na ", "").Replace("Cl1 Cl ", ""), 1),
            ("expands-beyond-limit", P1(1001), 1),
            ("sites-times-operations-beyond-limit", Block.Replace("Na1 Na 0 0 0 1\nCl1 Cl 0.5 0.5 0.5 1\n",
                string.Concat(Enumerable.Range(0, 1100).Select(i => string.Create(CultureInfo.InvariantCulture, $"Na{i} Na {i * 0.6180339887 % 1:F6} 0.1 0.2 1\n")))), 1),
            ("loop-without-rows", Block.Replace("Na1 Na 0 0 0 1\nCl1 Cl 0.5 0.5 0.5 1\n", ""), 1),
            ("no-atom-sites-is-not-a-record", string.Join("\n", Block.Split('\n').TakeWhile(l => !l.StartsWith("loop_"))) + "\n", 0),
        };
        foreach (var (name, block, errors) in bad)
        {
            // A block without atom sites is no record; one the reader accepts is a fourth.
            int ok = errors == 0 && block.Contains("_atom_site_fract_x", StringComparison.Ordinal) ? 4 : 3;
            yield return Cli("cif", name, Files.Of("data.cif", CifAround(block)), Validity("data.cif"), 0, ok: ok, errors: errors, output: "out.csv");
        }

        yield return Cli("cif", "good-symmetric-block", Files.Of("data.cif", CifAround(Block)), Validity("data.cif"), 0, ok: 4, errors: 0, output: "out.csv");
        yield return Cli("cif", "loop-values-not-a-multiple-of-tags", Files.Of("data.cif", CifAround(Block.Replace("Cl1 Cl 0.5 0.5 0.5 1", "Cl1 Cl 0.5 0.5 0.5"))), Validity("data.cif"), 2);
        yield return Cli("cif", "unterminated-quote", Files.Of("data.cif", CifAround(Block.Replace("'F m -3 m'", "'F m -3 m"))), Validity("data.cif"), 2);
        yield return Cli("cif", "unterminated-text-field", Files.Of("data.cif", CifAround(Block.Replace("_cell_length_a 5.64", "_cell_length_a\n;5.64\n"))), Validity("data.cif"), 2);
        yield return Cli("cif", "tag-before-data", Files.Of("data.cif", "_cell_length_a 5\n" + CifAround(Block)), Validity("data.cif"), 2);
        yield return Cli("cif", "tag-without-value", Files.Of("data.cif", CifAround(Block) + "\n_cell_volume\n"), Validity("data.cif"), 2);
        yield return Cli("cif", "empty-file", Files.Of("data.cif", ""), Validity("data.cif"), 2);
        yield return Cli("cif", "only-comments", Files.Of("data.cif", "# nothing\n# here\n"), Validity("data.cif"), 2);
        yield return Cli("cif", "binary-garbage", Files.Of("data.cif", () => Enumerable.Range(0, 4096).Select(i => (byte)(i * 71 % 256)).ToArray()), Validity("data.cif"), 2);
        yield return Cli("cif", "every-block-bad", Files.Of("data.cif", Block.Replace("Cl1 Cl", "Cl1 Xx") + "\n" + Block.Replace("Na1 Na", "Na1 Xx").Replace("data_rocksalt", "data_two")),
            Validity("data.cif"), 2, errors: 2);
        yield return Cli("cif", "single-bad-block", Files.Of("data.cif", Block.Replace("Cl1 Cl", "Cl1 Xx")), Validity("data.cif"), 2, errors: 1);
        yield return Cli("cif", "spacegroup/occupancy-partial", Files.Of("data.cif", CifAround(Block.Replace("Cl1 Cl 0.5 0.5 0.5 1", "Cl1 Cl 0.5 0.5 0.5 0.5"))),
            Spacegroup("data.cif"), 0, ok: 3, errors: 1, output: "out.csv");
        yield return Cli("cif", "potential-eval/element-unknown", Files.Of("data.cif", CifAround(Block.Replace("Cl1 Cl", "Cl1 Xx"))), PotentialEval("data.cif"), 0, ok: 3, errors: 1, output: "out.jsonl");
        // A real file with a broken block: the shared NaCl test CIF and a copy whose cell lost a length.
        yield return Cli("cif", "real-nacl-with-broken-copy", Files.Of("data.cif", () =>
        {
            string real = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Corpus", "Files", "nacl_Fm-3m.cif"));
            return Encoding.UTF8.GetBytes(real + "\n" + real.Replace("data_NaCl_rocksalt", "data_broken").Replace("_cell_length_c                  5.6402(3)\n", ""));
        }), Validity("data.cif"), 0, ok: 1, errors: 1, output: "out.csv");
    }

    // ---- POSCAR: one crystal per file, so any fault is a file-level one ---------------------------------------------

    private static IEnumerable<CorpusCase> Poscar()
    {
        string good = CrystalActors.Crystals.Io.Poscar.Write(Mp20JsonlReader.ParseLine(Good[1]).Structure!);
        var lines = good.Split('\n');
        string With(int line, string text) => string.Join("\n", lines.Select((l, i) => i == line ? text : l));
        string Without(int line) => string.Join("\n", lines.Where((_, i) => i != line));
        // Lines: 0 comment, 1 scale, 2-4 lattice, 5 symbols, 6 counts, 7 "Direct", 8.. sites.
        var bad = new (string Name, string Text)[]
        {
            ("empty", ""),
            ("comment-only", "a comment\n"),
            ("scale-missing", string.Join("\n", lines.Take(1))),
            ("scale-text", With(1, "one")),
            ("scale-zero", With(1, "0.0")),
            ("scale-volume-form", With(1, "-120.0")),
            ("scale-nan", With(1, "NaN")),
            ("lattice-two-numbers", With(3, "  1.0 2.0")),
            ("lattice-text", With(3, "  a b c")),
            ("lattice-singular", With(3, lines[2])),
            ("lattice-infinite", With(3, "  1e400 0 0")),
            ("vasp4-no-symbols", Without(5)),
            ("symbol-unknown", With(5, " Xx W Cl O")),
            ("counts-fewer-than-symbols", With(6, " 2 2 2")),
            ("count-zero", With(6, " 0 2 2 8")),
            ("count-negative", With(6, " -2 2 2 8")),
            ("count-text", With(6, " two 2 2 8")),
            ("count-overflow", With(6, " 99999999999999999999 2 2 8")),
            ("count-huge", With(6, " 2000000000 2 2 8")),
            ("sites-truncated", string.Join("\n", lines.Take(12))),
            ("coordinate-nan", With(8, "  NaN 0.0 0.0 Ho")),
            ("coordinate-overflow", With(8, "  1e400 0.0 0.0 Ho")),
            ("coordinate-missing", With(8, "  0.0 0.0")),
            ("mode-line-missing", Without(7)),
        };
        foreach (var (name, text) in bad)
            yield return Cli("poscar", name, Files.Of("bad.vasp", text), Validity("bad.vasp"), 2);

        yield return Cli("poscar", "selective-dynamics", Files.Of("POSCAR", With(7, "Selective dynamics\nDirect")), Validity("POSCAR"), 0, ok: 1, errors: 0, output: "out.csv");
        yield return Cli("poscar", "cartesian", Files.Of("CONTCAR", With(7, "Cartesian")), Validity("CONTCAR"), 0, ok: 1, errors: 0, output: "out.csv");
        yield return Cli("poscar", "crlf-line-ends", Files.Of("x.poscar", good.Replace("\n", "\r\n")), Validity("x.poscar"), 0, ok: 1, errors: 0, output: "out.csv");
        yield return Cli("poscar", "spacegroup/lattice-singular", Files.Of("bad.vasp", With(3, lines[2])), Spacegroup("bad.vasp"), 2);
    }
}
