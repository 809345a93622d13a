using CrystalActors.Crystals;

namespace CrystalActors.Learning.Dqn;

/// <summary>
/// One (n-step) transition of an online episode: from the state before <see cref="Action"/> to the state
/// <see cref="Horizon"/> decisions later (the episode's end when <see cref="Done"/>), with the discounted reward
/// collected on the way. Node-type arrays are shared with the played episode, not copied.
/// </summary>
/// <param name="Crystal">Index of the skeleton in the design task's dataset.</param>
/// <param name="Horizon">Decisions between the two states: the bootstrap term is discounted by gamma^Horizon.</param>
/// <param name="PolicyVersion">Weights version that chose the action (for staleness accounting).</param>
public sealed record Transition(int Crystal, byte[] NodeTypes, byte Focus, byte Action, float Reward, bool Done,
    byte[] NextNodeTypes, byte NextFocus, byte Horizon, long PolicyVersion);

/// <summary>A fixed-capacity ring of transitions with uniform sampling from a seeded generator.</summary>
public sealed class ReplayBuffer
{
    private readonly Transition[] _items;
    private int _next;

    public ReplayBuffer(int capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "capacity must be >= 1");
        _items = new Transition[capacity];
    }

    public int Count { get; private set; }
    public int Capacity => _items.Length;
    public long Added { get; private set; }

    public void Add(Transition t)
    {
        if (t.NodeTypes.Any(n => n > ActionVocabulary.UnfilledNodeType) || t.NextNodeTypes.Any(n => n > ActionVocabulary.UnfilledNodeType))
            throw new ArgumentException("node types must be 0..88", nameof(t));
        _items[_next] = t;
        _next = (_next + 1) % _items.Length;
        Count = Math.Min(Count + 1, _items.Length);
        Added++;
    }

    public Transition[] Sample(int n, Random rng)
    {
        if (Count == 0) throw new InvalidOperationException("the replay buffer is empty");
        var batch = new Transition[n];
        for (int i = 0; i < n; i++) batch[i] = _items[rng.Next(Count)];
        return batch;
    }
}
