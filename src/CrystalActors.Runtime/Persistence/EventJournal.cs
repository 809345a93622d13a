namespace CrystalActors.Runtime.Persistence;

/// <summary>One journaled event: <paramref name="Seq"/> counts from 1 per entity.</summary>
public sealed record JournalEvent(string Entity, long Seq, string Type, string Data, DateTimeOffset At);

/// <summary>A snapshot of an entity's state as of event <paramref name="Seq"/> (inclusive).</summary>
public sealed record JournalSnapshot(string Entity, long Seq, string State);

/// <summary>
/// Append-only event journal with snapshots, per persistent entity (campaign, replay-buffer index,
/// model registry, dft-jobs). Recovery = latest snapshot + the events after it (<see cref="Load"/>).
/// Call <see cref="Append"/> inside the caller's transaction so an event commits with its side effects.
/// </summary>
public sealed class EventJournal(ClusterDatabase db, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Appends one event and returns its sequence number.</summary>
    public long Append(string entity, string type, string data)
    {
        var seq = (long)db.Scalar("select coalesce(max(seq), 0) + 1 from events where entity = $e", ("$e", entity))!;
        db.Execute("insert into events(entity, seq, type, data, at_ms) values ($e, $s, $t, $d, $at)",
            ("$e", entity), ("$s", seq), ("$t", type), ("$d", data), ("$at", _time.GetUtcNow().ToUnixTimeMilliseconds()));
        return seq;
    }

    public void SaveSnapshot(string entity, long seq, string state) =>
        db.Execute("insert or replace into snapshots(entity, seq, state, at_ms) values ($e, $s, $st, $at)",
            ("$e", entity), ("$s", seq), ("$st", state), ("$at", _time.GetUtcNow().ToUnixTimeMilliseconds()));

    /// <summary>The latest snapshot (if any) and every event after it, in order.</summary>
    public (JournalSnapshot? Snapshot, IReadOnlyList<JournalEvent> Events) Load(string entity)
    {
        JournalSnapshot? snap = null;
        using (var cmd = db.Command("select seq, state from snapshots where entity = $e order by seq desc limit 1", ("$e", entity)))
        using (var r = cmd.ExecuteReader())
            if (r.Read()) snap = new JournalSnapshot(entity, r.GetInt64(0), r.GetString(1));
        return (snap, Events(entity, snap?.Seq ?? 0));
    }

    public IReadOnlyList<JournalEvent> Events(string entity, long afterSeq = 0)
    {
        var list = new List<JournalEvent>();
        using var cmd = db.Command("select seq, type, data, at_ms from events where entity = $e and seq > $s order by seq", ("$e", entity), ("$s", afterSeq));
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(new JournalEvent(entity, r.GetInt64(0), r.GetString(1), r.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3))));
        return list;
    }

    public long LastSeq(string entity) => (long)db.Scalar("select coalesce(max(seq), 0) from events where entity = $e", ("$e", entity))!;
}

/// <summary>
/// Pure event-sourced state: <typeparamref name="TState"/> is an immutable record, <c>Apply</c> folds one
/// event. <see cref="Recover"/> rebuilds it from the journal; <see cref="Persist"/> journals new events and
/// snapshots every <c>snapshotEvery</c> events.
/// </summary>
public sealed class PersistentEntity<TState>(
    EventJournal journal, string entity, TState initial,
    Func<TState, string, string, TState> apply, Func<TState, string> serialize, Func<string, TState> deserialize,
    int snapshotEvery = 100)
{
    private readonly TState _initial = initial;
    public TState State { get; private set; } = initial;
    public long Seq { get; private set; }
    public string Entity => entity;

    public TState Recover()
    {
        var (snap, events) = journal.Load(entity);
        var state = snap is null ? _initial : deserialize(snap.State);
        var seq = snap?.Seq ?? 0;
        foreach (var e in events) { state = apply(state, e.Type, e.Data); seq = e.Seq; }
        State = state; Seq = seq;
        return state;
    }

    /// <summary>Appends events (call inside a transaction together with their side effects) and applies them.</summary>
    public TState Persist(IEnumerable<(string Type, string Data)> events)
    {
        foreach (var (type, data) in events)
        {
            Seq = journal.Append(entity, type, data);
            State = apply(State, type, data);
            if (Seq % snapshotEvery == 0) journal.SaveSnapshot(entity, Seq, serialize(State));
        }
        return State;
    }
}
