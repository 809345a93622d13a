using CrystalActors.Crystals;
using CrystalActors.Crystals.Graphs;

namespace CrystalActors.Learning.Environments.Skeletons;

/// <summary>
/// The online design task of the band-gap pipeline paper: a skeleton whose sites are filled one at
/// a time, in a breadth-first order, with elements from a vocabulary, aiming at a target gap.
/// </summary>
public sealed class DesignTask
{
    /// <summary>The 21 elements of the pipeline paper's experiments.</summary>
    public static readonly IReadOnlyList<string> PaperVocabulary =
        new[] { "Li", "Na", "K", "Rb", "Be", "Ca", "Mg", "Sr", "H", "C", "N", "O", "P", "S", "Se", "F", "Cl", "Br", "He", "Ne", "Kr" };

    public Skeleton Skeleton { get; }
    public IReadOnlyList<Element> Vocabulary { get; }

    /// <summary>Indices of <see cref="Vocabulary"/> in the 88-action space of the Q-network.</summary>
    public IReadOnlyList<int> VocabularyActions { get; }

    public double TargetGapEv { get; }

    public DesignTask(Skeleton skeleton, IEnumerable<string> vocabulary, double targetGapEv)
    {
        Skeleton = skeleton;
        Vocabulary = vocabulary.Select(Element.FromSymbol).Distinct().ToArray();
        if (Vocabulary.Count == 0) throw new ArgumentException("The action vocabulary is empty.", nameof(vocabulary));
        VocabularyActions = Vocabulary.Select(e => ActionVocabulary.TryGetActionIndex(e, out var a)
            ? a
            : throw new ArgumentException($"Element {e.Symbol} is not in the 88-action vocabulary; valid: {string.Join(" ", ActionVocabulary.Elements.Select(x => x.Symbol))}.")).ToArray();
        if (targetGapEv < 0) throw new ArgumentOutOfRangeException(nameof(targetGapEv), targetGapEv, "target band gap must be >= 0 eV");
        TargetGapEv = targetGapEv;
    }

    public DesignEpisode NewEpisode(int orderIndex)
    {
        var orders = Skeleton.BreadthFirstOrders();
        return new DesignEpisode(this, orders[orderIndex % orders.Count]);
    }
}

/// <summary>
/// One episode: node types (action index per filled site, <see cref="ActionVocabulary.UnfilledNodeType"/>
/// where still empty) and the site to fill next (the focus). Pure state; no reward logic.
/// </summary>
public sealed class DesignEpisode
{
    private readonly int[] _nodeTypes;
    private readonly int[] _actions;

    public DesignTask Task { get; }
    public IReadOnlyList<int> Order { get; }
    public int Step { get; private set; }
    public bool Done => Step == Order.Count;
    public int Focus => Done ? throw new InvalidOperationException("the episode is over: no site left to fill") : Order[Step];
    public IReadOnlyList<int> NodeTypes => _nodeTypes;
    public IReadOnlyList<int> Actions => _actions;

    internal DesignEpisode(DesignTask task, IReadOnlyList<int> order)
    {
        Task = task;
        Order = order;
        _nodeTypes = Enumerable.Repeat(ActionVocabulary.UnfilledNodeType, task.Skeleton.NumSites).ToArray();
        _actions = new int[order.Count];
    }

    /// <summary>Fills the focus site with the element of 88-space action <paramref name="action"/>.</summary>
    public void Apply(int action)
    {
        if (action < 0 || action >= ActionVocabulary.Count)
            throw new ArgumentOutOfRangeException(nameof(action), action, $"actions are 0..{ActionVocabulary.Count - 1}");
        _nodeTypes[Focus] = action;
        _actions[Step] = action;
        Step++;
    }

    /// <summary>The designed crystal (only when <see cref="Done"/>).</summary>
    public Structure ToStructure()
    {
        if (!Done) throw new InvalidOperationException($"the episode has filled {Step} of {Order.Count} sites");
        var species = _nodeTypes.Select(ActionVocabulary.ElementAt).ToArray();
        return Structure.FromSpecies(Task.Skeleton.Lattice, species, Task.Skeleton.FracCoords.ToArray(), Task.Skeleton.Id);
    }

    public int DistinctElements => _nodeTypes.Where(t => t != ActionVocabulary.UnfilledNodeType).Distinct().Count();
}

/// <summary>The pipeline paper's terminal reward.</summary>
public static class OnlineReward
{
    /// <summary>Reward of a crystal that is invalid: more than <see cref="MaxDistinctElements"/> elements, or failed DFT.</summary>
    public const double Penalty = -1.0;

    public const int MaxDistinctElements = 5;

    /// <summary>exp(-(gap - target)^2 / beta), in (0, 1], 1 at the target.</summary>
    public static double GapReward(double gapEv, double targetEv, double beta)
    {
        if (beta <= 0) throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be > 0");
        double d = gapEv - targetEv;
        return Math.Exp(-d * d / beta);
    }

    /// <summary>The terminal reward: the penalty for too many elements or failed DFT, else the gap reward.</summary>
    public static double Terminal(int distinctElements, double? gapEv, bool dftFailed, double targetEv, double beta)
    {
        if (distinctElements > MaxDistinctElements || dftFailed) return Penalty;
        if (gapEv is not { } gap) throw new ArgumentNullException(nameof(gapEv), "a gap is needed unless the crystal is penalised");
        return GapReward(gap, targetEv, beta);
    }
}

/// <summary>Exploration: epsilon(t) = end + (start - end) exp(-rate t).</summary>
public sealed record EpsilonSchedule(double Start = 1.0, double End = 0.001, double DecayRate = 1e-5)
{
    public double At(long step) => End + (Start - End) * Math.Exp(-DecayRate * step);
}
