using System.Text.Json;
using System.Text.Json.Serialization;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Torch;

namespace CrystalActors.Learning.Offline;

/// <summary>The elements a policy chose for one skeleton, per site in the source file's site order.</summary>
public sealed record GeneratedCrystal(
    [property: JsonPropertyName("material_id")] string MaterialId,
    [property: JsonPropertyName("species")] IReadOnlyList<string> Species);

/// <summary>
/// Rollouts from empty skeletons: every site starts unfilled (node type 88) and is filled in the skeleton's first
/// breadth-first order. Greedy rollouts run many skeletons at once: the concatenated graph is built once per batch
/// and each step is one forward pass for the whole batch (only node types and focus change).
/// </summary>
public static class Generation
{
    /// <summary>Greedy (argmax Q) rollouts of <paramref name="network"/> over every crystal of <paramref name="skeletons"/>.</summary>
    /// <param name="targetBandGap">p̂ written into the state of a conditioned network.</param>
    /// <param name="allowedActions">Optional vocabulary mask [88]: false actions are never chosen.</param>
    /// <param name="batchSize">Skeletons per forward pass.</param>
    public static int[][] Greedy(QNetwork network, TrajectoryDataset skeletons, double targetBandGap, bool[]? allowedActions = null,
        int batchSize = 256, Device? device = null)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be positive");
        CheckMask(allowedActions);
        var dev = device ?? Device.CPU;
        var result = new int[skeletons.CrystalCount][];
        Tensor? maskBias = null;
        if (allowedActions is not null)
        {
            using var maskScope = DisposeScope.Open();
            maskBias = Tensor.From(allowedActions.Select(a => a ? 0f : float.NegativeInfinity).ToArray(), 1, ActionVocabulary.Count).To(dev).DetachFromDisposeScope();
        }
        // A batch runs as many steps as its largest skeleton has sites: batching skeletons of similar size wastes
        // fewer forward passes on finished ones. Results do not depend on the batching.
        var bySize = Enumerable.Range(0, skeletons.CrystalCount).OrderBy(skeletons.NumSites).ToArray();
        var chunks = new List<int[]>();
        for (int start = 0; start < bySize.Length; start += batchSize)
            chunks.Add(bySize.AsSpan(start, Math.Min(batchSize, bySize.Length - start)).ToArray());
        // With one libtorch thread, independent batches run on the machine's cores side by side (each thread has its
        // own builder buffers, dispose scope and grad mode); with more, libtorch parallelises inside each op.
        int parallel = dev.Type == DeviceType.CPU && Torch.Torch.NumThreads == 1 ? Math.Min(Environment.ProcessorCount, chunks.Count) : 1;
        try
        {
            Parallel.For(0, chunks.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallel) },
                () => new TransitionBatchBuilder(skeletons, network.Conditioned, targetBandGap, new float[skeletons.CrystalCount], dev),
                (i, _, builder) =>
                {
                    using var noGrad = NoGradScope.Enter();
                    RolloutBatch(network, skeletons, builder, chunks[i], maskBias, dev, result);
                    return builder;
                },
                _ => { });
        }
        finally
        {
            maskBias?.Dispose();
        }
        return result;
    }

    private static void RolloutBatch(QNetwork network, TrajectoryDataset d, TransitionBatchBuilder builder, int[] crystals, Tensor? maskBias, Device dev, int[][] result)
    {
        using var scope = DisposeScope.Open();
        var graph = builder.BuildGraph(crystals);
        var globals = builder.BuildGlobals(crystals);
        int b = crystals.Length;
        var offsets = new int[b];
        int maxSites = 0, nodes = 0;
        for (int i = 0; i < b; i++)
        {
            offsets[i] = nodes;
            nodes += d.NumSites(crystals[i]);
            maxSites = Math.Max(maxSites, d.NumSites(crystals[i]));
            result[crystals[i]] = new int[d.NumSites(crystals[i])];
        }
        var nodeTypes = Enumerable.Repeat((long)ActionVocabulary.UnfilledNodeType, nodes).ToArray();
        var focus = new long[b];
        for (int t = 0; t < maxSites; t++)
        {
            using var step = DisposeScope.Open();
            // The focus mark is overwritten by the chosen element below.
            for (int i = 0; i < b; i++)
            {
                focus[i] = t < d.NumSites(crystals[i]) ? d.FirstOrder(crystals[i])[t] : TrajectoryDataset.NoFocus;
                StateEncoding.MarkFocus(nodeTypes, offsets[i], focus[i]);
            }
            var state = new StateTensors(Tensor.From<long>(nodeTypes, new long[] { nodes }, dev), Tensor.From<long>(focus, new long[] { b }, dev), globals, graph);
            var q = network.Forward(state);
            if (maskBias is not null) q = q + maskBias;
            var chosen = q.ArgMax(1).To(Device.CPU).ToArray<long>();
            for (int i = 0; i < b; i++)
            {
                int c = crystals[i];
                if (t >= d.NumSites(c)) continue;
                int site = d.FirstOrder(c)[t];
                nodeTypes[offsets[i] + site] = chosen[i];
                result[c][site] = (int)chosen[i];
            }
        }
    }

    /// <summary>The uniform random policy: each site gets an action drawn uniformly from the allowed ones.</summary>
    public static int[][] Random(TrajectoryDataset skeletons, ulong seed, bool[]? allowedActions = null)
    {
        CheckMask(allowedActions);
        var allowed = Enumerable.Range(0, ActionVocabulary.Count).Where(a => allowedActions?[a] ?? true).ToArray();
        var rng = new SplitMix64(seed);
        var result = new int[skeletons.CrystalCount][];
        for (int c = 0; c < skeletons.CrystalCount; c++)
        {
            result[c] = new int[skeletons.NumSites(c)];
            foreach (int site in skeletons.FirstOrder(c)) result[c][site] = allowed[rng.NextInt(allowed.Length)];
        }
        return result;
    }

    private static void CheckMask(bool[]? allowedActions)
    {
        if (allowedActions is null) return;
        if (allowedActions.Length != ActionVocabulary.Count)
            throw new ArgumentException($"the vocabulary mask has {allowedActions.Length} entries, expected {ActionVocabulary.Count}", nameof(allowedActions));
        if (!allowedActions.Any(a => a)) throw new ArgumentException("the vocabulary mask allows no element", nameof(allowedActions));
    }

    /// <summary>A vocabulary mask allowing only the given element symbols (e.g. "Si,O,Ga,As").</summary>
    /// <exception cref="ArgumentException">a symbol that is not an element of the 88-action vocabulary.</exception>
    public static bool[] VocabularyMask(IEnumerable<string> symbols)
    {
        var mask = new bool[ActionVocabulary.Count];
        foreach (var raw in symbols)
        {
            var s = raw.Trim();
            if (s.Length == 0) continue;
            if (!Element.TryFromSymbol(s, out var e) || !ActionVocabulary.TryGetActionIndex(e, out int k))
                throw new ArgumentException($"'{s}' is not an element of the 88-action vocabulary");
            mask[k] = true;
        }
        return mask;
    }

    public const string JsonlName = "generated.jsonl";

    /// <summary>Writes <c>generated.jsonl</c> (one <see cref="GeneratedCrystal"/> per line) and <c>cif/&lt;id&gt;.cif</c>.</summary>
    public static IReadOnlyList<GeneratedCrystal> Write(string outDir, TrajectoryDataset skeletons, int[][] actions)
    {
        if (actions.Length != skeletons.CrystalCount)
            throw new ArgumentException($"{actions.Length} generated crystals for {skeletons.CrystalCount} skeletons", nameof(actions));
        var cifDir = Path.Combine(outDir, "cif");
        Directory.CreateDirectory(cifDir);
        var list = new List<GeneratedCrystal>(actions.Length);
        for (int c = 0; c < actions.Length; c++)
        {
            var species = actions[c].Select(ActionVocabulary.ElementAt).ToArray();
            list.Add(new GeneratedCrystal(skeletons.Ids[c], species.Select(e => e.Symbol).ToArray()));
            CifWriter.WriteFile(skeletons.StructureWith(c, species), Path.Combine(cifDir, SafeFileName(skeletons.Ids[c]) + ".cif"));
        }
        // Last and whole: a generated.jsonl that exists lists every CIF beside it.
        AtomicFile.WriteAllText(Path.Combine(outDir, JsonlName), string.Concat(list.Select(g => JsonSerializer.Serialize(g) + "\n")));
        return list;
    }

    private static string SafeFileName(string id) => string.Concat(id.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '_'));

    /// <summary>Reads a <c>generated.jsonl</c> (or the one in a directory).</summary>
    /// <exception cref="InvalidDataException">a malformed line (file and line number in the message).</exception>
    public static IReadOnlyList<GeneratedCrystal> Read(string fileOrDir)
    {
        var path = Directory.Exists(fileOrDir) ? Path.Combine(fileOrDir, JsonlName) : fileOrDir;
        if (!File.Exists(path)) throw new FileNotFoundException($"generated crystals not found: {path}", path);
        var list = new List<GeneratedCrystal>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            GeneratedCrystal? g;
            try { g = JsonSerializer.Deserialize<GeneratedCrystal>(line); }
            catch (JsonException e) { throw new InvalidDataException($"{path}:{lineNo}: invalid JSON ({e.Message})", e); }
            if (g?.MaterialId is null || g.Species is null)
                throw new InvalidDataException($"{path}:{lineNo}: needs \"material_id\" and \"species\"");
            list.Add(g);
        }
        return list;
    }
}
