using CrystalActors.Runtime.Farming;
using CrystalActors.Runtime.Messages;
using CrystalActors.Runtime.Transport;

namespace CrystalActors.Runtime.Tests.Farming;

public class DftWorkerStateTests
{
    private static readonly DftJobRequested Job = new("j1", "{\"a\":5.43}", "fast", "test", Epoch: 2);
    private static readonly DftWorkerState Start = DftWorkerState.Start("w1", "queue/reply.w1");

    private static DftWorkerState Leasing() => Start.Handle(new DispatchOffered(Job)).State;
    private static DftWorkerState RunningJob() => Leasing().Handle(new LeaseReplyReceived(new DftJobLeased("j1", "w1", 3, default, true))).State;

    [Fact]
    public void Handle_DispatchWhileIdle_RequestsLeaseForThatDispatchEpoch()
    {
        var (s, fx) = Start.Handle(new DispatchOffered(Job));
        Assert.IsType<AwaitingLease>(s.Phase);
        var send = Assert.IsType<SendToCoordinator>(Assert.Single(fx));
        Assert.Equal(new DftLeaseRequested("j1", "w1", 2, "queue/reply.w1"), send.Message);
    }

    [Fact]
    public void Handle_LeaseGranted_AcksAndPausesThenStartsJob()
    {
        var (s, fx) = Leasing().Handle(new LeaseReplyReceived(new DftJobLeased("j1", "w1", 3, default, true)));
        Assert.Equal(new Running(Job, 3), s.Phase);
        Assert.Equal([new AnswerDispatch(DeliveryOutcome.AckAndPause), new StartJob(Job, 3)], fx);
    }

    [Fact]
    public void Handle_LeaseRefused_AcksToDropDuplicateAndGoesIdle()
    {
        var (s, fx) = Leasing().Handle(new LeaseReplyReceived(new DftJobLeased("j1", "w1", 3, default, false, "job is leased")));
        Assert.IsType<Idle>(s.Phase);
        Assert.Equal([new AnswerDispatch(DeliveryOutcome.Ack)], fx);
    }

    [Fact]
    public void Handle_ReplyForOtherWorkerOrJob_Ignored()
    {
        Assert.Empty(Leasing().Handle(new LeaseReplyReceived(new DftJobLeased("j1", "w2", 3, default, true))).Effects);
        Assert.Empty(Leasing().Handle(new LeaseReplyReceived(new DftJobLeased("j9", "w1", 3, default, true))).Effects);
    }

    [Fact]
    public void Handle_LeaseReplyTimeout_RequeuesDispatch()
    {
        var (s, fx) = Leasing().Handle(new LeaseReplyTimedOut("j1", 2));
        Assert.IsType<Idle>(s.Phase);
        Assert.Equal([new AnswerDispatch(DeliveryOutcome.Requeue)], fx);
    }

    [Fact]
    public void Handle_DispatchWhileRunning_RefusesOffer()
    {
        var (s, fx) = RunningJob().Handle(new DispatchOffered(Job with { JobId = "j2" }));
        Assert.IsType<Running>(s.Phase);
        Assert.Equal([new RefuseOffer()], fx);
    }

    [Fact]
    public void Handle_JobFinished_ReportsResultWithEpochAndResumes()
    {
        var (s, fx) = RunningJob().Handle(new JobFinished("j1", 3, new JobExecution("{\"e\":1}", 1.5), null));
        Assert.IsType<Idle>(s.Phase);
        var send = Assert.IsType<SendToCoordinator>(fx[0]);
        Assert.Equal(new DftJobCompleted("j1", 3, "{\"e\":1}", "w1", 1.5), send.Message);
        Assert.Equal("result:j1:3", send.MessageId);
        Assert.IsType<ResumeConsuming>(fx[1]);
    }

    [Fact]
    public void Handle_JobFailedWithBadPayload_ReportsNonRetryable()
    {
        var (_, fx) = RunningJob().Handle(new JobFinished("j1", 3, null, new JobPayloadException("a missing")));
        var failed = Assert.IsType<DftJobFailed>(Assert.IsType<SendToCoordinator>(fx[0]).Message);
        Assert.False(failed.Retryable);
    }

    [Fact]
    public void Handle_ShutdownWhileRunning_CancelsAndReportsRetryableFailure()
    {
        var (s, fx) = RunningJob().Handle(new ShutdownRequested());
        Assert.IsType<Stopped>(s.Phase);
        Assert.IsType<CancelJob>(fx[0]);
        Assert.Equal(new DftJobFailed("j1", 3, "w1", "worker shutting down", true), Assert.IsType<SendToCoordinator>(fx[1]).Message);
    }

    [Fact]
    public void Handle_RenewWhileRunning_SendsRenewalWithEpoch()
    {
        var fx = RunningJob().Handle(new RenewDue()).Effects;
        Assert.Equal(new DftLeaseRenewed("j1", "w1", 3), Assert.IsType<SendToCoordinator>(Assert.Single(fx)).Message);
        Assert.Empty(Start.Handle(new RenewDue()).Effects);
    }
}
