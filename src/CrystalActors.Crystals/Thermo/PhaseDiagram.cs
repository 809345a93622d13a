using System.Collections.Concurrent;

namespace CrystalActors.Crystals.Thermo;

/// <summary>
/// One phase of a <see cref="PhaseDiagram"/>: a composition and its energy per atom (eV/atom) on a formation-energy
/// scale (pymatgen's <c>PDEntry</c>, per atom). <see cref="Id"/> names it in messages and decompositions.
/// </summary>
public sealed record PhaseDiagramEntry(Composition Composition, double EnergyPerAtom, string? Id = null)
{
    /// <summary>True for the 0 eV/atom elemental reference the diagram adds for every element.</summary>
    public bool IsElementalReference { get; init; }

    /// <summary><see cref="Id"/>, else the reduced formula.</summary>
    public string Name => Id ?? Composition.ReducedFormula;

    public override string ToString() => $"{Name} ({Composition.ReducedFormula}, {EnergyPerAtom:G6} eV/atom)";
}

/// <summary>One phase of a decomposition and its share of the atoms (the shares sum to 1).</summary>
public readonly record struct DecompositionPart(PhaseDiagramEntry Entry, double Fraction);

/// <summary>
/// The lower convex hull of energy per atom over composition, for any number of elements, as pymatgen's
/// <c>PhaseDiagram</c> gives it: the hull energy at a composition x is the least Σ λ_i E_i over phases i of x's chemical
/// system (entries whose elements are all in x) with λ ≥ 0 and Σ λ_i x_i = x (atom fractions; Σ λ_i = 1 follows).
/// That linear programme is solved exactly (up to round-off) by a dense revised simplex whose first basis is the
/// elemental references, so no phase-1 is needed.
/// <para>Energies are per atom on a formation-energy scale: every element of the entries gets a reference entry at
/// 0 eV/atom (an elemental entry given at or below 0 takes its place). A hull built this way equals pymatgen's built
/// from the same entries plus those references; <see cref="EnergyAboveHull(Composition, double)"/> is pymatgen's
/// <c>get_e_above_hull(entry, allow_negative=True)</c> for an entry not in the diagram (negative below the hull).</para>
/// <para>Speed: per chemical system (sorted element set) the phases on the hull are found once and cached; phases
/// above it never enter a query again. Stability of a phase depends only on phases of its own element set and its
/// subsets, so that is cached per element set too and shared by every larger system. Thread-safe.</para>
/// </summary>
public sealed class PhaseDiagram
{
    /// <summary>A phase within this distance (eV/atom) of the hull counts as on it (pymatgen's stability tolerance
    /// is of the same order).</summary>
    public const double StabilityTolerance = 1e-9;

    /// <summary>Reduced costs above −this (eV/atom) end the simplex.</summary>
    private const double CostTolerance = 1e-12;
    /// <summary>Pivot elements at or below this are never chosen.</summary>
    private const double PivotTolerance = 1e-12;
    /// <summary>Fractions below this are dropped from a decomposition.</summary>
    private const double FractionTolerance = 1e-12;

    private readonly PhaseDiagramEntry[] _entries;
    private readonly Element[] _elements;
    private readonly UInt128 _elementMask;
    /// <summary>Lowest entry per reduced composition, grouped by exact element set.</summary>
    private readonly Dictionary<UInt128, Phase[]> _byElementSet;
    private readonly ConcurrentDictionary<UInt128, Lazy<Phase[]>> _stableByElementSet = new();
    private readonly ConcurrentDictionary<UInt128, Lazy<ChemicalSystem>> _systems = new();

    /// <summary>Builds the diagram. Nothing is solved yet: each chemical system is prepared at its first query.</summary>
    /// <exception cref="ArgumentException">a null entry or composition, or an entry whose energy is NaN or infinite
    /// (the message names the entry and its position).</exception>
    public PhaseDiagram(IEnumerable<PhaseDiagramEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        _entries = entries.ToArray();
        var lowest = new Dictionary<Composition, Phase>();
        var order = new List<Composition>();
        UInt128 all = 0;
        for (int i = 0; i < _entries.Length; i++)
        {
            var e = _entries[i] ?? throw new ArgumentException($"entry {i} is null", nameof(entries));
            if (e.Composition is null) throw new ArgumentException($"entry {i} ({e.Id ?? "no id"}) has no composition", nameof(entries));
            if (!double.IsFinite(e.EnergyPerAtom))
                throw new ArgumentException($"entry {i} ({e.Name}, {e.Composition.ReducedFormula}) has a non-finite energy per atom ({e.EnergyPerAtom})", nameof(entries));
            all |= MaskOf(e.Composition);
            Offer(e);
        }
        _elements = Element.All.Where(el => (all & Bit(el)) != 0).ToArray();
        _elementMask = all;
        // The elemental references last, so a given elemental entry at exactly 0 keeps its name.
        foreach (var el in _elements)
            Offer(new PhaseDiagramEntry(new Composition([new(el, 1)]), 0.0, $"{el.Symbol} (elemental reference)") { IsElementalReference = true });

        _byElementSet = order.Select(c => lowest[c]).GroupBy(p => p.Mask).ToDictionary(g => g.Key, g => g.ToArray());

        void Offer(PhaseDiagramEntry e)
        {
            var key = e.Composition.Reduced();
            if (lowest.TryGetValue(key, out var seen))
            {
                if (e.EnergyPerAtom < seen.Entry.EnergyPerAtom) lowest[key] = new Phase(e, MaskOf(e.Composition));
            }
            else
            {
                lowest[key] = new Phase(e, MaskOf(e.Composition));
                order.Add(key);
            }
        }
    }

    /// <summary>The entries as given (without the elemental references).</summary>
    public IReadOnlyList<PhaseDiagramEntry> Entries => _entries;

    /// <summary>Every element of the entries, by Z: the elements a query may contain.</summary>
    public IReadOnlyList<Element> Elements => _elements;

    /// <summary>Chemical systems prepared so far (each costs one hull search; later queries reuse it).</summary>
    public int CachedSystemCount => _systems.Count;

    /// <summary>pymatgen's chemical-system name: the element symbols sorted alphabetically, joined by '-' ("Fe-Li-O-P").</summary>
    public static string ChemicalSystemName(Composition composition) =>
        string.Join("-", composition.Elements.Select(e => e.Symbol).Order(StringComparer.Ordinal));

    /// <summary>The energy of the hull (eV/atom) at <paramref name="composition"/>.</summary>
    /// <exception cref="ArgumentException">an element that no entry contains, named.</exception>
    public double HullEnergyPerAtom(Composition composition)
    {
        var (system, b) = Prepare(composition);
        return Solve(system, b, out _, out _);
    }

    /// <summary>E − E_hull (eV/atom) for a phase of this composition and energy per atom; negative when it lies below
    /// the hull (pymatgen's <c>allow_negative=True</c>), 0 for a phase on it.</summary>
    /// <exception cref="ArgumentException">a non-finite energy, or an element that no entry contains.</exception>
    public double EnergyAboveHull(Composition composition, double energyPerAtom)
    {
        ArgumentNullException.ThrowIfNull(composition);
        if (!double.IsFinite(energyPerAtom))
            throw new ArgumentException($"{composition.ReducedFormula}: energy per atom is not finite ({energyPerAtom})", nameof(energyPerAtom));
        return energyPerAtom - HullEnergyPerAtom(composition);
    }

    /// <summary>E − E_hull of an entry (whether or not it is one of this diagram's).</summary>
    public double EnergyAboveHull(PhaseDiagramEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return EnergyAboveHull(entry.Composition, entry.EnergyPerAtom);
    }

    /// <summary>
    /// The phases on the hull whose mixture has <paramref name="composition"/> and the hull energy there, largest share
    /// first (pymatgen's <c>get_decomposition</c>, amounts per atom). A composition on a stable phase decomposes into
    /// that phase alone. Where the hull is flat several decompositions share the energy; one of them is returned.
    /// </summary>
    /// <exception cref="ArgumentException">an element that no entry contains, named.</exception>
    public IReadOnlyList<DecompositionPart> Decomposition(Composition composition)
    {
        var (system, b) = Prepare(composition);
        Solve(system, b, out var basis, out var lambda);
        var parts = new List<DecompositionPart>();
        for (int i = 0; i < basis.Length; i++)
            if (lambda[i] > FractionTolerance) parts.Add(new DecompositionPart(system.Phases[basis[i]].Entry, lambda[i]));
        double total = parts.Sum(p => p.Fraction);
        return parts.Select(p => p with { Fraction = p.Fraction / total }).OrderByDescending(p => p.Fraction).ToArray();
    }

    /// <summary>The phases on the hull of a chemical system (its elements and all their subsets), elemental references
    /// included, by number of elements then name.</summary>
    /// <exception cref="ArgumentException">an element that no entry contains, named.</exception>
    public IReadOnlyList<PhaseDiagramEntry> StableEntries(Composition chemicalSystem)
    {
        var (system, _) = Prepare(chemicalSystem);
        return system.Phases.Select(p => p.Entry).OrderBy(e => e.Composition.NumElements).ThenBy(e => e.Composition.ReducedFormula, StringComparer.Ordinal).ToArray();
    }

    // ---------------------------------------------------------------------------------------------------------------

    private readonly record struct Phase(PhaseDiagramEntry Entry, UInt128 Mask);

    /// <summary>A chemical system ready for queries: k elements by Z; the phases on its hull, the k elemental
    /// references first; their atom fractions as columns (column j at [j·k, j·k + k)).</summary>
    private sealed class ChemicalSystem(Element[] elements, Phase[] phases)
    {
        public readonly Element[] Elements = elements;
        public readonly Phase[] Phases = phases;
        public readonly double[] Energies = phases.Select(p => p.Entry.EnergyPerAtom).ToArray();
        public readonly double[] Columns = FractionColumns(elements, phases);
    }

    private (ChemicalSystem System, double[] B) Prepare(Composition composition)
    {
        ArgumentNullException.ThrowIfNull(composition);
        UInt128 mask = MaskOf(composition);
        if ((mask & ~_elementMask) != 0)
        {
            var unknown = composition.Elements.Where(e => (Bit(e) & _elementMask) == 0).Select(e => e.Symbol);
            throw new ArgumentException($"{composition.ReducedFormula}: element(s) {string.Join(", ", unknown)} not in the phase diagram " +
                                        $"(no entry contains them; its {_elements.Length} elements: {string.Join(" ", _elements.Select(e => e.Symbol))})", nameof(composition));
        }
        var system = _systems.GetOrAdd(mask, m => new Lazy<ChemicalSystem>(() => BuildSystem(m))).Value;
        double n = composition.NumAtoms;
        var b = new double[system.Elements.Length];
        for (int i = 0; i < b.Length; i++) b[i] = composition[system.Elements[i]] / n;
        return (system, b);
    }

    private ChemicalSystem BuildSystem(UInt128 mask)
    {
        var elements = ElementsOf(mask);
        var phases = new List<Phase>();
        // References first, in element order: they are the simplex's first basis (the identity).
        foreach (var el in elements) phases.AddRange(StableWithElementSet(Bit(el)));
        foreach (var sub in SubsetsPresent(mask))
            if (!IsSingleElement(sub)) phases.AddRange(StableWithElementSet(sub));
        return new ChemicalSystem(elements, phases.ToArray());
    }

    /// <summary>The phases with exactly this element set that lie on the hull of its chemical system.</summary>
    private Phase[] StableWithElementSet(UInt128 set) =>
        _stableByElementSet.GetOrAdd(set, s => new Lazy<Phase[]>(() => FindStable(s))).Value;

    private Phase[] FindStable(UInt128 set)
    {
        var own = _byElementSet.TryGetValue(set, out var p) ? p : [];
        if (IsSingleElement(set)) return own; // one phase per composition is kept: the lowest
        var elements = ElementsOf(set);
        // Candidates: the stable phases of every proper subset (references first), then this set's own phases.
        var pool = new List<Phase>();
        foreach (var el in elements) pool.AddRange(StableWithElementSet(Bit(el)));
        foreach (var sub in SubsetsPresent(set))
            if (sub != set && !IsSingleElement(sub)) pool.AddRange(StableWithElementSet(sub));
        int first = pool.Count;
        pool.AddRange(own);
        var system = new ChemicalSystem(elements, pool.ToArray());
        var stable = new List<Phase>();
        var b = new double[elements.Length];
        for (int j = first; j < pool.Count; j++)
        {
            Array.Copy(system.Columns, j * elements.Length, b, 0, elements.Length);
            double hull = Solve(system, b, out _, out _);
            if (pool[j].Entry.EnergyPerAtom - hull <= StabilityTolerance) stable.Add(pool[j]);
        }
        return stable.ToArray();
    }

    /// <summary>The element sets with entries that are subsets of <paramref name="mask"/> (itself included).</summary>
    private IEnumerable<UInt128> SubsetsPresent(UInt128 mask)
    {
        var bits = ElementsOf(mask).Select(Bit).ToArray();
        if (bits.Length <= 16 && (1 << bits.Length) <= _byElementSet.Count * 4)
        {
            for (int s = 1; s < 1 << bits.Length; s++)
            {
                UInt128 sub = 0;
                for (int i = 0; i < bits.Length; i++) if ((s >> i & 1) != 0) sub |= bits[i];
                if (_byElementSet.ContainsKey(sub)) yield return sub;
            }
        }
        else
        {
            foreach (var key in _byElementSet.Keys) if ((key & ~mask) == 0) yield return key;
        }
    }

    /// <summary>
    /// min c·λ subject to A λ = b, λ ≥ 0 (A: the system's fraction columns, c: their energies) by the revised simplex
    /// with an explicit k×k basis inverse. The first basis is the k elemental references (A's identity block, so
    /// λ = b ≥ 0 is feasible at once). Entering column: most negative reduced cost (Dantzig); after a degenerate
    /// step, the lowest-index one (Bland's rule, which cannot cycle). Returns the optimum; basis and lambda give the
    /// optimal phases (indices into the system) and their fractions.
    /// </summary>
    private static double Solve(ChemicalSystem system, double[] b, out int[] basis, out double[] lambda)
    {
        int k = system.Elements.Length, m = system.Phases.Length;
        double[] cols = system.Columns, cost = system.Energies;
        basis = new int[k];
        lambda = (double[])b.Clone();
        var inBasis = new bool[m];
        var binv = new double[k * k];
        var cb = new double[k];
        for (int i = 0; i < k; i++)
        {
            basis[i] = i;
            inBasis[i] = true;
            binv[i * k + i] = 1;
            cb[i] = cost[i];
        }
        var y = new double[k];
        var d = new double[k];
        bool bland = false;
        int maxIterations = 50 * (m + k) + 1000;
        for (int iteration = 0; ; iteration++)
        {
            if (iteration > maxIterations)
                throw new InvalidOperationException($"hull simplex did not converge in {maxIterations} steps ({k} elements, {m} phases)");
            // Simplex multipliers y = c_B B⁻¹.
            for (int j = 0; j < k; j++)
            {
                double s = 0;
                for (int i = 0; i < k; i++) s += cb[i] * binv[i * k + j];
                y[j] = s;
            }
            // Entering column.
            int q = -1;
            double best = -CostTolerance;
            for (int j = 0; j < m; j++)
            {
                if (inBasis[j]) continue;
                double r = cost[j];
                int o = j * k;
                for (int i = 0; i < k; i++) r -= y[i] * cols[o + i];
                if (r < best)
                {
                    q = j;
                    if (bland) break;
                    best = r;
                }
            }
            if (q < 0) break;
            // Direction d = B⁻¹ a_q and the ratio test (ties: the lowest basis index leaves).
            int oq = q * k;
            for (int i = 0; i < k; i++)
            {
                double s = 0;
                for (int l = 0; l < k; l++) s += binv[i * k + l] * cols[oq + l];
                d[i] = s;
            }
            int r0 = -1;
            double theta = double.PositiveInfinity;
            for (int i = 0; i < k; i++)
            {
                if (d[i] <= PivotTolerance) continue;
                double t = Math.Max(lambda[i], 0) / d[i];
                if (t < theta || (t == theta && basis[i] < basis[r0])) { theta = t; r0 = i; }
            }
            if (r0 < 0) throw new InvalidOperationException("hull simplex: unbounded direction (the fraction columns are not normalised)");
            if (theta <= PivotTolerance) bland = true;
            // Pivot.
            for (int i = 0; i < k; i++) lambda[i] -= theta * d[i];
            lambda[r0] = theta;
            double piv = d[r0];
            for (int l = 0; l < k; l++) binv[r0 * k + l] /= piv;
            for (int i = 0; i < k; i++)
            {
                if (i == r0 || d[i] == 0) continue;
                double f = d[i];
                for (int l = 0; l < k; l++) binv[i * k + l] -= f * binv[r0 * k + l];
            }
            inBasis[basis[r0]] = false;
            basis[r0] = q;
            inBasis[q] = true;
            cb[r0] = cost[q];
        }
        double energy = 0;
        for (int i = 0; i < k; i++)
        {
            if (lambda[i] < 0) lambda[i] = 0; // round-off only
            energy += cb[i] * lambda[i];
        }
        return energy;
    }

    private static double[] FractionColumns(Element[] elements, Phase[] phases)
    {
        int k = elements.Length;
        var cols = new double[k * phases.Length];
        for (int j = 0; j < phases.Length; j++)
        {
            var c = phases[j].Entry.Composition;
            double n = c.NumAtoms;
            for (int i = 0; i < k; i++) cols[j * k + i] = c[elements[i]] / n;
        }
        return cols;
    }

    private static UInt128 Bit(Element e) => UInt128.One << (e.Z - 1);

    private static UInt128 MaskOf(Composition c)
    {
        UInt128 m = 0;
        foreach (var e in c.Elements) m |= Bit(e);
        return m;
    }

    private static bool IsSingleElement(UInt128 m) => m != 0 && (m & (m - 1)) == 0;

    private static Element[] ElementsOf(UInt128 mask)
    {
        var list = new List<Element>();
        for (int z = 1; z <= Element.MaxZ; z++) if ((mask & (UInt128.One << (z - 1))) != 0) list.Add(Element.FromZ(z));
        return list.ToArray();
    }
}
