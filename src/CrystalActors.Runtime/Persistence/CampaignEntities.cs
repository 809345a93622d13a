using System.Collections.Immutable;
using System.Text.Json;
using CrystalActors.Runtime.Messages;

namespace CrystalActors.Runtime.Persistence;

/// <summary>
/// The campaign as an event-sourced entity: episodes recorded, the best design so far. Pure: <see cref="Record"/>
/// turns an <see cref="EpisodeSummary"/> into an event, <see cref="Apply"/> folds it.
/// </summary>
public sealed record CampaignState(int Episodes, double BestReward, string? BestFormula, string? BestEpisode)
{
    public const string Entity = "campaign";
    public const string EpisodeRecorded = "EpisodeRecorded";
    public static CampaignState Empty { get; } = new(0, double.NegativeInfinity, null, null);

    public static (string Type, string Data) Record(EpisodeSummary e) => (EpisodeRecorded, JsonSerializer.Serialize(e));

    public static CampaignState Apply(CampaignState s, string type, string data)
    {
        if (type != EpisodeRecorded) throw new InvalidDataException($"campaign journal holds unknown event type '{type}'");
        var e = JsonSerializer.Deserialize<EpisodeSummary>(data) ?? throw new InvalidDataException("empty EpisodeRecorded event");
        var better = e.Reward > s.BestReward;
        return new CampaignState(s.Episodes + 1, better ? e.Reward : s.BestReward, better ? e.Formula : s.BestFormula, better ? e.EpisodeId : s.BestEpisode);
    }

    public static PersistentEntity<CampaignState> InJournal(EventJournal journal, int snapshotEvery = 500) =>
        new(journal, Entity, Empty, Apply, s => JsonSerializer.Serialize(s), j => JsonSerializer.Deserialize<CampaignState>(j)!, snapshotEvery);
}

/// <summary>One replay-buffer shard in the content store.</summary>
public sealed record ReplayShard(string Path, string Sha256, int Transitions);

/// <summary>
/// Index of the replay buffer's shards (the transitions themselves live in the content store). Shards are added
/// as rollouts finish and evicted oldest-first beyond <see cref="MaxTransitions"/>. Pure and event-sourced.
/// </summary>
public sealed record ReplayBufferIndexState(ImmutableList<ReplayShard> Shards, int MaxTransitions)
{
    public const string Entity = "replay-buffer-index";
    public const string ShardAdded = "ShardAdded";
    public const string ShardEvicted = "ShardEvicted";

    public int Transitions => Shards.Sum(s => s.Transitions);

    public static ReplayBufferIndexState Empty(int maxTransitions) => new(ImmutableList<ReplayShard>.Empty, maxTransitions);

    /// <summary>Events for adding a shard: the addition, then evictions of the oldest shards until the cap holds.</summary>
    public IReadOnlyList<(string Type, string Data)> Add(ReplayShard shard)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shard.Transitions);
        var events = new List<(string, string)> { (ShardAdded, JsonSerializer.Serialize(shard)) };
        var total = Transitions + shard.Transitions;
        foreach (var old in Shards)
        {
            if (total <= MaxTransitions) break;
            events.Add((ShardEvicted, JsonSerializer.Serialize(old)));
            total -= old.Transitions;
        }
        return events;
    }

    public static ReplayBufferIndexState Apply(ReplayBufferIndexState s, string type, string data)
    {
        var shard = JsonSerializer.Deserialize<ReplayShard>(data) ?? throw new InvalidDataException($"empty {type} event");
        return type switch
        {
            ShardAdded => s with { Shards = s.Shards.Add(shard) },
            ShardEvicted => s with { Shards = s.Shards.Remove(shard) },
            _ => throw new InvalidDataException($"replay-buffer journal holds unknown event type '{type}'"),
        };
    }

    public static PersistentEntity<ReplayBufferIndexState> InJournal(EventJournal journal, int maxTransitions, int snapshotEvery = 200) =>
        new(journal, Entity, Empty(maxTransitions), Apply,
            s => JsonSerializer.Serialize(s.Shards), j => new ReplayBufferIndexState(JsonSerializer.Deserialize<ImmutableList<ReplayShard>>(j)!, maxTransitions), snapshotEvery);
}
