using CrystalActors.Runtime.Persistence;

namespace CrystalActors.Runtime.Tests.Persistence;

public sealed class JournalTests : IDisposable
{
    private readonly string _dir = TestEnvironment.TempDir("journal");
    public void Dispose() => Directory.Delete(_dir, true);

    private static RegisterModelVersion Cmd(string model, int i) =>
        new(model, $"/store/{i}", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([(byte)i])), DateTimeOffset.UnixEpoch.AddMinutes(i));

    [Fact]
    public void Recover_FromSnapshotPlusLaterEvents_EqualsFullReplay()
    {
        var path = Path.Combine(_dir, "j.db");
        using (var db = new ClusterDatabase(path))
        {
            var registry = ModelRegistryState.InJournal(new EventJournal(db), snapshotEvery: 4);
            for (var i = 1; i <= 10; i++)
            {
                var model = i % 2 == 0 ? "qnet" : "reward";
                var (events, notice) = registry.State.Handle(Cmd(model, i));
                db.InTransaction(() => registry.Persist(events));
                Assert.Equal(registry.State.Latest(model)!.Version, notice.Version);
            }
        }
        using (var db = new ClusterDatabase(path))
        {
            var journal = new EventJournal(db);
            var (snapshot, tail) = journal.Load(ModelRegistryState.Entity);
            Assert.Equal(8, snapshot!.Seq);                      // snapshots at 4 and 8
            Assert.Equal([9L, 10L], tail.Select(e => e.Seq));    // recovery replays only these
            var recovered = ModelRegistryState.InJournal(journal).Recover();
            var replayed = journal.Events(ModelRegistryState.Entity).Aggregate(ModelRegistryState.Empty, (s, e) => ModelRegistryState.Apply(s, e.Type, e.Data));
            Assert.Equal(replayed.Serialize(), recovered.Serialize());
            Assert.Equal(5, recovered.Latest("qnet")!.Version);
            Assert.Equal("/store/10", recovered.Latest("qnet")!.Path);
            Assert.Equal(5, recovered.Latest("reward")!.Version);
        }
    }

    [Fact]
    public void Handle_BadHash_ThrowsNamingModel()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelRegistryState.Empty.Handle(new RegisterModelVersion("qnet", "/p", "xyz", default)));
        Assert.Contains("qnet", e.Message);
    }

    [Fact]
    public async Task ContentStore_Put_VerifiesAndDetectsTampering()
    {
        var store = new ContentStore(Path.Combine(_dir, "cas"));
        var data = System.Text.Encoding.UTF8.GetBytes("weights v1");
        var r = await store.PutAsync(data);
        Assert.Equal("13e35c44395f6cade670c076230362267c5288989d3498e207877d62b859a6d8", r.Sha256); // sha256sum of "weights v1"
        Assert.Equal(10, r.Bytes);
        Assert.Equal(store.PathFor(r.Sha256), r.Path);
        Assert.Equal(data, await ContentStore.OpenVerified(r));
        Assert.Equal(r, await store.PutAsync(data)); // same content, same address
        await File.WriteAllTextAsync(r.Path, "weights v2");
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => ContentStore.OpenVerified(r));
        Assert.Contains(r.Sha256, e.Message);
    }
}

public sealed class CampaignEntityTests : IDisposable
{
    private readonly string _dir = TestEnvironment.TempDir("campaign");
    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Campaign_RecoveredAfterReopen_KeepsBestEpisode()
    {
        var path = Path.Combine(_dir, "c.db");
        double[] rewards = [0.1, 0.9, 0.4, 0.95, 0.2, 0.3, 0.5];
        using (var db = new ClusterDatabase(path))
        {
            var campaign = CampaignState.InJournal(new EventJournal(db), snapshotEvery: 3);
            for (var i = 0; i < rewards.Length; i++)
                db.InTransaction(() => campaign.Persist([CampaignState.Record(new CrystalActors.Runtime.Messages.EpisodeSummary($"ep{i}", "r1", $"F{i}", rewards[i], null, 5, default))]));
        }
        using var reopened = new ClusterDatabase(path);
        var s = CampaignState.InJournal(new EventJournal(reopened)).Recover();
        Assert.Equal(new CampaignState(7, 0.95, "F3", "ep3"), s);
    }

    [Fact]
    public void ReplayIndex_OverCapacity_EvictsOldestShardsAndRecovers()
    {
        var path = Path.Combine(_dir, "r.db");
        using (var db = new ClusterDatabase(path))
        {
            var index = ReplayBufferIndexState.InJournal(new EventJournal(db), maxTransitions: 1000, snapshotEvery: 2);
            foreach (var n in new[] { 400, 300, 200, 500 })
                db.InTransaction(() => index.Persist(index.State.Add(new ReplayShard($"/cas/{n}", new string('0', 64), n))));
            Assert.Equal(1000, index.State.Transitions); // 400 + 300 + 200 + 500 = 1400: the 400-shard went
        }
        using var reopened = new ClusterDatabase(path);
        var s = ReplayBufferIndexState.InJournal(new EventJournal(reopened), 1000).Recover();
        Assert.Equal(["/cas/300", "/cas/200", "/cas/500"], s.Shards.Select(x => x.Path));
    }
}
