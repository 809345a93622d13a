using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Crystals.Validity;
using CrystalActors.Learning.Offline;
using CrystalActors.Learning.Rewards;
using Serilog;

namespace CrystalActors.Cli.Commands;

/// <summary>
/// `crystal-actors evaluate dng`: Chemeleon2's de-novo-generation table of a set of generated crystals, and
/// `crystal-actors reward components` (registered under `reward`): every reward component per crystal.
/// </summary>
public static class EvaluateCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var command = new Command("evaluate", "Evaluate generated crystals as a whole.");
        command.Subcommands.Add(Dng());
        return command;
    }

    private static Option<string> Reference() => new("--reference")
    { Description = "Reference crystals with coordinates (novelty, diversity): MP-20 JSONL(.gz)", DefaultValueFactory = _ => "../shared/data/mp20/mp20_val.jsonl.gz" };

    private static Option<string?> Skeletons() => new("--data")
    { Description = "The skeletons' source file, needed when the generated set is an `offline generate` output (generated.jsonl)" };

    private static Option<int> Sample() => new("--reference-sample")
    { Description = "Reference crystals embedded for the diversity columns (seeded sample)", DefaultValueFactory = _ => 2000 };

    private static Option<string> Weights() => new("--weights")
    { Description = "MEGNet band-gap weights (gaps; and, frozen, the embeddings of the diversity terms)", DefaultValueFactory = _ => "../shared/reference/megnet/MEGNet-MP-2019.4.1-BandGap-mfi.safetensors" };

    private static Command Dng()
    {
        var generated = new Option<string>("--generated") { Description = "Generated crystals: a campaign's run folder (its journal's last --last designs), a folder of CIF files, an `offline generate` folder (with --data), or a data file", Required = true };
        var last = new Option<int>("--last") { Description = "For a campaign run folder: how many of its latest episodes' designs", DefaultValueFactory = _ => 512 };
        var reference = Reference();
        var data = Skeletons();
        var sample = Sample();
        var weights = Weights();
        var output = new Option<string?>("--out") { Description = "JSON file for the table" };
        var cmd = new Command("dng", "Chemeleon2's DNG table: unique_pct, novel_pct, e_above_hull_mean_ev, metastable_pct (<= 0.1 eV/atom), stable_pct, msun/sun, smact_valid_pct, structure and composition diversity (Fréchet distance of MEGNet embeddings to the reference).");
        foreach (var o in new Option[] { generated, last, reference, data, sample, weights, output }) cmd.Options.Add(o);
        var strict = new BatchOptions(perRecordWork: false);
        strict.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var structures = GeneratedStructures.Read(p.GetValue(generated)!, p.GetValue(data), strict.Start(p, "evaluate dng"), p.GetValue(last));
            Log.Information("{Count} generated crystals from {Path}", structures.Count, p.GetValue(generated));
            var setup = Resolved(new RewardSetup { Reference = SharedPaths.Resolve(p.GetValue(reference)!), ReferenceSample = p.GetValue(sample) });
            using var scorer = new RewardScorer(DngTable.Inputs(), setup, SharedPaths.Resolve(p.GetValue(weights)!));
            var scores = scorer.Score(structures, gapModel: null);
            var table = DngTable.From(scores.Inputs, scorer.StructureReference, scorer.CompositionReference);
            var json = JsonSerializer.Serialize(table, new JsonSerializerOptions { WriteIndented = true });
            Console.WriteLine(json);
            if (p.GetValue(output) is { } path) AtomicFile.WriteAllText(path, json + "\n");
            return 0;
        });
        return cmd;
    }

    /// <summary>`reward components`: each component's raw value per crystal, and the flags behind them.</summary>
    public static Command Components()
    {
        var data = new Option<string>("--data") { Description = "Crystals: MP-20 JSONL(.gz), CSV with a cif column, CIF, or a folder of CIF files", Required = true };
        var reference = Reference();
        var sample = Sample();
        var weights = Weights();
        var target = new Option<double>("--target-gap") { Description = "p̂ of the target_gap column (eV)", DefaultValueFactory = _ => 1.12 };
        var beta = new Option<double>("--beta") { Description = "β of exp(−(gap − p̂)²/β)", DefaultValueFactory = _ => 1.0 };
        var config = new Option<string?>("--config") { Description = "A campaign config: adds a `total` column, its reward block's weighted, normalised sum (normalised over the whole file), e.g. to relabel offline data (`offline train --rewards`)" };
        var output = new Option<string>("--out") { Description = "CSV: index,material_id,formula,unique,novel,creativity,e_above_hull_ev,energy,smact_valid,gap_ev,target_gap,structure_diversity,composition_diversity[,total]", Required = true };
        var cmd = new Command("components", "Every reward component (raw, unweighted, not normalised) per crystal of a file, computed as one batch: creativity against --reference, energy above the MP-20 hull, SMACT, predicted gap, diversity (per-sample MMD).");
        foreach (var o in new Option[] { data, reference, sample, weights, target, beta, config, output }) cmd.Options.Add(o);
        var strict = new BatchOptions(perRecordWork: false);
        strict.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var path = p.GetValue(data)!;
            var errors = strict.Start(p, "reward components");
            var records = Directory.Exists(path)
                ? GeneratedStructures.Read(path, null, errors).Select((s, i) => (Id: s.Id ?? $"cif-{i}", Structure: s)).ToList()
                : CrystalDataReader.ReadRecords(path, errors.Report).Where(r => r.Structure is not null)
                    .Select(r => (Id: r.MaterialId, Structure: r.Structure!)).ToList();
            if (records.Count == 0) throw new InvalidDataException($"{path}: no crystals with coordinates");
            var kinds = RewardComponentOptions.Kinds.Select(k => new RewardComponentOptions { Kind = k }).ToList();
            var reward = CompositeReward.FromOptions(kinds, p.GetValue(target), p.GetValue(beta));
            var w = SharedPaths.Resolve(p.GetValue(weights)!);
            using var scorer = new RewardScorer(reward, Resolved(new RewardSetup { Reference = SharedPaths.Resolve(p.GetValue(reference)!), ReferenceSample = p.GetValue(sample) }), w);
            using var gapModel = Models.Megnet.BandGapModel.Load(w);
            var structures = records.Select(r => r.Structure).ToList();
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var s = scorer.Score(structures, gapModel);
            Log.Information("{Count} crystals scored in {Seconds:F1} s", structures.Count, sw.Elapsed.TotalSeconds);
            var b = s.Inputs;
            double[]? total = null;
            if (p.GetValue(config) is { } configPath)
            {
                var campaign = Campaign.CampaignOptions.Load(configPath);
                if (!campaign.Reward.IsMultiObjective) throw new ArgumentException($"{configPath}: its reward block lists no components");
                total = CompositeReward.FromOptions(campaign.Reward.Components, campaign.TargetGapEv, campaign.RewardBeta, campaign.Reward.SmactGate,
                    campaign.Reward.GatePenalty).Evaluate(b).Total;
            }
            string[] columns = ["index", "material_id", "formula", "unique", "novel", "creativity", "e_above_hull_ev", "energy", "smact_valid",
                "gap_ev", "target_gap", "structure_diversity", "composition_diversity"];
            string F(double? v) => v is { } x && double.IsFinite(x) ? (x == 0 ? 0.0 : x).ToString("R", Inv) : ""; // no "-0"
            AtomicFile.Write(p.GetValue(output)!, stream =>
            {
                using var csv = CsvHelper.CsvWriter.Create(stream, CsvHelper.CsvWriterOptions.Default, leaveOpen: true);
                csv.WriteHeader(total is null ? columns : [.. columns, "total"]);
                for (int i = 0; i < structures.Count; i++)
                {
                    string[] row =
                    [
                        i.ToString(Inv), records[i].Id, structures[i].Composition.ReducedFormula, b.Unique![i].ToString(), b.Novel![i].ToString(),
                        F(s.Components["creativity"][i]), F(b.EnergyAboveHullEv![i]), F(s.Components["energy"][i]),
                        SmactValidity.IsValid(structures[i]).ToString(), F(b.GapsEv![i]), F(s.Components["target_gap"][i]),
                        F(s.Components["structure_diversity"][i]), F(s.Components["composition_diversity"][i]),
                    ];
                    csv.WriteRecord(total is null ? row : [.. row, F(total[i])]);
                }
            });
            Console.WriteLine($"{structures.Count} crystals -> {p.GetValue(output)}");
            return 0;
        });
        return cmd;
    }

    /// <summary>Hull data and M3GNet weights where the shared folder is (the defaults are relative to a config in cluster-config/).</summary>
    private static RewardSetup Resolved(RewardSetup s)
    {
        var shared = SharedPaths.RequireShared("data");
        return s with
        {
            HullData = [Path.Combine(shared, "data", "mp20", "mp20_train_nocoords.jsonl.gz"), Path.Combine(shared, "data", "mp20", "mp20_val.jsonl.gz")],
            EnergyWeights = Path.Combine(shared, "reference", "m3gnet", "M3GNet-MP-2021.2.8-PES.safetensors"),
        };
    }
}

/// <summary>Generated crystals from what the generators write: CIF folders, `offline generate` outputs, data files.</summary>
public static class GeneratedStructures
{
    /// <param name="errors">Where a bad record of a data file goes.</param>
    public static List<Structure> Read(string path, string? skeletons, RecordErrors errors, int lastEpisodes = 512)
    {
        var journal = Path.Combine(path, "state", "journal.db");
        if (Directory.Exists(path) && File.Exists(journal))
        {
            // A campaign's run folder: the designs of its latest episodes, as the coordinator journaled them.
            var episodes = Runtime.Persistence.JournalReader.EventsAsync(Runtime.Cluster.JournalKind.Sqlite, journal, "campaign").GetAwaiter().GetResult()
                .OfType<Campaign.EpisodeCompleted>().OrderBy(e => e.Episode).ToList();
            if (episodes.Count == 0) throw new InvalidDataException($"{path}: the campaign journal has no episodes");
            return episodes.Skip(Math.Max(0, episodes.Count - lastEpisodes))
                .Select(e => Mp20JsonlReader.ParseLine(e.StructureJson, $"{journal} episode {e.Episode}").Structure!.WithId($"episode-{e.Episode}")).ToList();
        }
        if (Directory.Exists(path) && File.Exists(Path.Combine(path, Generation.JsonlName)) || path.EndsWith(Generation.JsonlName, StringComparison.Ordinal))
        {
            if (skeletons is null) throw new ArgumentException($"{path} is an `offline generate` output: pass --data with the skeletons' source file");
            var generated = Generation.Read(path);
            var ids = generated.Select(g => g.MaterialId).ToHashSet();
            var truth = Mp20JsonlReader.Read(skeletons).Where(r => ids.Contains(r.MaterialId) && r.Structure is not null)
                .GroupBy(r => r.MaterialId).ToDictionary(g => g.Key, g => g.First().Structure!);
            return generated.Where(g => truth.ContainsKey(g.MaterialId)).Select(g =>
            {
                var s = truth[g.MaterialId];
                return Structure.FromSpecies(s.Lattice, g.Species.Select(Element.FromSymbol).ToArray(), s.FracCoords.ToArray(), g.MaterialId);
            }).ToList();
        }
        if (Directory.Exists(path))
        {
            var files = Directory.GetFiles(path, "*.cif", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0) throw new InvalidDataException($"{path}: no CIF files and no {Generation.JsonlName}");
            return files.Select(f => CifReader.ReadFile(f).WithId(Path.GetFileNameWithoutExtension(f))).ToList();
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"'{path}' does not exist", path);
        return CrystalDataReader.ReadRecords(path, errors.Report).Where(r => r.Structure is not null)
            .Select(r => r.Structure!.WithId(r.MaterialId)).ToList();
    }
}
