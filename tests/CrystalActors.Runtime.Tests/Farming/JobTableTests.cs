using CrystalActors.Runtime.Farming;
using CrystalActors.Runtime.Messages;

namespace CrystalActors.Runtime.Tests.Farming;

public class JobTableTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(10);

    private static JobTable Run(JobTable t, IWireMessage command, long now, out FarmDecision d)
    {
        d = t.Decide(command, now);
        return d.Events.Aggregate(t, (x, e) => x.Apply(e));
    }

    private static JobTable WithJob(string stages = "dft", int maxAttempts = 3) =>
        Run(JobTable.Empty(Lease, maxAttempts), new SubmitJob("j1", "{p}", stages.Split(','), "test"), 1000, out _);

    [Fact]
    public void Submit_IsIdempotentByJobId()
    {
        var t = WithJob();
        var again = Run(t, new SubmitJob("j1", "{other}", ["dft"], "test"), 2000, out var d);
        Assert.Empty(d.Events);
        Assert.Equal(new JobAccepted("j1", Duplicate: true), d.Reply);
        Assert.Equal("{p}", again.Find("j1")!.Payload);
        Assert.Equal(1, again.Submitted);
    }

    [Fact]
    public void RequestWork_LeasesOldestPendingOfThatKind_WithNextEpoch()
    {
        var t = WithJob();
        t = Run(t, new SubmitJob("j2", "{q}", ["dft"], "test"), 1500, out _);
        Assert.Empty(t.Decide(new RequestWork("w1", "relax"), 2000).Events); // nothing of that kind
        t = Run(t, new RequestWork("w1", "dft"), 2000, out var d);
        Assert.Equal(new WorkLeased("j1", 1, "dft", "{p}", 10), d.Reply);
        var j = t.Find("j1")!;
        Assert.Equal((JobStates.Leased, 1L, "w1", 12_000L), (j.State, j.Epoch, j.Worker, j.LeaseExpiresMs!.Value));
    }

    [Fact]
    public void Completion_OfCurrentLease_IsAppliedOnce_AndARepeatIsSettledWithoutEvents()
    {
        var t = Run(WithJob(), new RequestWork("w1", "dft"), 2000, out _);
        t = Run(t, new WorkCompleted("j1", 1, "w1", "{result}", 4.5), 5000, out var d);
        Assert.Single(d.Events);
        Assert.Equal(new WorkAcknowledged("j1", 1, true), d.Reply);
        Assert.Equal((JobStates.Completed, "{result}", 4.5), (t.Find("j1")!.State, t.Find("j1")!.Result, t.Find("j1")!.ExecutorSeconds!.Value));
        // The worker did not get the ack and sends again: no second event, an ack that says it was applied.
        t.Decide(new WorkCompleted("j1", 1, "w1", "{result}", 4.5), 6000).Deconstruct(out var events, out var reply);
        Assert.Empty(events);
        Assert.Equal(new WorkAcknowledged("j1", 1, true), reply);
    }

    [Fact]
    public void ExpiredLease_Requeues_AndTheStaleWorkersLateResultIsFencedOff()
    {
        var t = Run(WithJob(), new RequestWork("w1", "dft"), 2000, out _);
        Assert.Empty(t.Expire(11_999));
        var expired = t.Expire(12_001);
        t = expired.Aggregate(t, (x, e) => x.Apply(e));
        Assert.Equal((JobStates.Pending, 1), (t.Find("j1")!.State, t.Find("j1")!.Attempts));
        t = Run(t, new RequestWork("w2", "dft"), 13_000, out var d);
        Assert.Equal(2, ((WorkLeased)d.Reply!).Epoch);
        // w1 comes back from the dead with its result of epoch 1: refused, nothing journaled.
        var late = t.Decide(new WorkCompleted("j1", 1, "w1", "{late}", 1), 14_000);
        Assert.Empty(late.Events);
        Assert.Equal(new WorkAcknowledged("j1", 1, false, "stale epoch 1 (current 2)"), late.Reply);
        // w2's result is the one that counts.
        t = Run(t, new WorkCompleted("j1", 2, "w2", "{good}", 1), 15_000, out _);
        Assert.Equal("{good}", t.Find("j1")!.Result);
    }

    [Fact]
    public void ExpiredLease_NotYetLeasedAgain_TheLateResultIsRefused_AndTheJobStaysQueued()
    {
        // The lease ran out and the job is back in the queue with the same epoch and worker: the late report must not be
        // told "applied" (the worker would drop its result while the farm still waits for one).
        var t = Run(WithJob(), new RequestWork("w1", "dft"), 2000, out _);
        t = t.Expire(12_001).Aggregate(t, (x, e) => x.Apply(e));
        var late = t.Decide(new WorkCompleted("j1", 1, "w1", "{late}", 1), 12_500);
        Assert.Empty(late.Events);
        Assert.Equal(new WorkAcknowledged("j1", 1, false, "job is pending"), late.Reply);
        Assert.Equal(JobStates.Pending, t.Find("j1")!.State);
    }

    [Fact]
    public void Renew_ExtendsOnlyTheLiveLease()
    {
        var t = Run(WithJob(), new RequestWork("w1", "dft"), 2000, out _);
        var (renewed, refused) = t.Renew("j1", 1, "w1", 9000);
        Assert.Null(refused);
        Assert.Equal(19_000, renewed.Find("j1")!.LeaseExpiresMs);
        Assert.Equal("lease belongs to w1, not w9", t.Renew("j1", 1, "w9", 9000).Refused);
        Assert.Equal("stale epoch 0 (current 1)", t.Renew("j1", 0, "w1", 9000).Refused);
    }

    [Fact]
    public void RetryableFailures_RequeueUntilTheAttemptLimit_ThenDeadLetter()
    {
        var t = WithJob(maxAttempts: 2);
        t = Run(t, new RequestWork("w1", "dft"), 2000, out _);
        t = Run(t, new WorkFailed("j1", 1, "w1", "pw.x crashed", true), 3000, out _);
        Assert.Equal((JobStates.Pending, 1), (t.Find("j1")!.State, t.Find("j1")!.Attempts));
        t = Run(t, new RequestWork("w1", "dft"), 4000, out _);
        t = Run(t, new WorkFailed("j1", 2, "w1", "pw.x crashed", true), 5000, out _);
        var j = t.Find("j1")!;
        Assert.Equal((JobStates.Failed, 2), (j.State, j.Attempts));
        Assert.Contains("attempt 2 of 2", j.Error);
        Assert.Equal("j1", Assert.Single(t.Summary().DeadLetters).JobId);
    }

    [Fact]
    public void PoisonPayload_IsDeadLetteredAtOnce()
    {
        var t = Run(Run(WithJob(), new RequestWork("w1", "dft"), 2000, out _), new WorkFailed("j1", 1, "w1", "payload refused: not JSON", false), 3000, out _);
        Assert.Equal((JobStates.Failed, "payload refused: not JSON"), (t.Find("j1")!.State, t.Find("j1")!.Error));
    }

    [Fact]
    public void Declined_GoesBackWithoutCountingAnAttempt()
    {
        var t = Run(Run(WithJob(), new RequestWork("w1", "dft"), 2000, out _), new WorkDeclined("j1", 1, "w1"), 2100, out _);
        Assert.Equal((JobStates.Pending, 0), (t.Find("j1")!.State, t.Find("j1")!.Attempts));
    }

    [Fact]
    public void Stages_RunInOrder_AndAStagesOutputIsTheNextPayload()
    {
        var t = WithJob("relax,dft");
        Assert.Empty(t.Decide(new RequestWork("w-dft", "dft"), 2000).Events);
        t = Run(t, new RequestWork("w-relax", "relax"), 2000, out _);
        t = Run(t, new WorkCompleted("j1", 1, "w-relax", "{relaxed}", 0.3), 2500, out _);
        var j = t.Find("j1")!;
        Assert.Equal((JobStates.Pending, "dft", "{relaxed}"), (j.State, j.Stage, j.Payload));
        t = Run(t, new RequestWork("w-dft", "dft"), 3000, out var d);
        Assert.Equal(new WorkLeased("j1", 2, "dft", "{relaxed}", 10), d.Reply);
        t = Run(t, new WorkCompleted("j1", 2, "w-dft", "{gap}", 6), 9000, out _);
        Assert.Equal((JobStates.Completed, "{relaxed}", "{gap}"), (t.Find("j1")!.State, t.Find("j1")!.Payload, t.Find("j1")!.Result));
    }

    [Fact]
    public void GraceLeases_GivesEveryLiveLeaseAFreshTerm()
    {
        var t = Run(WithJob(), new RequestWork("w1", "dft"), 2000, out _).GraceLeases(100_000);
        Assert.Equal(110_000, t.Find("j1")!.LeaseExpiresMs);
        Assert.Empty(t.Expire(105_000));
    }

    [Fact]
    public void Summary_OverheadIsLeaseToCommitMinusExecutorTime()
    {
        var t = Run(WithJob(), new RequestWork("w1", "dft"), 2000, out _);
        t = Run(t, new WorkCompleted("j1", 1, "w1", "{r}", 4.0), 6100, out _); // 4.1 s lease -> commit
        var o = t.Summary().Overhead;
        Assert.Equal(1, o.Jobs);
        Assert.Equal(0.1, o.MeanOverheadSeconds, 6);
        Assert.Equal(0.025, o.OverheadFraction, 6);
    }

    [Fact]
    public void FarmReport_CountsFromTheJournal_AndFindsADuplicatedCompletion()
    {
        var t = JobTable.Empty(Lease, 3);
        var events = new List<IWireMessage>();
        void Do(IWireMessage c, long now) { var d = t.Decide(c, now); events.AddRange(d.Events); t = d.Events.Aggregate(t, (x, e) => x.Apply(e)); }
        Do(new SubmitJob("si-1", "{}", ["dft"], "t"), 1);
        Do(new SubmitJob("si-2", "{}", ["dft"], "t"), 1);
        Do(new SubmitJob("poison-0", "{}", ["dft"], "t"), 1);
        Do(new RequestWork("w", "dft"), 2);
        Do(new WorkCompleted("si-1", 1, "w", "{}", 1), 3);
        Do(new RequestWork("w", "dft"), 4);
        Do(new WorkCompleted("si-2", 1, "w", "{}", 1), 5);
        Do(new RequestWork("w", "dft"), 6);
        Do(new WorkFailed("poison-0", 1, "w", "refused", false), 7);
        Assert.Equal("jobs=2 completed=2 lost=0 duplicated=0", FarmReport.FromEvents(events, "si-").ToString());
        Assert.Equal(new FarmReport(3, 2, 0, 0, 1), FarmReport.FromEvents(events));
        // A journal that (wrongly) holds a second completion of the same stage is caught.
        events.Add(new StageCompleted("si-1", 1, "w", "{}", 1, 8));
        Assert.Equal(1, FarmReport.FromEvents(events).Duplicated);
    }
}
