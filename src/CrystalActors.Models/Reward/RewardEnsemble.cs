using CrystalActors.Crystals;
using CrystalActors.Models.Megnet;
using Serilog;

namespace CrystalActors.Models.Reward;

/// <summary>Per-crystal ensemble mean and standard deviation (eV) of the members' clipped gaps; <see cref="Members"/>[k][i].</summary>
public sealed record EnsemblePrediction(double[] Mean, double[] Std, double[][] Members);

/// <summary>
/// An ensemble of K band-gap models (default 4): the pretrained model plus members fine-tuned with different seeds
/// and bootstrap draws of the DFT data. The spread of their predictions is the uncertainty the campaign uses to
/// decide which crystals deserve a DFT call. Std is the population standard deviation over members (ddof = 0).
/// </summary>
public sealed class RewardEnsemble : IDisposable
{
    public const int DefaultSize = 4;

    public IReadOnlyList<BandGapModel> Members { get; }

    /// <summary>Takes ownership of <paramref name="members"/> (at least one; all must share the element list and cutoff).</summary>
    public RewardEnsemble(IReadOnlyList<BandGapModel> members)
    {
        if (members is null || members.Count == 0) throw new ArgumentException("an ensemble needs at least one member", nameof(members));
        Members = members;
    }

    /// <summary>Predicts with every member on graphs built once.</summary>
    public EnsemblePrediction Predict(IReadOnlyList<Structure> structures, Fidelity fidelity = Fidelity.Pbe, int batchSize = 512)
    {
        var graphs = Members[0].BuildGraphs(structures, fidelity);
        var perMember = Members.Select(m => m.Predict(graphs, batchSize).GapsEv).ToArray();
        return Combine(perMember);
    }

    /// <summary>Mean and population std over members for each crystal.</summary>
    public static EnsemblePrediction Combine(double[][] members)
    {
        if (members.Length == 0) throw new ArgumentException("no member predictions", nameof(members));
        int n = members[0].Length;
        if (members.Any(m => m.Length != n)) throw new ArgumentException("members predicted different numbers of crystals", nameof(members));
        var mean = new double[n];
        var std = new double[n];
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            foreach (var m in members) s += m[i];
            double mu = s / members.Length;
            double v = 0;
            foreach (var m in members) v += (m[i] - mu) * (m[i] - mu);
            mean[i] = mu;
            std[i] = Math.Sqrt(v / members.Length);
        }
        return new EnsemblePrediction(mean, std, members);
    }

    /// <summary>Loads every *.safetensors file in <paramref name="directory"/> (ordinal name order) as a member.</summary>
    public static RewardEnsemble Load(string directory)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"ensemble directory '{directory}' does not exist");
        var files = Directory.GetFiles(directory, "*.safetensors").OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new InvalidDataException($"ensemble directory '{directory}' holds no *.safetensors member files");
        var members = new List<BandGapModel>();
        try
        {
            foreach (var f in files) members.Add(BandGapModel.Load(f));
        }
        catch
        {
            foreach (var m in members) m.Dispose();
            throw;
        }
        return new RewardEnsemble(members);
    }

    /// <summary>
    /// Builds a K-member ensemble: member 0 is a copy of <paramref name="pretrained"/>; member k ≥ 1 is fine-tuned on a
    /// bootstrap draw of <paramref name="samples"/> with seed <c>options.Seed + k</c>. Members are written to
    /// <paramref name="outputDirectory"/> as member_00.safetensors, ... when it is given (existing files are an error).
    /// </summary>
    public static RewardEnsemble Train(BandGapModel pretrained, IReadOnlyList<RewardSample> samples, int size, FineTuneOptions options,
        string? outputDirectory = null)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "ensemble size must be ≥ 1");
        if (outputDirectory is not null) Directory.CreateDirectory(outputDirectory);
        string? PathOf(int k) => outputDirectory is null ? null : Path.Combine(outputDirectory, $"member_{k:D2}.safetensors");
        var members = new List<BandGapModel>(size);
        var graphs = pretrained.BuildGraphs(samples.Select(s => s.Structure).ToList(), options.Fidelity);
        var targets = samples.Select(s => s.GapEv).ToArray();
        try
        {
            var first = pretrained.Clone();
            members.Add(first);
            if (PathOf(0) is { } p0) first.SaveNew(p0);
            for (int k = 1; k < size; k++)
            {
                var tuner = new RewardModelFineTuner(options with { Seed = options.Seed + (ulong)k, Bootstrap = true, AddToReplay = false });
                var result = tuner.FineTune(pretrained, graphs, targets, PathOf(k));
                members.Add(result.Model);
                Log.Information("Ensemble member {K}/{Size}: loss {First:F4} -> {Last:F4}", k + 1, size, result.Losses[0], result.Losses[^1]);
            }
        }
        catch
        {
            foreach (var m in members) m.Dispose();
            throw;
        }
        return new RewardEnsemble(members);
    }

    public void Dispose()
    {
        foreach (var m in Members) m.Dispose();
    }
}
