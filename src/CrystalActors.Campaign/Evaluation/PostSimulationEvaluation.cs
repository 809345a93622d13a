using System.Security.Cryptography;
using System.Text;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Crystals.Validity;
using CrystalActors.Learning.Offline;

namespace CrystalActors.Campaign.Evaluation;

/// <summary>A generated crystal chosen for DFT, with the true crystal of the same skeleton.</summary>
public sealed record EvaluatedSkeleton(string MaterialId, Structure Generated, Structure True);

/// <summary>
/// The offline paper's judgement by DFT: N of the SMACT-valid generated crystals (chosen by seed) and the true crystals
/// of their skeletons are computed with the same protocol through the DFT farm (<see cref="DftBatch"/>), then compared
/// (<see cref="PostSimulationMetrics"/>). Job ids depend on the protocol, the relaxation choice and the crystal, so a
/// resumed or repeated evaluation asks for the same jobs, and two policies that generate the same crystal share one.
/// </summary>
public static class PostSimulationEvaluation
{
    /// <summary>The number of SMACT-valid generated crystals and the seeded choice of <paramref name="n"/> of those with at most
    /// <paramref name="maxSites"/> sites (all when null): DFT time grows steeply with the cell, so a small machine samples
    /// the small cells, and says so.</summary>
    public static (int Valid, IReadOnlyList<EvaluatedSkeleton> Chosen) Choose(IReadOnlyList<GeneratedCrystal> generated,
        IReadOnlyDictionary<string, Mp20Record> truth, int n, ulong seed, int? maxSites = null)
    {
        var valid = new List<EvaluatedSkeleton>();
        foreach (var g in generated)
        {
            var structure = StructureOf(g, truth);
            if (SmactValidity.IsValid(structure)) valid.Add(new EvaluatedSkeleton(g.MaterialId, structure, truth[g.MaterialId].Structure!));
        }
        var pool = maxSites is int m ? valid.Where(s => s.Generated.NumSites <= m).ToList() : valid;
        return (valid.Count, PostSimulationMetrics.Choose(pool, n, seed));
    }

    /// <summary>The generated crystal as a structure: its species on the lattice and coordinates of the true crystal of its skeleton.</summary>
    /// <exception cref="ArgumentException">the reference data lacks the skeleton, its coordinates, or has another site count.</exception>
    public static Structure StructureOf(GeneratedCrystal g, IReadOnlyDictionary<string, Mp20Record> truth)
    {
        if (!truth.TryGetValue(g.MaterialId, out var r) || r.Structure is null)
            throw new ArgumentException($"generated crystal {g.MaterialId} has no crystal with coordinates in the reference data");
        var species = g.Species.Select(Element.FromSymbol).ToArray();
        if (species.Length != r.Structure.NumSites)
            throw new ArgumentException($"generated crystal {g.MaterialId} has {species.Length} sites, the reference has {r.Structure.NumSites}");
        return Structure.FromSpecies(r.Structure.Lattice, species, r.Structure.FracCoords, g.MaterialId);
    }

    public static string JobId(string side, EvaluatedSkeleton s, DftBatchOptions o)
    {
        var structure = side == "true" ? s.True : s.Generated;
        var species = string.Join(",", structure.Species.Select(e => e.Symbol));
        var tag = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(species)))[..8];
        return $"{side}-{o.Protocol.Hash[..8]}{(o.Relax ? "-relaxed" : "")}-{s.MaterialId}-{tag}";
    }

    public static async Task<(PostSimulationMetrics Metrics, IReadOnlyList<DftPair> Pairs)> RunAsync(IReadOnlyList<EvaluatedSkeleton> chosen,
        double targetGapEv, DftBatchOptions o, Action<int, int>? progress = null, CancellationToken ct = default)
    {
        var jobs = chosen.SelectMany(s => new[]
        {
            new DftBatchJob(JobId("gen", s, o), s.Generated), new DftBatchJob(JobId("true", s, o), s.True),
        }).DistinctBy(j => j.JobId).ToList();
        var results = (await DftBatch.RunAsync(jobs, o, progress, ct).ConfigureAwait(false)).ToDictionary(r => r.JobId);
        var pairs = chosen.Select(s =>
        {
            var gen = results[JobId("gen", s, o)];
            var truth = results[JobId("true", s, o)];
            return new DftPair(s.MaterialId, gen.GapEv, gen.EnergyPerAtomEv, truth.GapEv, truth.EnergyPerAtomEv);
        }).ToList();
        return (PostSimulationMetrics.Compute(pairs, targetGapEv), pairs);
    }
}
