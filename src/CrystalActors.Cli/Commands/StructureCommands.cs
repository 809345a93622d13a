using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Graphs;
using CrystalActors.Crystals.Io;
using CrystalActors.Crystals.Neighbors;
using CrystalActors.Crystals.Symmetry;
using CrystalActors.Crystals.Validity;
using Serilog;

namespace CrystalActors.Cli.Commands;

/// <summary>`crystal-actors structure ...`: batch operations over a crystal data file (MP-20 JSONL(.gz), CSV with CIF, or CIF).</summary>
public static class StructureCommands
{
    public static Command Create()
    {
        var command = new Command("structure", "Crystal structure tools: neighbour graphs, SMACT validity, space groups.");
        command.Subcommands.Add(CreateNeighbors());
        command.Subcommands.Add(CreateValidity());
        command.Subcommands.Add(CreateSpacegroup());
        return command;
    }

    private static Option<string> DataOption() => new("--data")
    {
        Description = "Input: MP-20 JSONL(.gz), CSV(.gz) with a cif column, or a CIF file.",
        Required = true,
    };

    private static Option<string> OutOption(string what) => new("--out") { Description = what, Required = true };

    private static Command CreateNeighbors()
    {
        var data = DataOption();
        var strategy = new Option<string>("--strategy")
        {
            Description = "crystalnn (pymatgen CrystalNN as CDVAE configures it) or radius (all pairs within --cutoff).",
            DefaultValueFactory = _ => "crystalnn",
        };
        strategy.AcceptOnlyFromAmong("crystalnn", "radius");
        var cutoff = new Option<double>("--cutoff") { Description = "Radius in Å for --strategy radius.", DefaultValueFactory = _ => 5.0 };
        var output = OutOption("Output JSONL: one line per crystal {\"index\", \"material_id\", \"edges\": [[i, j, [a, b, c]], ...]}.");
        var batch = new BatchOptions();
        var cmd = new Command("neighbors", "Undirected periodic neighbour edges for every crystal of a data file.")
        {
            Options = { data, strategy, cutoff, output },
        };
        batch.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            string strat = parse.GetValue(strategy)!;
            double r = parse.GetValue(cutoff);
            if (strat == "radius" && !(r > 0)) throw new ArgumentException($"--cutoff must be a positive distance in Å, got {r}");
            Func<Structure, IReadOnlyList<PeriodicEdge>> edgesOf = strat == "radius" ? s => RadiusStrategy(s, r) : CrystalNNStrategy;
            RunBatch(parse.GetValue(data)!, parse.GetValue(output)!, batch.Start(parse, "structure neighbors"), "neighbors", needsCoordinates: true, record =>
            {
                var edges = edgesOf(record.Structure!);
                var sb = new StringBuilder(64 + 24 * edges.Count);
                sb.Append("{\"index\": ").Append(record.Index).Append(", \"material_id\": ").Append(JsonSerializer.Serialize(record.MaterialId))
                  .Append(", \"num_sites\": ").Append(record.NumAtoms).Append(", \"edges\": [");
                for (int k = 0; k < edges.Count; k++)
                {
                    var e = edges[k];
                    if (k > 0) sb.Append(", ");
                    sb.Append('[').Append(e.I).Append(", ").Append(e.J).Append(", [").Append(e.A).Append(", ").Append(e.B).Append(", ").Append(e.C).Append("]]");
                }
                return sb.Append("]}").ToString();
            }, JsonLines);
            return 0;
        });
        return cmd;
    }

    /// <summary>pymatgen CrystalNN(distance_cutoffs=None, x_diff_weight=-1, porous_adjustment=False) edges.</summary>
    private static IReadOnlyList<PeriodicEdge> CrystalNNStrategy(Structure s) => CrystalNN.GetEdges(s);

    /// <summary>Most edges one structure may write: a cutoff far beyond the cell's size would otherwise fill the disk
    /// with one structure's output (a 1 GB line for 2e7 pairs).</summary>
    public const int MaxEdgesPerStructure = 1_000_000;

    /// <summary>All pairs within the cutoff, each undirected edge once in the canonical form of <see cref="PeriodicEdge"/>.</summary>
    private static IReadOnlyList<PeriodicEdge> RadiusStrategy(Structure s, double cutoff)
    {
        var nl = NeighborSearch.FindNeighbors(s, cutoff);
        if (nl.Count / 2 > MaxEdgesPerStructure)
            throw new ArgumentException($"{nl.Count / 2} edges within {cutoff} Å, more than the output limit of {MaxEdgesPerStructure} per structure; use a smaller --cutoff");
        var edges = new List<PeriodicEdge>(nl.Count / 2 + 1);
        for (int k = 0; k < nl.Count; k++)
        {
            var e = PeriodicEdge.Canonical(nl.Centers[k], nl.Neighbors[k], nl.Images[k].A, nl.Images[k].B, nl.Images[k].C);
            // Each undirected pair appears twice (once per direction); keep the direction that is already canonical.
            if (e.I == nl.Centers[k] && e.J == nl.Neighbors[k] && e.A == nl.Images[k].A && e.B == nl.Images[k].B && e.C == nl.Images[k].C)
                edges.Add(e);
        }
        edges.Sort();
        return edges;
    }

    private static Command CreateValidity()
    {
        var data = DataOption();
        var output = OutOption("Output CSV: index,material_id,formula,valid (formula as CDVAE passes it to SMACT: Z order, gcd-reduced).");
        var batch = new BatchOptions();
        var cmd = new Command("validity", "SMACT composition validity (CDVAE's smact_validity with the Pauling test and alloys) for every crystal.")
        {
            Options = { data, output },
        };
        batch.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            int valid = 0;
            var cache = new Dictionary<string, bool>();
            // Rows without coordinates (the train "nocoords" split) still have a composition: validity needs no more.
            int ok = RunBatch(parse.GetValue(data)!, parse.GetValue(output)!, batch.Start(parse, "structure validity"), "validity", needsCoordinates: false, record =>
            {
                var comp = record.Composition;
                string formula = comp.ZOrderedReducedFormula;
                bool isValid;
                lock (cache)
                    if (!cache.TryGetValue(formula, out isValid)) cache[formula] = isValid = SmactValidity.IsValid(comp);
                if (isValid) Interlocked.Increment(ref valid);
                return new[] { record.Index.ToString(CultureInfo.InvariantCulture), record.MaterialId, formula, isValid ? "1" : "0" };
            }, Csv("index", "material_id", "formula", "valid"));
            Log.Information("{Valid} of {Ok} compositions valid ({Distinct} distinct compositions checked)", valid, ok, cache.Count);
            return 0;
        });
        return cmd;
    }

    private static Command CreateSpacegroup()
    {
        var data = DataOption();
        var symprec = new Option<double>("--symprec") { Description = "spglib distance tolerance in Å.", DefaultValueFactory = _ => SpaceGroupAnalyzer.DefaultSymprec };
        var output = OutOption("Output CSV: index,material_id,spacegroup,symbol,dataset_spacegroup.");
        var batch = new BatchOptions();
        var cmd = new Command("spacegroup", "Space group of every crystal with spglib (angle tolerance 5°, as pymatgen).")
        {
            Options = { data, symprec, output },
        };
        batch.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            double tol = parse.GetValue(symprec);
            if (!(tol > 0 && double.IsFinite(tol))) throw new ArgumentException($"--symprec must be a positive distance in Å, got {tol}");
            int agree = 0, withField = 0;
            RunBatch(parse.GetValue(data)!, parse.GetValue(output)!, batch.Start(parse, "structure spacegroup"), "spacegroup", needsCoordinates: true, record =>
            {
                var sg = SpaceGroupAnalyzer.GetSpaceGroup(record.Structure!, tol);
                if (record.SpacegroupNumber is int given)
                {
                    Interlocked.Increment(ref withField);
                    if (given == sg.Number) Interlocked.Increment(ref agree);
                }
                var inv = CultureInfo.InvariantCulture;
                return new[] { record.Index.ToString(inv), record.MaterialId, sg.Number.ToString(inv), sg.InternationalSymbol, record.SpacegroupNumber?.ToString(inv) ?? "" };
            }, Csv("index", "material_id", "spacegroup", "symbol", "dataset_spacegroup"));
            if (withField > 0) Log.Information("Space group equals the data set's field for {Agree}/{Total} crystals", agree, withField);
            return 0;
        });
        return cmd;
    }

    /// <summary>
    /// Reads every record, maps each to one output row (in input order, on all cores) and writes them, the file whole at
    /// the end (gzipped for a .gz name). Bad records and records whose <paramref name="map"/> fails go to
    /// <paramref name="errors"/> and are skipped. Returns how many rows were written.
    /// </summary>
    private static int RunBatch<T>(string dataPath, string outPath, RecordErrors errors, string what, bool needsCoordinates,
        Func<Mp20Record, T> map, Action<TextWriter, IEnumerable<T>> write) where T : class
    {
        if (!File.Exists(dataPath)) throw new FileNotFoundException($"--data {dataPath} does not exist", dataPath);
        var watch = Stopwatch.StartNew();
        var records = CrystalDataReader.ReadRecords(dataPath, errors.Report);
        int done = 0;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
        AtomicFile.Write(outPath, stream =>
        {
            using var writer = DataFile.CreateText(stream, outPath);
            var rows = records.AsParallel().AsOrdered().Select(record =>
            {
                if (needsCoordinates && !errors.HasCoordinates(dataPath, record)) return null;
                return errors.Run(RecordErrors.Where(dataPath, record), what, _ => map(record));
            });
            // After AsParallel these Where/Select run on the workers too: count atomically.
            write(writer, rows.Where(r => r is not null).Select(r => { Interlocked.Increment(ref done); return r!; }));
        });
        errors.Finish(dataPath, done, ("out", outPath), ("seconds", Math.Round(watch.Elapsed.TotalSeconds, 2)));
        return done;
    }

    private static void JsonLines(TextWriter w, IEnumerable<string> lines)
    {
        foreach (var line in lines) w.WriteLine(line);
    }

    /// <summary>Rows through a CSV writer: an id with a comma, a quote or a newline is quoted, never a forged row.</summary>
    private static Action<TextWriter, IEnumerable<string[]>> Csv(params string[] header) => (w, rows) =>
    {
        using var csv = CsvHelper.CsvWriter.Create(w, CsvHelper.CsvWriterOptions.Default, leaveOpen: true);
        csv.WriteHeader(header);
        foreach (var row in rows) csv.WriteRecord(row);
    };
}
