using System.Globalization;
using CrystalActors.Learning.Environments.Skeletons;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Crystals.Validity;
using CsvHelper;

namespace CrystalActors.Campaign.Reporting;

/// <summary>
/// One row of runs/&lt;name&gt;/designs.csv: a design that reached DFT, or one of the top designs by reward that did not.
/// Formulas are pymatgen's reduced formula (as everywhere in the project); gaps in eV; energies in eV/atom.
/// </summary>
public sealed record DesignRow(
    string Source,
    int? TopRank,
    string? JobId,
    long Episode,
    string Formula,
    double? Reward,
    double? DftReward,
    double? PredictedGapEv,
    double? DftGapEv,
    double? DftEnergyPerAtomEv,
    string? DftStatus,
    bool SmactValid,
    bool Relaxed,
    string Cif,
    string? RelaxedCif)
{
    /// <summary>designs.csv's header, in column order.</summary>
    public static readonly string[] Columns =
    [
        "source", "top_rank", "job_id", "episode", "formula", "reward", "dft_reward", "predicted_gap_ev", "dft_gap_ev",
        "dft_energy_per_atom_ev", "dft_status", "smact_valid", "relaxed", "cif", "relaxed_cif",
    ];

    /// <summary>The row's fields in <see cref="Columns"/> order: invariant culture, round-trip doubles, empty = unknown.</summary>
    public string[] Fields()
    {
        static string F(double? x) => x?.ToString("R", CultureInfo.InvariantCulture) ?? "";
        return
        [
            Source, TopRank?.ToString(CultureInfo.InvariantCulture) ?? "", JobId ?? "", Episode.ToString(CultureInfo.InvariantCulture), Formula,
            F(Reward), F(DftReward), F(PredictedGapEv), F(DftGapEv), F(DftEnergyPerAtomEv), DftStatus ?? "",
            SmactValid ? "true" : "false", Relaxed ? "true" : "false", Cif, RelaxedCif ?? "",
        ];
    }
}

/// <summary>
/// designs.csv and its CIFs: every design whose DFT job ended (source "dft", in the order they ended; <c>top_rank</c>
/// set when it is also among the campaign's best by reward), then the best designs by reward that never reached DFT
/// (source "top"). Each design's fill is written to designs/&lt;job&gt;.cif (or designs/top-NN.cif) and, when the relaxer
/// moved it, the structure DFT computed to designs/&lt;job&gt;.relaxed.cif; the row's values are also data items
/// <c>_crystal_actors_*</c> of each CIF, which pymatgen, ASE and VESTA read past. Paths in the CSV are relative to the
/// run folder.
/// </summary>
public static class DesignsTable
{
    public const string FileName = "designs.csv";
    public const string CifFolder = "designs";

    public static IReadOnlyList<DesignRow> Rows(CampaignState s, CampaignOptions o)
    {
        var rank = s.Best.Select((b, i) => (b.Episode, Rank: i + 1)).ToDictionary(p => p.Episode, p => p.Rank);
        var rows = new List<DesignRow>();
        var done = new HashSet<long>();
        foreach (var d in s.Designs)
        {
            var (q, f) = (d.Request, d.Result);
            var designed = Parse(q.StructureJson, q.JobId);
            var computed = f.RelaxedStructureJson is { } r ? Parse(r, q.JobId) : null;
            bool relaxed = computed is not null && f.RelaxedStructureJson != q.StructureJson;
            double? dftReward = f.Success
                ? OnlineReward.Terminal(designed.Composition.Elements.Count, f.GapEv, dftFailed: false, o.TargetGapEv, o.RewardBeta)
                : OnlineReward.Penalty;
            rows.Add(new DesignRow("dft", rank.TryGetValue(q.Episode, out var k) ? k : null, q.JobId, q.Episode, q.Formula, q.Reward, dftReward,
                q.PredictedGapEv, f.Success ? f.GapEv : null, f.Success && f.EnergyEv is { } e ? e / (computed ?? designed).NumSites : null,
                f.Success ? "ok" : f.FailureClass ?? "unknown", SmactValidity.IsValid(designed), relaxed,
                Path.Combine(CifFolder, $"{Safe(q.JobId)}.cif"), relaxed ? Path.Combine(CifFolder, $"{Safe(q.JobId)}.relaxed.cif") : null));
            done.Add(q.Episode);
        }
        for (int i = 0; i < s.Best.Count; i++)
        {
            var b = s.Best[i];
            if (done.Contains(b.Episode)) continue;
            var structure = Parse(b.StructureJson, $"episode {b.Episode}");
            rows.Add(new DesignRow("top", i + 1, null, b.Episode, b.Formula, b.Reward, null, b.PredictedGapEv, null, null, null,
                SmactValidity.IsValid(structure), false, Path.Combine(CifFolder, $"top-{i + 1:D2}.cif"), null));
        }
        return rows;
    }

    /// <summary>Writes designs.csv and the CIFs under <paramref name="runDirectory"/>, each file atomically.</summary>
    public static IReadOnlyList<DesignRow> Write(string runDirectory, CampaignState s, CampaignOptions o)
    {
        var rows = Rows(s, o);
        Directory.CreateDirectory(Path.Combine(runDirectory, CifFolder));
        var structures = s.Designs.ToDictionary(d => d.Request.Episode, d => (d.Request.StructureJson, d.Result.RelaxedStructureJson));
        foreach (var b in s.Best) structures.TryAdd(b.Episode, (b.StructureJson, null));
        foreach (var row in rows)
        {
            var (designedJson, computedJson) = structures[row.Episode];
            CifWriter.WriteFile(Parse(designedJson, row.Cif), Path.Combine(runDirectory, row.Cif), Items(row, "designed"));
            if (row.RelaxedCif is { } rc) CifWriter.WriteFile(Parse(computedJson!, rc), Path.Combine(runDirectory, rc), Items(row, "relaxed"));
        }
        AtomicFile.Write(Path.Combine(runDirectory, FileName), stream =>
        {
            using var csv = CsvWriter.Create(stream, CsvWriterOptions.Default, leaveOpen: true);
            csv.WriteHeader(DesignRow.Columns);
            foreach (var row in rows) csv.WriteRecord(row.Fields());
        });
        return rows;
    }

    private static List<(string, string?)> Items(DesignRow r, string which)
    {
        static string? F(double? x) => x?.ToString("R", CultureInfo.InvariantCulture);
        return
        [
            ("_crystal_actors_structure", which), ("_crystal_actors_source", r.Source), ("_crystal_actors_job_id", r.JobId),
            ("_crystal_actors_episode", r.Episode.ToString(CultureInfo.InvariantCulture)), ("_crystal_actors_reward", F(r.Reward)),
            ("_crystal_actors_dft_reward", F(r.DftReward)), ("_crystal_actors_predicted_gap_ev", F(r.PredictedGapEv)),
            ("_crystal_actors_dft_gap_ev", F(r.DftGapEv)), ("_crystal_actors_dft_energy_per_atom_ev", F(r.DftEnergyPerAtomEv)),
            ("_crystal_actors_dft_status", r.DftStatus), ("_crystal_actors_smact_valid", r.SmactValid ? "yes" : "no"),
        ];
    }

    private static Structure Parse(string json, string what) => Mp20JsonlReader.ParseLine(json, what).Structure
        ?? throw new InvalidDataException($"{what}: the journaled structure has no coordinates");

    /// <summary>A job id as a file name (ids are "name-eN"; anything else is replaced).</summary>
    private static string Safe(string id) => string.Concat(id.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
}
