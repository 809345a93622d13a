using CrystalActors.Runtime.Hosting;
using CrystalActors.Runtime.Messages;
using CrystalActors.Runtime.Persistence;

namespace CrystalActors.Runtime.Tests.Persistence;

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;
    public override DateTimeOffset GetUtcNow() => _now;
    public void Advance(TimeSpan by) => _now += by;
}

public sealed class JobStoreTests : IDisposable
{
    private readonly string _dir = TestEnvironment.TempDir("jobs");
    private readonly ManualTime _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly ClusterDatabase _db;
    private readonly JobStore _store;

    public JobStoreTests()
    {
        _db = new ClusterDatabase(Path.Combine(_dir, "c.db"));
        _store = new JobStore(_db, new JobStoreOptions { LeaseDuration = TimeSpan.FromSeconds(10), MaxAttempts = 3 }, _time);
    }

    public void Dispose() { _db.Dispose(); Directory.Delete(_dir, true); }

    private static DftJobRequested Job(string id) => new(id, "{\"a\":5.43}", "fast", "test");
    private DftJobRequested OutboxDispatch(int index) =>
        (DftJobRequested)MessageCodec.Default.TryDecodeOrThrow(_store.PendingOutbox()[index].Body).Message;

    [Fact]
    public void Open_File_UsesWal() => Assert.Equal("wal", _db.JournalMode);

    [Fact]
    public void Submit_SameIdTwice_StoresOnceAndQueuesOneDispatch()
    {
        Assert.True(_store.Submit(Job("j1")));
        Assert.False(_store.Submit(Job("j1")));
        var outbox = _store.PendingOutbox();
        Assert.Single(outbox);
        Assert.Equal("queue/dft.jobs", outbox[0].Destination);
        Assert.Equal(0, OutboxDispatch(0).Epoch);
        Assert.Equal(JobStates.Pending, _store.Find("j1")!.State);
    }

    [Fact]
    public void TryLease_Pending_GrantsEpochOneThenRefusesOthers()
    {
        _store.Submit(Job("j1"));
        var first = _store.TryLease("j1", "w1", 0);
        Assert.True(first.Granted);
        Assert.Equal(1, first.Epoch);
        Assert.Equal(_time.GetUtcNow().AddSeconds(10), first.Expires);
        var again = _store.TryLease("j1", "w1", 0); // lost reply, same request: same lease
        Assert.True(again.Granted);
        Assert.Equal(1, again.Epoch);
        var other = _store.TryLease("j1", "w2", 0);
        Assert.False(other.Granted);
        Assert.Equal("job is leased", other.Reason);
    }

    [Fact]
    public void ApplyCompleted_CurrentLease_AppliesOnceThenDuplicate()
    {
        _store.Submit(Job("j1"));
        var lease = _store.TryLease("j1", "w1", 0);
        var done = new DftJobCompleted("j1", lease.Epoch, "{\"e\":-15.8}", "w1", 1.0);
        Assert.Equal(ApplyOutcome.Applied, _store.ApplyCompleted("result:j1:1", done).Outcome);
        Assert.Equal(ApplyOutcome.Duplicate, _store.ApplyCompleted("result:j1:1", done).Outcome);
        var row = _store.Find("j1")!;
        Assert.Equal(JobStates.Completed, row.State);
        Assert.Equal("{\"e\":-15.8}", row.Result);
        Assert.Equal(new JournalReport(1, 1, 0, 0, 0), JournalReport.FromJournal(_store.Journal));
    }

    [Fact]
    public void ExpiredLease_RedispatchesAndFencesOffTheOldWorker()
    {
        _store.Submit(Job("j1"));
        var old = _store.TryLease("j1", "w1", 0);
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.True(_store.Renew("j1", "w1", old.Epoch)); // renewal pushes expiry to t=14 s
        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.Empty(_store.ExpireLeases());
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(["j1"], _store.ExpireLeases());
        Assert.False(_store.Renew("j1", "w1", old.Epoch));

        // The re-dispatch carries epoch 1; the stale epoch-0 copy can no longer take a lease.
        Assert.Equal(1, OutboxDispatch(1).Epoch);
        Assert.False(_store.TryLease("j1", "w3", 0).Granted);
        var fresh = _store.TryLease("j1", "w2", 1);
        Assert.Equal(2, fresh.Epoch);

        var zombie = _store.ApplyCompleted("result:j1:1", new DftJobCompleted("j1", old.Epoch, "{}", "w1"));
        Assert.Equal(ApplyOutcome.Rejected, zombie.Outcome);
        Assert.Equal("stale epoch 1 (current 2)", zombie.Reason);
        Assert.Equal(ApplyOutcome.Applied, _store.ApplyCompleted("result:j1:2", new DftJobCompleted("j1", fresh.Epoch, "{}", "w2")).Outcome);
        Assert.Equal(new JournalReport(1, 1, 0, 0, 0), JournalReport.FromJournal(_store.Journal));
    }

    [Fact]
    public void ApplyCompleted_AfterLeaseExpiredButBeforeSweep_Rejected()
    {
        _store.Submit(Job("j1"));
        var lease = _store.TryLease("j1", "w1", 0);
        _time.Advance(TimeSpan.FromSeconds(11));
        var r = _store.ApplyCompleted("m", new DftJobCompleted("j1", lease.Epoch, "{}", "w1"));
        Assert.Equal(("lease expired", ApplyOutcome.Rejected), (r.Reason, r.Outcome));
    }

    [Fact]
    public void ApplyFailed_RetryableUntilMaxAttempts_ThenFailed()
    {
        _store.Submit(Job("j1"));
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var lease = _store.TryLease("j1", "w1", attempt - 1);
            Assert.True(lease.Granted, lease.Reason);
            _store.ApplyFailed($"f{attempt}", new DftJobFailed("j1", lease.Epoch, "w1", "scf did not converge", true));
        }
        var row = _store.Find("j1")!;
        Assert.Equal((JobStates.Failed, 3, "scf did not converge"), (row.State, row.Attempts, row.Error));
        Assert.Equal(new JournalReport(1, 0, 1, 0, 1), JournalReport.FromJournal(_store.Journal));
    }

    [Fact]
    public void Outbox_MarkPublished_RemovesFromPending_AndSurvivesReopen()
    {
        _store.Submit(Job("j1"));
        _store.Submit(Job("j2"));
        _store.MarkPublished(_store.PendingOutbox()[0].Id);
        using var reopened = new ClusterDatabase(_db.Path);
        var pending = new JobStore(reopened).PendingOutbox();
        Assert.Equal("j2", ((DftJobRequested)MessageCodec.Default.TryDecodeOrThrow(pending.Single().Body).Message).JobId);
    }
}

internal static class CodecTestExtensions
{
    public static Envelope TryDecodeOrThrow(this MessageCodec codec, byte[] frame) =>
        codec.TryDecode(frame, "test", out var e, out var f) ? e! : throw new InvalidDataException(f!.Reason);
}
