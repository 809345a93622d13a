namespace CrystalActors.Crystals.Validity;

/// <summary>
/// Composition validity exactly as CDVAE's <c>smact_validity(comp, count, use_pauling_test=True,
/// include_alloys=True)</c> computes it with SMACT 2.5.2 data (see ../shared/reference/README.md §2):
/// <list type="number">
/// <item>one element: valid (even a noble gas);</item>
/// <item>every element in SMACT's metals list: valid (alloy rule);</item>
/// <item>otherwise valid iff some tuple of SMACT oxidation states (one per element) is charge neutral on the
/// gcd-reduced counts and passes SMACT's Pauling electronegativity-order test.</item>
/// </list>
/// </summary>
public static class SmactValidity
{
    /// <summary>Most distinct elements checked (as many as an MP-20 crystal has sites): 20 take about 4 s at worst, and
    /// each further element multiplies the time.</summary>
    public const int MaxDistinctElements = 20;

    public static bool IsValid(Structure structure) => IsValid(structure.Composition);

    public static bool IsValid(Composition composition)
    {
        var byZ = composition.Reduced().CountsByZ;
        var elements = new Element[byZ.Count];
        var counts = new int[byZ.Count];
        for (int i = 0; i < byZ.Count; i++) (elements[i], counts[i]) = byZ[i];
        return IsValid(elements, counts);
    }

    /// <summary>Elements must be distinct and sorted by Z, counts gcd-reduced (CDVAE's convention; the result does
    /// not depend on the order except through SMACT's pair-order quirk, which this order reproduces).</summary>
    public static bool IsValid(ReadOnlySpan<Element> elements, ReadOnlySpan<int> counts)
    {
        if (elements.Length != counts.Length) throw new ArgumentException($"{elements.Length} elements but {counts.Length} counts");
        if (elements.Length == 0) throw new ArgumentException("empty composition");
        if (elements.Length > MaxDistinctElements)
            throw new ArgumentException($"{elements.Length} distinct elements: SMACT validity is checked for up to {MaxDistinctElements} " +
                                        "(its search over oxidation states grows exponentially with the number of elements)");
        if (elements.Length == 1) return true;
        bool allMetals = true;
        foreach (var e in elements) allMetals &= e.IsSmactMetal;
        if (allMetals) return true;

        int n = elements.Length;
        var states = new IReadOnlyList<int>[n];
        var minRest = new int[n + 1]; // smallest / largest charge the elements k.. can still contribute
        var maxRest = new int[n + 1];
        for (int k = n - 1; k >= 0; k--)
        {
            states[k] = elements[k].OxidationStates;
            if (states[k].Count == 0) return false; // the Cartesian product is empty
            minRest[k] = minRest[k + 1] + states[k].Min() * counts[k];
            maxRest[k] = maxRest[k + 1] + states[k].Max() * counts[k];
        }
        var chosen = new int[n];
        var enegs = new double?[n];
        for (int k = 0; k < n; k++) enegs[k] = elements[k].PaulingElectronegativity;
        return Search(0, 0, states, counts.ToArray(), minRest, maxRest, chosen, enegs);
    }

    // Depth-first walk over the oxidation-state product, pruned when the remaining elements cannot reach neutrality.
    private static bool Search(int k, int charge, IReadOnlyList<int>[] states, int[] counts, int[] minRest, int[] maxRest, int[] chosen, double?[] enegs)
    {
        if (k == states.Length) return charge == 0 && PaulingTestPasses(chosen, enegs);
        if (charge + minRest[k] > 0 || charge + maxRest[k] < 0) return false;
        foreach (int ox in states[k])
        {
            chosen[k] = ox;
            if (Search(k + 1, charge + ox * counts[k], states, counts, minRest, maxRest, chosen, enegs)) return true;
        }
        return false;
    }

    /// <summary>
    /// SMACT's <c>eneg_states_test</c> as called by CDVAE, including its quirk: comparing a missing
    /// electronegativity raises TypeError in Python, which CDVAE catches and counts as a pass for the whole
    /// tuple; that happens only for a pair of opposite-sign states, and only if no earlier pair failed.
    /// </summary>
    internal static bool PaulingTestPasses(ReadOnlySpan<int> ox, ReadOnlySpan<double?> eneg)
    {
        for (int a = 0; a < ox.Length; a++)
            for (int b = a + 1; b < ox.Length; b++)
            {
                if (ox[a] > 0 && ox[b] < 0)
                {
                    if (eneg[a] is null || eneg[b] is null) return true; // TypeError -> "assume it is okay"
                    if (eneg[a] >= eneg[b]) return false;
                }
                else if (ox[a] < 0 && ox[b] > 0)
                {
                    if (eneg[a] is null || eneg[b] is null) return true;
                    if (eneg[a] <= eneg[b]) return false;
                }
                else if (eneg[a] is null || eneg[b] is null)
                {
                    return false;
                }
            }
        return true;
    }
}
