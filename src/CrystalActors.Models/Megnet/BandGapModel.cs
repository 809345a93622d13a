using System.Globalization;
using System.Text.Json;
using CrystalActors.Crystals;
using CrystalActors.Torch;
using CrystalActors.Torch.Serialization;
using Serilog;

namespace CrystalActors.Models.Megnet;

/// <summary>DFT functional of the multi-fidelity band-gap MEGNet; the value is the state index of the model.</summary>
public enum Fidelity { Pbe = 0, GllbSc = 1, Hse = 2, Scan = 3 }

public static class FidelityNames
{
    /// <summary>Parses "pbe", "gllb-sc" (or "gllbsc"), "hse", "scan", case-insensitively.</summary>
    public static Fidelity Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "pbe" => Fidelity.Pbe,
        "gllb-sc" or "gllbsc" or "gllb_sc" => Fidelity.GllbSc,
        "hse" => Fidelity.Hse,
        "scan" => Fidelity.Scan,
        _ => throw new ArgumentException($"unknown fidelity '{name}'; valid: pbe, gllb-sc, hse, scan"),
    };

    /// <summary>The label used by matgl and the reference files (PBE, GLLB-SC, HSE, SCAN).</summary>
    public static string Label(this Fidelity f) => f switch
    {
        Fidelity.Pbe => "PBE",
        Fidelity.GllbSc => "GLLB-SC",
        Fidelity.Hse => "HSE",
        Fidelity.Scan => "SCAN",
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, null),
    };
}

/// <summary>Band gaps of a batch: <see cref="GapsEv"/> clipped at 0, <see cref="RawEv"/> as the network gives them.</summary>
public sealed record BandGapPrediction(double[] GapsEv, double[] RawEv, int NegativeCount, int Version);

/// <summary>
/// matgl's <c>TransformedTargetModel(MEGNet, Normalizer)</c> for band gaps: a <see cref="MegnetModel"/>, the target
/// normaliser (gap = y·std + mean, eV), the element list and the radius-graph builder, loaded from a safetensors
/// file whose tensor names are matgl's ("model.…") and whose metadata holds the init arguments and normaliser.
/// Immutable after loading except through <see cref="Network"/> (the fine-tuner trains a <see cref="Clone"/>).
/// </summary>
public sealed class BandGapModel : IDisposable
{
    /// <summary>Prefix of every tensor name in matgl's TransformedTargetModel state dict.</summary>
    public const string StatePrefix = "model.";
    /// <summary>Metadata key of the fine-tuning version (absent = 0, the pretrained weights).</summary>
    public const string VersionKey = "reward_model_version";

    public MegnetModel Network { get; }
    public MegnetGraphBuilder GraphBuilder { get; }
    public double NormalizerMean { get; }
    public double NormalizerStd { get; }
    /// <summary>0 for the pretrained file, then 1, 2, ... for each fine-tuned version.</summary>
    public int Version { get; }
    /// <summary>The file's metadata (carried over into fine-tuned versions).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
    /// <summary>The file these weights were loaded from or last saved to; null for an unsaved in-memory copy.</summary>
    public string? SourcePath { get; private set; }

    /// <summary>Where the network runs; graphs are batched onto it.</summary>
    public Device Device { get; }

    private BandGapModel(MegnetModel network, MegnetGraphBuilder builder, double mean, double std, int version,
        IReadOnlyDictionary<string, string> metadata, string? sourcePath, Device device)
    {
        Device = device;
        network.To(device);
        Network = network;
        GraphBuilder = builder;
        NormalizerMean = mean;
        NormalizerStd = std;
        Version = version;
        Metadata = metadata;
        SourcePath = sourcePath;
    }

    /// <summary>Loads weights strictly (every tensor of the file used, every parameter found) and the metadata.</summary>
    /// <exception cref="InvalidDataException">missing metadata, or tensors that do not match the architecture (names the file).</exception>
    public static BandGapModel Load(string path, Device? device = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"band-gap weight file '{path}' does not exist", path);
        using var file = SafeTensors.Load(path);
        var meta = file.Metadata;
        string Need(string key) => meta.TryGetValue(key, out var v) ? v
            : throw new InvalidDataException($"{path}: metadata key '{key}' is missing (expected matgl MEGNet init args, normaliser and element_types)");

        string[] elements;
        MegnetConfig config;
        int version;
        try
        {
            elements = JsonSerializer.Deserialize<string[]>(Need("element_types"))
                ?? throw new InvalidDataException($"{path}: element_types is not a JSON list of symbols");
            config = MegnetConfig.FromMatglInitArgs(Need("megnet_init_args"), elements.Length);
            version = meta.TryGetValue(VersionKey, out var ver) ? int.Parse(ver, CultureInfo.InvariantCulture) : 0;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or OverflowException)
        {
            // Metadata of the wrong form (JSON that does not parse, a string for a number): the file's fault, named.
            throw new InvalidDataException($"{path}: metadata: {e.Message}", e);
        }
        double mean = ParseDouble(path, "normalizer_mean", Need("normalizer_mean"));
        double std = ParseDouble(path, "normalizer_std", Need("normalizer_std"));

        var state = new Dictionary<string, Tensor>();
        foreach (var (name, t) in file.Tensors)
        {
            if (!name.StartsWith(StatePrefix, StringComparison.Ordinal))
                throw new InvalidDataException($"{path}: tensor '{name}' does not start with '{StatePrefix}' (not a TransformedTargetModel state dict)");
            state[name[StatePrefix.Length..]] = t;
        }
        var network = new MegnetModel(config);
        try
        {
            network.LoadStateDict(state, strict: true);
        }
        catch (ArgumentException e)
        {
            network.Dispose();
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        network.Eval();
        return new BandGapModel(network, new MegnetGraphBuilder(elements, config.Cutoff), mean, std, version,
            new Dictionary<string, string>(meta), Path.GetFullPath(path), device ?? Device.CPU);
    }

    private static double ParseDouble(string path, string key, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && (key != "normalizer_std" || v > 0)
            ? v : throw new InvalidDataException($"{path}: metadata {key} = '{text}' is not a valid number");

    /// <summary>A deep copy with the same weights (for fine-tuning without touching this instance).</summary>
    public BandGapModel Clone(int? version = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var network = new MegnetModel(Network.Config);
        network.LoadStateDict(Network.StateDict(), strict: true);
        network.Eval();
        return new BandGapModel(network, GraphBuilder, NormalizerMean, NormalizerStd, version ?? Version, metadata ?? Metadata, sourcePath: null, Device);
    }

    /// <summary>Builds the graphs once (reusable at every fidelity and across fine-tuning steps).</summary>
    public MegnetGraph[] BuildGraphs(IReadOnlyList<Structure> structures, Fidelity fidelity = Fidelity.Pbe)
    {
        var graphs = new MegnetGraph[structures.Count];
        Parallel.For(0, structures.Count, i => graphs[i] = GraphBuilder.Build(structures[i], (int)fidelity));
        return graphs;
    }

    /// <summary>Normalised network output [graphs] for a batch (y, not yet y·std + mean); keeps the autograd graph.</summary>
    public Tensor ForwardNormalized(MegnetGraphBatch batch)
    {
        using var y = Network.Forward(batch);
        return y.Reshape(-1);
    }

    /// <summary>Band gaps (eV) of structures at <paramref name="fidelity"/>, in batches of <paramref name="batchSize"/> crystals.</summary>
    public BandGapPrediction Predict(IReadOnlyList<Structure> structures, Fidelity fidelity = Fidelity.Pbe, int batchSize = 512) =>
        Predict(BuildGraphs(structures, fidelity), batchSize);

    /// <summary>Band gaps (eV) of prebuilt graphs (their state index selects the fidelity). Negative raw values are
    /// clipped to 0 and counted; the count is logged because a negative gap means the network is extrapolating.</summary>
    public BandGapPrediction Predict(IReadOnlyList<MegnetGraph> graphs, int batchSize = 512)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be ≥ 1");
        var raw = new double[graphs.Count];
        using (NoGradScope.Enter())
        {
            for (int start = 0; start < graphs.Count; start += batchSize)
            {
                int n = Math.Min(batchSize, graphs.Count - start);
                using var scope = DisposeScope.Open();
                var slice = new MegnetGraph[n];
                for (int i = 0; i < n; i++) slice[i] = graphs[start + i];
                using var batch = MegnetGraphBatch.Create(slice, Device);
                var y = ForwardNormalized(batch).To(ScalarType.Float64).ToArray<double>();
                for (int i = 0; i < n; i++) raw[start + i] = y[i] * NormalizerStd + NormalizerMean;
            }
        }
        return Clip(raw, Version);
    }

    /// <summary>
    /// Learned embeddings of crystals, for the diversity rewards and the DNG table (in place of Chemeleon2's VAE
    /// features, which this project does not have): the structure embedding is the graph-level readout the gap head reads
    /// (<see cref="MegnetModel.Readout(MegnetGraphBatch)"/>); the composition embedding is the mean of the learned element
    /// embeddings over the sites (Chemeleon2 likewise averages its atom-type embeddings).
    /// </summary>
    public (double[][] Structure, double[][] Composition) Embed(IReadOnlyList<Structure> structures, Fidelity fidelity = Fidelity.Pbe, int batchSize = 512)
    {
        var graphs = BuildGraphs(structures, fidelity);
        var structural = new double[graphs.Length][];
        using (NoGradScope.Enter())
        {
            for (int start = 0; start < graphs.Length; start += batchSize)
            {
                int n = Math.Min(batchSize, graphs.Length - start);
                using var scope = DisposeScope.Open();
                using var batch = MegnetGraphBatch.Create(graphs.Skip(start).Take(n).ToArray(), Device);
                var r = Network.Readout(batch).To(ScalarType.Float64);
                int width = (int)r.Shape[1];
                var flat = r.ToArray<double>();
                for (int i = 0; i < n; i++) structural[start + i] = flat.AsSpan(i * width, width).ToArray();
            }
        }
        var table = Network.NodeEmbeddingTable ?? throw new InvalidOperationException("this MEGNet has no element embedding table");
        int dim = (int)table.Shape[1];
        double[] rows;
        using (NoGradScope.Enter())
        using (DisposeScope.Open()) rows = table.To(ScalarType.Float64).To(Device.CPU).ToArray<double>();
        var composition = graphs.Select(g =>
        {
            var v = new double[dim];
            foreach (var t in g.NodeTypes!)
                for (int k = 0; k < dim; k++) v[k] += rows[t * dim + k] / g.NumNodes;
            return v;
        }).ToArray();
        return (structural, composition);
    }

    /// <summary>Clips negative gaps to 0 and reports how many there were.</summary>
    public static BandGapPrediction Clip(double[] rawEv, int version)
    {
        var gaps = new double[rawEv.Length];
        int negative = 0;
        for (int i = 0; i < rawEv.Length; i++)
        {
            if (rawEv[i] < 0) negative++;
            gaps[i] = Math.Max(0.0, rawEv[i]);
        }
        if (negative > 0)
            Log.Debug("Band-gap model v{Version}: clipped {Negative} of {Count} negative predictions to 0 eV", version, negative, rawEv.Length);
        return new BandGapPrediction(gaps, rawEv, negative, version);
    }

    /// <summary>
    /// Writes the weights (matgl names) and metadata, plus <paramref name="extraMetadata"/>, to a NEW file: an existing
    /// file is never overwritten (weight versions are immutable). The write goes through a temporary file.
    /// </summary>
    /// <exception cref="IOException">the file already exists.</exception>
    public void SaveNew(string path, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        if (File.Exists(path)) throw new IOException($"weight file '{path}' already exists; versions are immutable, choose a new name");
        var meta = new Dictionary<string, string>(Metadata);
        meta[VersionKey] = Version.ToString(CultureInfo.InvariantCulture);
        if (extraMetadata is not null) foreach (var (k, v) in extraMetadata) meta[k] = v;
        var tensors = Network.StateDict().ToDictionary(p => StatePrefix + p.Key, p => p.Value);
        var full = Path.GetFullPath(path);
        var tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
        SafeTensors.Save(tmp, tensors, meta);
        try
        {
            File.Move(tmp, full, overwrite: false);
            SourcePath = full;
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }

    public void Dispose() => Network.Dispose();
}
