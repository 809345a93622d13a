using System.Text.Json.Serialization;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Validity;

namespace CrystalActors.Learning.Offline;

/// <summary>
/// The pre-simulation metrics of crystal-design's Table 1, as fractions in [0, 1], averaged over crystals:
/// per-site accuracy (fraction of a crystal's sites given their true element), element-class similarity (fraction
/// given an element of the true element's class, 9 classes), SMACT composition validity of the generated crystal,
/// and reconstruction (every site correct).
/// </summary>
public sealed record GenerationMetrics(
    [property: JsonPropertyName("accuracy")] double Accuracy,
    [property: JsonPropertyName("similarity")] double Similarity,
    [property: JsonPropertyName("validity")] double Validity,
    [property: JsonPropertyName("reconstruction")] double Reconstruction,
    [property: JsonPropertyName("n")] int N)
{
    /// <summary>Metrics of generated species against the true species of the same sites.</summary>
    /// <exception cref="ArgumentException">a pair with different site counts, or no pairs.</exception>
    public static GenerationMetrics Compute(IReadOnlyList<(IReadOnlyList<Element> Generated, IReadOnlyList<Element> Truth)> pairs)
    {
        if (pairs.Count == 0) throw new ArgumentException("no generated crystals to evaluate", nameof(pairs));
        double acc = 0, sim = 0;
        int valid = 0, recon = 0;
        for (int i = 0; i < pairs.Count; i++)
        {
            var (gen, truth) = pairs[i];
            if (gen.Count != truth.Count || gen.Count == 0)
                throw new ArgumentException($"crystal {i}: {gen.Count} generated sites but {truth.Count} true sites");
            int same = 0, sameClass = 0;
            for (int s = 0; s < gen.Count; s++)
            {
                if (gen[s] == truth[s]) same++;
                if (ActionVocabulary.ClassOf(gen[s]) == ActionVocabulary.ClassOf(truth[s])) sameClass++;
            }
            acc += (double)same / gen.Count;
            sim += (double)sameClass / gen.Count;
            if (same == gen.Count) recon++;
            if (SmactValidity.IsValid(Composition.FromSpecies(gen))) valid++;
        }
        int n = pairs.Count;
        return new GenerationMetrics(acc / n, sim / n, (double)valid / n, (double)recon / n, n);
    }

    /// <summary>Matches generated crystals to the truth by material id.</summary>
    /// <exception cref="ArgumentException">a generated id missing from the truth (named), or a site-count mismatch.</exception>
    public static GenerationMetrics Compute(IReadOnlyList<GeneratedCrystal> generated, IReadOnlyDictionary<string, IReadOnlyList<Element>> truthById)
    {
        var pairs = new List<(IReadOnlyList<Element>, IReadOnlyList<Element>)>(generated.Count);
        foreach (var g in generated)
        {
            if (!truthById.TryGetValue(g.MaterialId, out var truth))
                throw new ArgumentException($"generated crystal {g.MaterialId} is not in the reference data");
            if (truth.Count != g.Species.Count)
                throw new ArgumentException($"generated crystal {g.MaterialId} has {g.Species.Count} sites, the reference has {truth.Count}");
            pairs.Add((g.Species.Select(Element.FromSymbol).ToArray(), truth));
        }
        return Compute(pairs);
    }

    /// <summary>The Table-1 row: percentages.</summary>
    public string TableRow(string label) =>
        FormattableString.Invariant($"| {label} | {100 * Accuracy:F2} | {100 * Similarity:F2} | {100 * Validity:F2} | {100 * Reconstruction:F2} | {N} |");

    public const string TableHeader = "| policy | accuracy % | similarity % | validity % | reconstruction % | n |";
}
