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
        var cmd = new Command("neighbors", "Undirected periodic neighbour edges for every crystal of a data file.")
        {
            Options = { data, strategy, cutoff, output },
        };
        cmd.SetAction(parse =>
        {
            string strat = parse.GetValue(strategy)!;
            double r = parse.GetValue(cutoff);
            if (strat == "radius" && !(r > 0)) { Log.Error("--cutoff must be a positive distance in Å, got {Cutoff}", r); return 2; }
            Func<Structure, IReadOnlyList<PeriodicEdge>> edgesOf = strat == "radius" ? s => RadiusStrategy(s, r) : CrystalNNStrategy;
            return RunBatch(parse.GetValue(data)!, parse.GetValue(output)!, "neighbors", record =>
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
            }, header: null);
        });
        return cmd;
    }

    /// <summary>pymatgen CrystalNN(distance_cutoffs=None, x_diff_weight=-1, porous_adjustment=False) edges.</summary>
    private static IReadOnlyList<PeriodicEdge> CrystalNNStrategy(Structure s) => CrystalNN.GetEdges(s);

    /// <summary>All pairs within the cutoff, each undirected edge once in the canonical form of <see cref="PeriodicEdge"/>.</summary>
    private static IReadOnlyList<PeriodicEdge> RadiusStrategy(Structure s, double cutoff)
    {
        var nl = NeighborSearch.FindNeighbors(s, cutoff);
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
        var cmd = new Command("validity", "SMACT composition validity (CDVAE's smact_validity with the Pauling test and alloys) for every crystal.")
        {
            Options = { data, output },
        };
        cmd.SetAction(parse =>
        {
            int valid = 0;
            var cache = new Dictionary<string, bool>();
            int rc = RunBatch(parse.GetValue(data)!, parse.GetValue(output)!, "validity", record =>
            {
                var comp = record.Composition;
                string formula = comp.ZOrderedReducedFormula;
                bool ok;
                lock (cache)
                    if (!cache.TryGetValue(formula, out ok)) cache[formula] = ok = SmactValidity.IsValid(comp);
                if (ok) Interlocked.Increment(ref valid);
                return string.Create(CultureInfo.InvariantCulture, $"{record.Index},{record.MaterialId},{formula},{(ok ? 1 : 0)}");
            }, header: "index,material_id,formula,valid");
            if (rc != 2) Log.Information("{Valid} compositions valid ({Distinct} distinct compositions checked)", valid, cache.Count);
            return rc;
        });
        return cmd;
    }

    private static Command CreateSpacegroup()
    {
        var data = DataOption();
        var symprec = new Option<double>("--symprec") { Description = "spglib distance tolerance in Å.", DefaultValueFactory = _ => SpaceGroupAnalyzer.DefaultSymprec };
        var output = OutOption("Output CSV: index,material_id,spacegroup,symbol,dataset_spacegroup.");
        var cmd = new Command("spacegroup", "Space group of every crystal with spglib (angle tolerance 5°, as pymatgen).")
        {
            Options = { data, symprec, output },
        };
        cmd.SetAction(parse =>
        {
            double tol = parse.GetValue(symprec);
            int agree = 0, withField = 0;
            int rc = RunBatch(parse.GetValue(data)!, parse.GetValue(output)!, "spacegroup", record =>
            {
                var sg = SpaceGroupAnalyzer.GetSpaceGroup(record.Structure!, tol);
                if (record.SpacegroupNumber is int given)
                {
                    Interlocked.Increment(ref withField);
                    if (given == sg.Number) Interlocked.Increment(ref agree);
                }
                return string.Create(CultureInfo.InvariantCulture, $"{record.Index},{record.MaterialId},{sg.Number},{sg.InternationalSymbol},{record.SpacegroupNumber}");
            }, header: "index,material_id,spacegroup,symbol,dataset_spacegroup");
            if (rc != 2 && withField > 0) Log.Information("Space group equals the data set's field for {Agree}/{Total} crystals", agree, withField);
            return rc;
        });
        return cmd;
    }

    /// <summary>
    /// Reads every record, maps each to one output line (in input order, on all cores), and writes them. A bad
    /// record is logged with file:line: reason and skipped; a crystal that fails in <paramref name="map"/> is
    /// logged and skipped too. Exit code 0 when everything was processed, 1 when some records were skipped.
    /// </summary>
    private static int RunBatch(string dataPath, string outPath, string what, Func<Mp20Record, string> map, string? header)
    {
        if (!File.Exists(dataPath)) { Log.Error("Data file {Path} does not exist", dataPath); return 2; }
        int bad = 0, failed = 0, done = 0;
        var watch = Stopwatch.StartNew();
        IEnumerable<Mp20Record> records;
        try
        {
            records = CrystalDataReader.ReadRecords(dataPath, ex =>
            {
                Interlocked.Increment(ref bad);
                Log.Warning("Skipping bad record: {Error}", ex.Message);
            });
        }
        catch (ArgumentException ex) { Log.Error("{Error}", ex.Message); return 2; }

        // Committed only when every record was seen: a run stopped by a file-level error keeps the previous output.
        using var output = DataFile.CreateText(outPath);
        var writer = output.Writer;
        if (header is not null) writer.WriteLine(header);
        try
        {
            var lines = records.AsParallel().AsOrdered().Select(record =>
            {
                if (record.Structure is null)
                {
                    // Rows without coordinates (the train "nocoords" split) still have a composition: validity works.
                    if (what != "validity")
                    {
                        Interlocked.Increment(ref failed);
                        Log.Warning("{File}: record {Index} ({Id}) has no coordinates; skipped", dataPath, record.Index, record.MaterialId);
                        return null;
                    }
                }
                try
                {
                    return map(record);
                }
                catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
                {
                    Interlocked.Increment(ref failed);
                    Log.Warning("{File}: record {Index} ({Id}): {What} failed: {Error}", dataPath, record.Index, record.MaterialId, what, ex.Message);
                    return null;
                }
            });
            foreach (var line in lines)
            {
                if (line is null) continue;
                writer.WriteLine(line);
                done++;
            }
        }
        catch (CrystalFormatException ex)
        {
            // A file-level error (for example a malformed CIF file) stops the run.
            Log.Error("{Error}", ex.Message);
            return 2;
        }
        output.Commit();
        double seconds = watch.Elapsed.TotalSeconds;
        Log.Information("{What}: {Done} crystals written to {Out} in {Seconds:F2} s ({Rate:F0}/s); {Bad} bad records and {Failed} failures skipped",
            what, done, outPath, seconds, done / Math.Max(seconds, 1e-9), bad, failed);
        return bad + failed > 0 ? 1 : 0;
    }
}
