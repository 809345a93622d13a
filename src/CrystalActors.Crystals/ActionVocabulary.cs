using System.Globalization;

namespace CrystalActors.Crystals;

/// <summary>The nine element classes of crystal-design's <c>categories.pt</c> (value = category id).</summary>
public enum ElementClass
{
    TransitionMetal = 0,
    Lanthanide = 1,
    Actinide = 2,
    NobleGas = 3,
    Halogen = 4,
    AlkaliG1 = 5,
    AlkalineEarthG2 = 6,
    Nonmetal = 7,
    PostTransitionMetal = 8,
}

/// <summary>
/// The 88-element action vocabulary of crystal-design (<c>action_vocab_88.csv</c>, read from the shared folder): action index
/// k places element <see cref="ElementAt"/>(k); node type 88 marks an unfilled site and 89 the unfilled site being filled.
/// </summary>
public static class ActionVocabulary
{
    public const int Count = 88;
    /// <summary>The node type of a site whose element is not chosen yet.</summary>
    public const int UnfilledNodeType = 88;
    /// <summary>The node type of the site the next action fills: marking it lets the graph convolutions see where it sits
    /// (its coordination and filled neighbours); the focus index alone, a global, does not say which node it is.</summary>
    public const int FocusNodeType = 89;
    public const int ClassCount = 9;

    private static readonly Element[] Order;
    private static readonly ElementClass[] Classes;
    private static readonly int[] IndexByZ; // -1 when not an action

    static ActionVocabulary()
    {
        Order = new Element[Count];
        Classes = new ElementClass[Count];
        IndexByZ = Enumerable.Repeat(-1, Element.MaxZ + 1).ToArray();
        foreach (var line in Element.ReadLines("action_vocab_88.csv").Skip(1))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var f = line.Split(',');
            int k = int.Parse(f[0], CultureInfo.InvariantCulture);
            var e = Element.FromSymbol(f[1]);
            if (e.Z != int.Parse(f[2], CultureInfo.InvariantCulture))
                throw new InvalidDataException($"action_vocab_88.csv row {k}: Z {f[2]} does not match {e.Symbol}");
            Order[k] = e;
            Classes[k] = (ElementClass)int.Parse(f[3], CultureInfo.InvariantCulture);
            IndexByZ[e.Z] = k;
        }
        if (Order.Any(e => e is null)) throw new InvalidDataException("action_vocab_88.csv does not define all 88 actions");
        Elements = Array.AsReadOnly(Order);
    }

    /// <summary>The 88 elements in action order.</summary>
    public static IReadOnlyList<Element> Elements { get; }

    public static Element ElementAt(int actionIndex)
    {
        if ((uint)actionIndex >= Count)
            throw new ArgumentOutOfRangeException(nameof(actionIndex), actionIndex, $"action index must be in 0..{Count - 1}");
        return Order[actionIndex];
    }

    public static bool TryGetActionIndex(Element element, out int actionIndex)
    {
        actionIndex = IndexByZ[element.Z];
        return actionIndex >= 0;
    }

    /// <exception cref="ArgumentException">the element is not one of the 88 actions (e.g. Ar).</exception>
    public static int ActionIndexOf(Element element) =>
        TryGetActionIndex(element, out int k) ? k
            : throw new ArgumentException($"element {element.Symbol} is not in the 88-element action vocabulary", nameof(element));

    public static ElementClass ClassOf(Element element) => Classes[ActionIndexOf(element)];

    public static ElementClass ClassOfAction(int actionIndex) => Classes[ActionIndexOf(ElementAt(actionIndex))];
}
