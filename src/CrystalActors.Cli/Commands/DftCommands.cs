using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using CrystalActors.Crystals.Io;
using CrystalActors.Dft;
using CrystalActors.Dft.Caching;
using CrystalActors.Dft.Execution;
using CrystalActors.Dft.Handlers;
using CrystalActors.Dft.Input;
using CrystalActors.Dft.Parsing;
using Serilog;
using Spectre.Console;

namespace CrystalActors.Cli.Commands;

/// <summary>`crystal-actors dft run`: pw.x over many crystals, one JSON line per crystal, a summary per failure class.</summary>
public static class DftCommands
{
    private static readonly JsonSerializerOptions JsonLine = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter() },
    };

    public static Command Create()
    {
        var data = new Option<FileInfo?>("--data") { Description = "MP-20 data: .jsonl(.gz) or .csv(.gz) with a CIF column." };
        var cif = new Option<FileInfo?>("--cif") { Description = "A CIF file (every data block is a crystal)." };
        var protocol = new Option<string>("--protocol")
        {
            Description = "paper | sssp",
            DefaultValueFactory = _ => "sssp",
        };
        protocol.AcceptOnlyFromAmong([.. DftProtocol.Names]);
        var handlers = new Option<string>("--handlers") { Description = "on | off: retry failed runs with the error handlers.", DefaultValueFactory = _ => "on" };
        handlers.AcceptOnlyFromAmong("on", "off");
        var limit = new Option<int?>("--limit") { Description = "Compute at most this many crystals." };
        var indices = new Option<string?>("--indices") { Description = "Comma-separated dataset indices to compute (e.g. 3,17,42)." };
        var ids = new Option<string?>("--ids") { Description = "Comma-separated material_ids to compute." };
        var maxSites = new Option<int?>("--max-sites") { Description = "Skip crystals with more sites than this." };
        var output = new Option<FileInfo>("--out") { Description = "Output JSON lines, one per crystal.", Required = true };
        var kmesh = new Option<string?>("--kmesh") { Description = "Override the k-point mesh, e.g. 3x3x3." };
        var ranks = new Option<int>("--ranks") { Description = "MPI ranks per pw.x run.", DefaultValueFactory = _ => 2 };
        var wall = new Option<double>("--wall-minutes") { Description = "Wall-time limit per attempt, minutes.", DefaultValueFactory = _ => 12 };
        var attempts = new Option<int>("--max-attempts") { Description = "Attempts per crystal with handlers on.", DefaultValueFactory = _ => 5 };
        var cache = new Option<FileInfo?>("--cache") { Description = "Result cache (JSON lines) shared across runs; default: in memory." };
        var pseudo = new Option<DirectoryInfo?>("--pseudo-root") { Description = "Folder with SSSP_1.3.0_PBE_efficiency(.json); default ../shared/pseudo." };
        var archive = new Option<DirectoryInfo?>("--archive") { Description = "Keep every attempt's pw.x input and output here." };

        var batch = new BatchOptions();
        var run = new Command("run", "Run pw.x on crystals from --data or --cif and write one result line per crystal.");
        foreach (var o in new Option[] { data, cif, protocol, handlers, limit, indices, ids, maxSites, output, kmesh, ranks, wall, attempts, cache, pseudo, archive })
            run.Options.Add(o);
        batch.AddTo(run);
        run.Validators.Add(r =>
        {
            if ((r.GetValue(data) is null) == (r.GetValue(cif) is null))
                r.AddError("give exactly one of --data FILE or --cif FILE");
        });
        run.SetAction(async (parse, ct) =>
        {
            var errors = batch.Start(parse, "dft run");
            var proto = DftProtocol.ByName(parse.GetValue(protocol)!);
            if (parse.GetValue(kmesh) is { } k) proto = proto with { KPoints = KMesh.Parse(k) };
            var options = new DftServiceOptions
            {
                PseudoRoot = parse.GetValue(pseudo)?.FullName,
                HandlersEnabled = parse.GetValue(handlers) == "on",
                MaxAttempts = parse.GetValue(attempts),
                ArchiveDirectory = parse.GetValue(archive)?.FullName,
                Runner = new PwRunnerOptions
                {
                    MpiRanks = parse.GetValue(ranks),
                    WallTimeLimit = TimeSpan.FromMinutes(parse.GetValue(wall)),
                },
            };
            // Configuration and input problems end the command here, before any pw.x run (Cli: one line, exit 2).
            IDftResultCache store = parse.GetValue(cache) is { } c ? new JsonLinesDftResultCache(c.FullName, errors.Report) : new InMemoryDftResultCache();
            var service = new DftService(options, store);
            var input = parse.GetValue(cif) ?? parse.GetValue(data)!;
            var crystals = SelectCrystals(input, parse.GetValue(cif) is null ? "--data" : "--cif", parse.GetValue(indices), parse.GetValue(ids),
                parse.GetValue(maxSites), parse.GetValue(limit), errors);
            Log.Information("dft run: {Count} crystals, protocol {Protocol} ({Hash}), handlers {Handlers}",
                crystals.Count, proto.Name, proto.Hash, options.HandlersEnabled ? "on" : "off");
            var results = await RunAll(service, proto, crystals, parse.GetValue(output)!, errors, ct);
            PrintSummary(results);
            errors.Finish(input.FullName, results.Count, ("ended_with_result", results.Count(o => o.Result.IsSuccess)), ("out", parse.GetValue(output)!.FullName));
            return 0;
        });

        var command = new Command("dft", "Quantum ESPRESSO pw.x: inputs, runs, error handlers and the result cache.");
        command.Subcommands.Add(run);
        command.Subcommands.Add(Farm());
        command.Subcommands.Add(Parse());
        return command;
    }

    /// <summary>`dft parse`: what pw.x printed, read from its output files (an archive's, or runs made elsewhere) by the parser
    /// the service uses: one JSON line per file. A file that is not a pw.x output is a bad record.</summary>
    private static Command Parse()
    {
        var files = new Option<string[]>("--output") { Description = "pw.x output files (what pw.x wrote to stdout).", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<FileInfo>("--out") { Description = "Output JSON lines, one per pw.x output.", Required = true };
        var batch = new BatchOptions();
        var cmd = new Command("parse", "Read pw.x output files: energy, gap, convergence, errors and the parser's warnings per file.");
        cmd.Options.Add(files);
        cmd.Options.Add(output);
        batch.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var errors = batch.Start(p, "dft parse");
            var lines = new List<string>();
            foreach (var f in p.GetValue(files)!)
                if (errors.Run(f, "pw.x output", _ => ParseOutput(f)) is { } line) lines.Add(line);
            AtomicFile.WriteAllText(p.GetValue(output)!.FullName, string.Concat(lines.Select(l => l + "\n")));
            errors.Finish("--output", lines.Count, ("out", p.GetValue(output)!.FullName));
            return 0;
        });
        return cmd;
    }

    private static string ParseOutput(string file)
    {
        if (!File.Exists(file)) throw new FileNotFoundException("the file does not exist", file);
        string text = File.ReadAllText(file);
        if (!text.Contains("Program PWSCF", StringComparison.Ordinal)) throw new InvalidDataException("not a pw.x output (no 'Program PWSCF' line)");
        var o = PwOutputParser.Parse(text);
        return JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["file"] = file, ["job_done"] = o.JobDone, ["converged"] = o.Converged, ["convergence_not_achieved"] = o.ConvergenceNotAchieved,
            ["energy_ry"] = Finite(o.TotalEnergyRy), ["gap_ev"] = Finite(o.BandGapEv), ["homo_ev"] = Finite(o.HomoEv), ["lumo_ev"] = Finite(o.LumoEv),
            ["fermi_energy_ev"] = Finite(o.FermiEnergyEv), ["total_magnetization"] = Finite(o.TotalMagnetization), ["iterations"] = o.ScfIterations,
            ["nelec"] = Finite(o.NumberOfElectrons), ["nbnd"] = o.NumberOfBands, ["wall_s"] = Finite(o.WallTimeSeconds),
            ["errors"] = o.Errors.Select(e => e.ToString()).ToList(), ["warnings"] = o.Warnings,
        }, JsonLine);
    }

    /// <summary>A value pw.x printed as NaN, Infinity or ******** (the parser's warnings say which) is null in JSON.</summary>
    private static double? Finite(double? v) => v is { } x && double.IsFinite(x) ? x : null;

    /// <summary>
    /// `dft farm`: designs (CIF files or a data file) through the DFT farm as a campaign computes them — optionally relaxed
    /// first with M3GNet + FIRE, leases, retries, handlers, a journal that a rerun resumes from — on a one-node farm here
    /// or, with --seeds, a running cluster's farm. One JSON line per design: gap, energy per atom, failure.
    /// </summary>
    private static Command Farm()
    {
        var inputs = new Option<string[]>("--cif") { Description = "CIF files (or one data file) of the designs", Required = true, AllowMultipleArgumentsPerToken = true };
        var protocol = new Option<string>("--protocol") { Description = "paper or sssp", DefaultValueFactory = _ => "sssp" };
        var ecutwfc = new Option<double?>("--ecutwfc") { Description = "Override ecutwfc (Ry)." };
        var ecutrho = new Option<double?>("--ecutrho") { Description = "Override ecutrho (Ry)." };
        var relax = new Option<bool>("--relax") { Description = "Relax with M3GNet + FIRE (with the cell) before DFT, as a campaign does." };
        var ranks = new Option<int>("--ranks") { Description = "MPI ranks per pw.x run.", DefaultValueFactory = _ => 2 };
        var seeds = new Option<string[]>("--seeds") { Description = "host:port of a running cluster: submit to its farm.", AllowMultipleArgumentsPerToken = true };
        var state = new Option<string>("--state") { Description = "Folder of the one-node farm's journal (a rerun resumes).", DefaultValueFactory = _ => "runs/dft-farm" };
        var output = new Option<FileInfo>("--out") { Description = "Output JSON lines, one per design.", Required = true };
        var cmd = new Command("farm", "Compute designs through the DFT farm (relax → dft stages), as a campaign does.");
        foreach (var o in new Option[] { inputs, protocol, ecutwfc, ecutrho, relax, ranks, seeds, state, output }) cmd.Options.Add(o);
        cmd.SetAction(async (parse, ct) =>
        {
            CliLogging.ToFolder(parse.GetValue(state)!, "farm");
            var files = parse.GetValue(inputs)!;
            // A missing or malformed design file ends the command before the farm starts (Cli: one line, exit 2).
            var jobs = new List<Campaign.Evaluation.DftBatchJob>();
            foreach (var f in files)
            {
                if (!File.Exists(f)) throw new FileNotFoundException($"--cif {f} does not exist", f);
                foreach (var r in CrystalDataReader.ReadRecords(f))
                    if (r.Structure is { } st) jobs.Add(new(JobIdOf(f, r.MaterialId, jobs.Count), st));
            }
            var p = DftProtocol.ByName(parse.GetValue(protocol)!);
            if (parse.GetValue(ecutwfc) is { } w) p = p with { EcutWfcRy = w };
            if (parse.GetValue(ecutrho) is { } rho) p = p with { EcutRhoRy = rho };
            int mpi = parse.GetValue(ranks);
            var options = new Campaign.Evaluation.DftBatchOptions
            {
                Protocol = p, Relax = parse.GetValue(relax), StateDirectory = Path.GetFullPath(parse.GetValue(state)!), Seeds = parse.GetValue(seeds) ?? [],
                Dft = new Campaign.DftOptions { MpiRanks = mpi, Launcher = mpi > 1 ? "mpirun" : "none", Archive = false },
            };
            var results = await Campaign.Evaluation.DftBatch.RunAsync(jobs, options, (done, all) => Log.Information("DFT farm: {Done}/{All} jobs done", done, all), ct);
            var lines = results.Select(r => JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["job"] = r.JobId, ["success"] = r.Success, ["gap_ev"] = r.GapEv, ["energy_per_atom_ev"] = r.EnergyPerAtomEv, ["failure"] = r.Failure,
            }));
            AtomicFile.WriteAllText(parse.GetValue(output)!.FullName, string.Join("\n", lines) + "\n");
            foreach (var r in results)
                Console.WriteLine(FormattableString.Invariant($"{r.JobId}: {(r.Success ? $"gap {r.GapEv:F3} eV, {r.EnergyPerAtomEv:F3} eV/atom" : $"failed ({r.Failure})")}"));
            return 0;
        });
        return cmd;
    }

    /// <summary>A job id stable across reruns: the file name (plus the record id when a file holds several).</summary>
    private static string JobIdOf(string file, string materialId, int n) =>
        $"{Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(file))))}-{Path.GetFileNameWithoutExtension(file)}-{materialId}".Replace(' ', '_') is var id && id.Length <= 120 ? id : $"design-{n}";

    /// <summary>A crystal to compute and where it came from (<paramref name="Where"/>: its place in the input, for messages).</summary>
    private sealed record CrystalEntry(int? Index, string? MaterialId, string Where, DftCell Cell, double? ReferenceBandGapEv);

    private static List<CrystalEntry> SelectCrystals(FileInfo file, string option, string? indices, string? ids, int? maxSites, int? limit, RecordErrors errors)
    {
        if (!file.Exists) throw new FileNotFoundException($"{option} {file.FullName} does not exist", file.FullName);
        var wantIndex = indices?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => int.TryParse(t, out int i) ? i : throw new ArgumentException($"--indices: '{t}' is not an integer")).ToHashSet();
        var wantId = ids?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        var selected = new List<CrystalEntry>();
        foreach (var r in CrystalDataReader.ReadRecords(file.FullName, errors.Report))
        {
            if (wantIndex is not null && !wantIndex.Contains(r.Index)) continue;
            if (wantId is not null && !wantId.Contains(r.MaterialId)) continue;
            if (!errors.IsFitForPhysics(file.FullName, r)) continue;
            if (maxSites is { } m && r.Structure!.NumSites > m) continue;
            selected.Add(new CrystalEntry(r.Index, r.MaterialId, RecordErrors.Where(file.FullName, r), r.Structure!.ToDftCell(), r.BandGap));
            if (limit is { } l && selected.Count >= l) break;
        }
        return selected;
    }

    private sealed record Outcome(CrystalEntry Entry, DftResult Result);

    /// <summary>Every crystal through the service, one output line each as it ends; a crystal the service cannot set up
    /// (an element without a pseudopotential, settings out of range) is a bad record. A pw.x failure is a result.</summary>
    private static async Task<List<Outcome>> RunAll(DftService service, DftProtocol protocol, List<CrystalEntry> crystals, FileInfo output,
        RecordErrors errors, CancellationToken ct)
    {
        var results = new List<Outcome>();
        if (output.Directory is { Exists: false } d) d.Create();
        await using var writer = new StreamWriter(output.FullName, append: false);
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var bar = ctx.AddTask($"pw.x {protocol.Name}", maxValue: crystals.Count);
                foreach (var e in crystals)
                {
                    if (ct.IsCancellationRequested) break;
                    string label = e.MaterialId ?? e.Cell.Formula;
                    bar.Description = Markup.Escape($"pw.x {protocol.Name}: {label} {e.Cell.Formula}"); // an id such as "mp-[1]" is text, not markup
                    if (await errors.RunAsync(e.Where, "dft", token => service.RunAsync(e.Cell, protocol, label, token), ct) is { } result)
                    {
                        var outcome = new Outcome(e, result);
                        results.Add(outcome);
                        await writer.WriteLineAsync(JsonSerializer.Serialize(ToLine(outcome), JsonLine));
                        await writer.FlushAsync(CancellationToken.None);
                    }
                    bar.Increment(1);
                }
            });
        return results;
    }

    private static Dictionary<string, object?> ToLine(Outcome o)
    {
        var r = o.Result;
        return new Dictionary<string, object?>
        {
            ["index"] = o.Entry.Index,
            ["material_id"] = o.Entry.MaterialId,
            ["formula"] = o.Entry.Cell.Formula,
            ["num_sites"] = o.Entry.Cell.NumSites,
            ["status"] = r.Status,
            ["failure_class"] = r.FailureClass.ToString(),
            ["failure_detail"] = r.FailureDetail,
            ["energy_ry"] = r.TotalEnergyRy,
            ["energy_ev"] = r.TotalEnergyEv,
            ["energy_per_atom_ry"] = r.EnergyPerAtomRy,
            ["gap_ev"] = r.BandGapEv,
            ["homo_ev"] = r.HomoEv,
            ["lumo_ev"] = r.LumoEv,
            ["fermi_energy_ev"] = r.FermiEnergyEv,
            ["total_magnetization"] = r.TotalMagnetization,
            ["iterations"] = r.ScfIterations,
            ["num_attempts"] = r.Attempts.Count,
            ["attempts"] = r.Attempts.Select(a => new Dictionary<string, object?>
            {
                ["failure_class"] = a.FailureClass.ToString(),
                ["detail"] = a.Detail,
                ["fix"] = a.FixApplied,
                ["wall_s"] = Math.Round(a.WallSeconds, 2),
                ["iterations"] = a.ScfIterations,
                ["energy_ry"] = a.TotalEnergyRy,
            }).ToList(),
            ["wall_s"] = Math.Round(r.WallSeconds, 2),
            ["cache_hit"] = r.CacheHit,
            ["note"] = r.Note,
            ["reference_gap_ev"] = o.Entry.ReferenceBandGapEv,
            ["protocol"] = r.Protocol,
            ["protocol_hash"] = r.ProtocolHash,
            ["fingerprint"] = r.Fingerprint,
        };
    }

    private static void PrintSummary(List<Outcome> results)
    {
        var table = new Table().AddColumns("final class", "crystals", "share");
        foreach (var g in results.GroupBy(o => o.Result.FailureClass.ToString()).OrderByDescending(g => g.Count()))
            table.AddRow(g.Key, g.Count().ToString(), $"{100.0 * g.Count() / results.Count:F0}%");
        AnsiConsole.Write(table);
        var firstAttempt = new Table().AddColumns("attempt class (all attempts)", "count");
        foreach (var g in results.SelectMany(o => o.Result.Attempts).GroupBy(a => a.FailureClass).OrderByDescending(g => g.Count()))
            firstAttempt.AddRow(g.Key.ToString(), g.Count().ToString());
        AnsiConsole.Write(firstAttempt);
        int ok = results.Count(o => o.Result.IsSuccess);
        AnsiConsole.MarkupLine($"[bold]{ok}/{results.Count}[/] crystals ended with a result; cache hits: {results.Count(o => o.Result.CacheHit)}; " +
                               $"pw.x wall time {results.Sum(o => o.Result.WallSeconds):F0} s");
    }
}
