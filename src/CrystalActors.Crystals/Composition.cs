using System.Text;

namespace CrystalActors.Crystals;

/// <summary>
/// Integer element counts of a crystal (partial occupancy is not supported anywhere in this library).
/// Elements keep their order of first appearance (pymatgen's insertion-ordered dict), which
/// <see cref="Formula"/> uses to break electronegativity ties.
/// </summary>
public sealed class Composition : IEquatable<Composition>
{
    private readonly (Element Element, int Count)[] _entries;

    /// <exception cref="ArgumentException">a count that is not positive.</exception>
    public Composition(IEnumerable<KeyValuePair<Element, int>> counts)
    {
        var list = new List<(Element, int)>();
        foreach (var (e, n) in counts)
        {
            if (n <= 0) throw new ArgumentException($"count of {e.Symbol} must be positive, got {n}", nameof(counts));
            int at = list.FindIndex(x => x.Item1 == e);
            if (at >= 0) list[at] = (e, list[at].Item2 + n);
            else list.Add((e, n));
        }
        if (list.Count == 0) throw new ArgumentException("a composition needs at least one element", nameof(counts));
        _entries = list.ToArray();
    }

    public static Composition FromSpecies(IEnumerable<Element> species) =>
        new(species.Select(e => new KeyValuePair<Element, int>(e, 1)));

    /// <summary>Parses a formula such as "Fe2O3", "NaCl" or "RbAl(SO4)2" (nested brackets, integer counts).</summary>
    /// <exception cref="ArgumentException">an unknown element, unbalanced brackets or a malformed count, naming the formula.</exception>
    public static Composition Parse(string formula)
    {
        ArgumentNullException.ThrowIfNull(formula);
        string f = formula.Replace(" ", "");
        int i = 0;
        var counts = ParseGroup(f, ref i, formula, 0);
        if (i != f.Length) throw new ArgumentException($"formula '{formula}': unexpected '{f[i]}' at position {i}", nameof(formula));
        return new Composition(counts);
    }

    private static List<KeyValuePair<Element, int>> ParseGroup(string f, ref int i, string formula, int depth)
    {
        var counts = new List<KeyValuePair<Element, int>>();
        while (i < f.Length && f[i] != ')')
        {
            List<KeyValuePair<Element, int>> part;
            if (f[i] == '(')
            {
                i++;
                part = ParseGroup(f, ref i, formula, depth + 1);
                if (i >= f.Length || f[i] != ')') throw new ArgumentException($"formula '{formula}': unclosed '('", nameof(formula));
                i++;
            }
            else if (char.IsUpper(f[i]))
            {
                int s = i++;
                while (i < f.Length && char.IsLower(f[i])) i++;
                string sym = f[s..i];
                if (!Element.TryFromSymbol(sym, out var e)) throw new ArgumentException($"formula '{formula}': unknown element symbol '{sym}'", nameof(formula));
                part = [new(e, 1)];
            }
            else throw new ArgumentException($"formula '{formula}': expected an element symbol or '(' at position {i}", nameof(formula));
            int d = i;
            while (i < f.Length && char.IsDigit(f[i])) i++;
            int n = d == i ? 1 : int.Parse(f[d..i], System.Globalization.CultureInfo.InvariantCulture);
            counts.AddRange(part.Select(kv => new KeyValuePair<Element, int>(kv.Key, kv.Value * n)));
        }
        if (depth == 0 && i < f.Length) throw new ArgumentException($"formula '{formula}': unmatched ')'", nameof(formula));
        return counts;
    }

    /// <summary>Elements in order of first appearance.</summary>
    public IReadOnlyList<Element> Elements => _entries.Select(x => x.Element).ToArray();

    /// <summary>(element, count) sorted by atomic number.</summary>
    public IReadOnlyList<(Element Element, int Count)> CountsByZ => _entries.OrderBy(x => x.Element.Z).ToArray();

    /// <summary>(element, count) in order of first appearance.</summary>
    public IReadOnlyList<(Element Element, int Count)> Counts => Array.AsReadOnly(_entries);

    public int this[Element e]
    {
        get
        {
            foreach (var (el, n) in _entries) if (el == e) return n;
            return 0;
        }
    }

    public int NumElements => _entries.Length;
    public int NumAtoms => _entries.Sum(x => x.Count);

    /// <summary>Greatest common divisor of the counts (the number of formula units).</summary>
    public int Gcd => _entries.Aggregate(0, (g, x) => GcdOf(g, x.Count));

    /// <summary>The composition divided by <see cref="Gcd"/>.</summary>
    public Composition Reduced()
    {
        int g = Gcd;
        return new Composition(_entries.Select(x => new KeyValuePair<Element, int>(x.Element, x.Count / g)));
    }

    /// <summary>pymatgen's <c>formula</c>: all counts written, electronegativity order, space separated ("Tm1 Mg1 Hg2").</summary>
    public string Formula => string.Join(" ", ByElectronegativity().Select(x => x.Element.Symbol + x.Count));

    /// <summary>
    /// pymatgen's <c>reduced_formula</c>: gcd-reduced counts, elements by increasing pymatgen electronegativity
    /// (ties by symbol), counts of 1 omitted, a trailing polyanion grouped when its two elements differ in
    /// electronegativity by less than 1.65 ("RbAl(SO4)2"), and pymatgen's special names ("O2", "Na2O2", "H2O2").
    /// Equals Materials Project's <c>pretty_formula</c> on all 9047 MP-20 val crystals.
    /// </summary>
    public string ReducedFormula
    {
        get
        {
            var amounts = _entries.ToDictionary(x => x.Element, x => x.Count);
            string formula = ReduceFormula(amounts, out _);
            return SpecialFormulas.TryGetValue(formula, out var special) ? special : formula;
        }
    }

    // pymatgen.core.composition.reduce_formula (integer amounts).
    private static string ReduceFormula(Dictionary<Element, int> amounts, out int factor)
    {
        var syms = amounts.Keys.OrderBy(PymatgenX).ThenBy(e => e.Symbol, StringComparer.Ordinal).ToList();
        factor = amounts.Values.Aggregate(0, GcdOf);
        string polyanion = "";
        if (syms.Count >= 3 && PymatgenX(syms[^1]) - PymatgenX(syms[^2]) < 1.65)
        {
            int f = factor;
            var poly = new Dictionary<Element, int> { [syms[^2]] = amounts[syms[^2]] / f, [syms[^1]] = amounts[syms[^1]] / f };
            string polyForm = ReduceFormula(poly, out int polyFactor);
            if (polyFactor != 1) polyanion = $"({polyForm}){polyFactor}";
        }
        if (polyanion.Length > 0) syms.RemoveRange(syms.Count - 2, 2);
        var sb = new StringBuilder();
        foreach (var e in syms)
        {
            sb.Append(e.Symbol);
            int n = amounts[e] / factor;
            if (n != 1) sb.Append(n);
        }
        return sb.Append(polyanion).ToString();
    }

    private static readonly Dictionary<string, string> SpecialFormulas = new()
    {
        ["LiO"] = "LiO2", ["NaO"] = "Na2O2", ["KO"] = "KO2", ["HO"] = "H2O2", ["CsO"] = "CsO2", ["RbO"] = "RbO2",
        ["O"] = "O2", ["N"] = "N2", ["F"] = "F2", ["Cl"] = "Cl2", ["H"] = "H2",
    };

    /// <summary>The formula CDVAE passes to SMACT: elements by increasing Z, gcd-reduced, counts of 1 omitted ("MgTmHg2").</summary>
    public string ZOrderedReducedFormula
    {
        get
        {
            var sb = new StringBuilder();
            foreach (var (e, n) in Reduced().CountsByZ)
            {
                sb.Append(e.Symbol);
                if (n != 1) sb.Append(n);
            }
            return sb.ToString();
        }
    }

    public bool Equals(Composition? other) =>
        other is not null && other._entries.Length == _entries.Length && _entries.All(x => other[x.Element] == x.Count);
    public override bool Equals(object? obj) => obj is Composition c && Equals(c);
    public override int GetHashCode() => CountsByZ.Aggregate(17, (h, x) => HashCode.Combine(h, x.Element.Z, x.Count));
    public override string ToString() => Formula;

    private IEnumerable<(Element Element, int Count)> ByElectronegativity() =>
        _entries.OrderBy(x => PymatgenX(x.Element)); // OrderBy is stable: ties keep first-appearance order

    /// <summary>pymatgen's Element.X where it differs from SMACT's table (SMACT lists CRC values for a lower
    /// oxidation state for these); elements without a value sort last.</summary>
    internal static double PymatgenX(Element e) => e.Symbol switch
    {
        "Zr" => 1.33,
        "W" => 2.36,
        "Pb" => 2.33,
        "Hg" => 2.00,
        "Bi" => 2.02,
        "Tl" => 1.62,
        "U" => 1.38,
        "Lu" => 1.27,
        "Pm" => 1.13,
        "Np" => 1.36,
        "Pu" => 1.28,
        "Am" => 1.13,
        "Tb" => 1.10,
        "Tc" => 1.90,
        "Pt" => 2.28,
        "Au" => 2.54,
        _ => e.PaulingElectronegativity ?? double.PositiveInfinity,
    };

    internal static int GcdOf(int a, int b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return Math.Abs(a);
    }
}
