using System.Collections.Frozen;
using System.Globalization;
using System.Reflection;

namespace CrystalActors.Crystals;

/// <summary>
/// A chemical element, Z = 1..103. One instance exists per Z, so reference equality is element equality.
/// Data: SMACT 2.5.2 <c>element_data.txt</c> (NIST masses, Cordero covalent radii, CRC Pauling
/// electronegativities) and <c>oxidation_states.txt</c>, MIT licence, read in place from the shared folder
/// (see <see cref="CrystalDesignData"/>). Period and group are derived from Z (IUPAC 1..18; La..Lu and Ac..Lr are put in group 3, as
/// pymatgen does).
/// </summary>
public sealed class Element : IComparable<Element>
{
    public const int MaxZ = 103;

    /// <summary>Atomic number.</summary>
    public int Z { get; }
    public string Symbol { get; }
    public string Name { get; }
    public int Period { get; }
    public int Group { get; }
    /// <summary>Relative atomic mass (u).</summary>
    public double AtomicMass { get; }
    /// <summary>Covalent radius in Å (Cordero et al. 2008); null for Bk..Lr (Z ≥ 97), which Cordero does not cover.</summary>
    public double? CovalentRadius { get; }
    /// <summary>Pauling electronegativity as SMACT 2.5.2 tabulates it; null for He, Ne, Ar, Pm.
    /// Note SMACT's value for Zr is 0.33 (kept, because validity must reproduce SMACT).</summary>
    public double? PaulingElectronegativity { get; }
    /// <summary>SMACT's default oxidation states (<c>oxidation_states.txt</c>), ascending; empty for noble gases.</summary>
    public IReadOnlyList<int> OxidationStates { get; }
    /// <summary>True when SMACT's <c>metals</c> list contains this element (used by the alloy rule).</summary>
    public bool IsSmactMetal { get; }

    /// <summary>Index in the 88-element action vocabulary, or null when the element is not an action.</summary>
    public int? ActionIndex => ActionVocabulary.TryGetActionIndex(this, out int i) ? i : null;

    private Element(int z, string symbol, string name, double mass, double? rcov, double? eneg, int[] ox, bool metal)
    {
        Z = z;
        Symbol = symbol;
        Name = name;
        AtomicMass = mass;
        CovalentRadius = rcov;
        PaulingElectronegativity = eneg;
        OxidationStates = Array.AsReadOnly(ox);
        IsSmactMetal = metal;
        (Period, Group) = PeriodAndGroup(z);
    }

    /// <summary>All 103 elements ordered by Z (index = Z - 1).</summary>
    public static IReadOnlyList<Element> All => Table.All;

    public static Element FromZ(int z)
    {
        if (z < 1 || z > MaxZ)
            throw new ArgumentOutOfRangeException(nameof(z), z, $"atomic number must be in 1..{MaxZ}");
        return Table.ByZ[z - 1];
    }

    /// <summary>Looks an element up by symbol (case-sensitive, as written in CIF/POSCAR: "Fe", not "FE").</summary>
    /// <exception cref="ArgumentException">the symbol is not one of the 103 elements.</exception>
    public static Element FromSymbol(string symbol)
    {
        ArgumentNullException.ThrowIfNull(symbol);
        if (Table.BySymbol.TryGetValue(symbol, out var e)) return e;
        throw new ArgumentException($"unknown element symbol '{symbol}' (expected one of H..Lr, Z = 1..{MaxZ})", nameof(symbol));
    }

    public static bool TryFromSymbol(string? symbol, out Element element)
    {
        if (symbol is not null && Table.BySymbol.TryGetValue(symbol, out var e)) { element = e; return true; }
        element = null!;
        return false;
    }

    public int CompareTo(Element? other) => other is null ? 1 : Z.CompareTo(other.Z);
    public override string ToString() => Symbol;

    internal static (int Period, int Group) PeriodAndGroup(int z)
    {
        ReadOnlySpan<int> periodStart = [1, 3, 11, 19, 37, 55, 87, 119];
        int period = 1;
        while (z >= periodStart[period]) period++;
        int pos = z - periodStart[period - 1] + 1; // 1-based position within the period
        int group = period switch
        {
            1 => z == 1 ? 1 : 18,
            2 or 3 => pos <= 2 ? pos : pos + 10,
            4 or 5 => pos,
            _ => pos <= 2 ? pos : pos <= 17 ? 3 : pos - 14,
        };
        return (period, group);
    }

    private static class Table
    {
        public static readonly Element[] ByZ;
        public static readonly IReadOnlyList<Element> All;
        public static readonly FrozenDictionary<string, Element> BySymbol;

        static Table()
        {
            var ox = ReadOxidationStates();
            var metals = ReadLines("smact_metals.txt").Select(l => l.Trim()).Where(l => l.Length > 0).ToHashSet();
            var byZ = new Element[MaxZ];
            foreach (var line in ReadLines("element_data.txt"))
            {
                if (line.StartsWith('#') || string.IsNullOrWhiteSpace(line)) continue;
                var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                // Symbol Name Z Mass r_cov e_affinity p_eig s_eig Abundance el_neg ion_pot dipol
                int z = int.Parse(f[2], CultureInfo.InvariantCulture);
                if (z < 1 || z > MaxZ) continue;
                double? eneg = f[9] == "None" ? null : double.Parse(f[9], CultureInfo.InvariantCulture);
                byZ[z - 1] = new Element(z, f[0], f[1], double.Parse(f[3], CultureInfo.InvariantCulture),
                    f[4] == "None" ? null : double.Parse(f[4], CultureInfo.InvariantCulture), eneg,
                    ox.TryGetValue(f[0], out var states) ? states : [], metals.Contains(f[0]));
            }
            for (int i = 0; i < MaxZ; i++)
                if (byZ[i] is null) throw new InvalidDataException($"element_data.txt lacks Z = {i + 1}");
            ByZ = byZ;
            All = Array.AsReadOnly(byZ);
            BySymbol = byZ.ToFrozenDictionary(e => e.Symbol, StringComparer.Ordinal);
        }

        private static Dictionary<string, int[]> ReadOxidationStates()
        {
            var result = new Dictionary<string, int[]>(StringComparer.Ordinal);
            foreach (var line in ReadLines("oxidation_states.txt"))
            {
                if (line.StartsWith('#') || string.IsNullOrWhiteSpace(line)) continue;
                var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries); // the file mixes tabs and spaces
                result[f[0]] = f.Skip(1).Select(s => int.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)).ToArray();
            }
            return result;
        }
    }

    /// <summary>Lines of one of the crystal-design data files (see <see cref="CrystalDesignData"/>).</summary>
    internal static IEnumerable<string> ReadLines(string file) => File.ReadAllLines(CrystalDesignData.PathOf(file));
}
