using CrystalActors.Runtime.Farming;
using CrystalActors.Runtime.Messages;

namespace CrystalActors.Runtime.Tests.Farming;

public class WorkerStateTests
{
    private static readonly WorkLeased Lease = new("j1", 3, "dft", "{p}", LeaseSeconds: 30);
    private static readonly WorkerState Start = WorkerState.Start("w1", "dft");

    private static WorkerState Running() => Start.Handle(new WorkOffered(Lease, 1000)).State;

    [Fact]
    public void Idle_RequestsWorkAtOnce_ThenEveryRequestInterval()
    {
        var (s, fx) = Start.Handle(new WorkerTick(0));
        Assert.Equal([new SendToFarm(new RequestWork("w1", "dft"))], fx);
        Assert.Empty(s.Handle(new WorkerTick(4_999)).Effects);
        Assert.Single(s.Handle(new WorkerTick(5_000)).Effects);
    }

    [Fact]
    public void Offer_StartsTheJob()
    {
        var (s, fx) = Start.Handle(new WorkOffered(Lease, 1000));
        Assert.Equal(new Running(Lease, 1000), s.Phase);
        Assert.Equal([new StartExecution(Lease)], fx);
    }

    [Fact]
    public void Running_RenewsEveryThirdOfTheLease()
    {
        var s = Running();
        Assert.Empty(s.Handle(new WorkerTick(10_999)).Effects);
        var (next, fx) = s.Handle(new WorkerTick(11_000));
        Assert.Equal([new SendToFarm(new RenewLease("j1", 3, "w1"))], fx);
        Assert.Empty(next.Handle(new WorkerTick(12_000)).Effects);
    }

    [Fact]
    public void SecondOfferWhileBusy_IsDeclinedSoTheFarmCanGiveItToAnother()
    {
        var other = new WorkLeased("j2", 1, "dft", "{q}", 30);
        var (s, fx) = Running().Handle(new WorkOffered(other, 2000));
        Assert.Equal(Running().Phase, s.Phase);
        Assert.Equal([new SendToFarm(new WorkDeclined("j2", 1, "w1"))], fx);
        Assert.Empty(Running().Handle(new WorkOffered(Lease, 2000)).Effects); // the same lease again: nothing to do
    }

    [Fact]
    public void Result_IsReSentUntilAcknowledged_ThenTheWorkerAsksForMore()
    {
        var (s, fx) = Running().Handle(new ExecutionEnded("j1", 3, "{gap}", 12.5, null, false, 20_000));
        var report = new WorkCompleted("j1", 3, "w1", "{gap}", 12.5);
        Assert.Equal([new SendToFarm(report)], fx);
        Assert.Empty(s.Handle(new WorkerTick(21_000)).Effects);
        var (resent, fx2) = s.Handle(new WorkerTick(22_000));
        Assert.Equal([new SendToFarm(report)], fx2);
        var (idle, fx3) = resent.Handle(new ReportSettled(new WorkAcknowledged("j1", 3, true), 22_500));
        Assert.IsType<Idle>(idle.Phase);
        Assert.Equal([new SendToFarm(new RequestWork("w1", "dft"))], fx3);
    }

    [Fact]
    public void Failure_IsReportedWithItsRetryability()
    {
        var (_, fx) = Running().Handle(new ExecutionEnded("j1", 3, null, 0, "payload refused: bad", false, 2000));
        Assert.Equal([new SendToFarm(new WorkFailed("j1", 3, "w1", "payload refused: bad", false))], fx);
    }

    [Fact]
    public void LeaseLost_CancelsTheRun_AndAResultOfThatLeaseIsDropped()
    {
        var (s, fx) = Running().Handle(new LeaseWithdrawn(new LeaseLost("j1", 3, "stale epoch"), 5000));
        Assert.Equal([new CancelExecution(), new SendToFarm(new RequestWork("w1", "dft"))], fx);
        Assert.Empty(s.Handle(new ExecutionEnded("j1", 3, "{gap}", 1, null, false, 6000)).Effects);
        // A notice about another lease changes nothing.
        Assert.Empty(Running().Handle(new LeaseWithdrawn(new LeaseLost("j1", 2, "old"), 5000)).Effects);
    }

    [Fact]
    public void Shutdown_WhileRunning_HandsTheJobBack()
    {
        var (s, fx) = Running().Handle(new ShutdownRequested());
        Assert.IsType<Stopped>(s.Phase);
        Assert.Equal([new CancelExecution(), new SendToFarm(new WorkFailed("j1", 3, "w1", "worker shutting down", true))], fx);
    }
}
