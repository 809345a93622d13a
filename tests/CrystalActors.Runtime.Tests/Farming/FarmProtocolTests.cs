using Akka.Actor;
using Akka.TestKit.Xunit2;
using CrystalActors.Runtime.Farming;
using CrystalActors.Runtime.Messages;

namespace CrystalActors.Runtime.Tests.Farming;

/// <summary>The farm and its workers as actors (TestKit), every message through the wire serializer.</summary>
public class FarmProtocolTests() : TestKit(AkkaTestConfig.Local)
{
    private static readonly FarmOptions Fast = new() { Lease = TimeSpan.FromSeconds(1.5), SweepEvery = TimeSpan.FromMilliseconds(200), PersistenceId = "farm-" + Guid.NewGuid() };

    private IActorRef Farm(FarmOptions? o = null) => Sys.ActorOf(DftFarmActor.Props(o ?? Fast));

    private JobStatus StatusOf(IActorRef farm, string id)
    {
        farm.Tell(new QueryJobs([id]), TestActor);
        return ExpectMsg<JobsStatus>().Jobs.Single();
    }

    [Fact]
    public void Farm_SubmitLeaseComplete_ThenQueryShowsTheResult()
    {
        var farm = Farm();
        farm.Tell(new SubmitJob("j1", "{p}", ["dft"], "test"), TestActor);
        ExpectMsg(new JobAccepted("j1", false));
        var worker = CreateTestProbe();
        farm.Tell(new RequestWork("w1", "dft"), worker);
        var lease = worker.ExpectMsg<WorkLeased>();
        Assert.Equal(("j1", 1L, "{p}"), (lease.JobId, lease.Epoch, lease.Payload));
        farm.Tell(new WorkCompleted("j1", 1, "w1", "{gap}", 2.0), worker);
        worker.ExpectMsg(new WorkAcknowledged("j1", 1, true));
        Assert.Equal((JobStates.Completed, "{gap}"), (StatusOf(farm, "j1").State, StatusOf(farm, "j1").Result));
        Assert.Equal(JobStates.Unknown, StatusOf(farm, "nope").State);
    }

    [Fact]
    public void Farm_IdleWorker_GetsWorkAsSoonAsItIsSubmitted()
    {
        var farm = Farm();
        var worker = CreateTestProbe();
        farm.Tell(new RequestWork("w1", "dft"), worker);
        worker.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        farm.Tell(new SubmitJob("j1", "{p}", ["dft"], "test"), TestActor);
        Assert.Equal("j1", worker.ExpectMsg<WorkLeased>().JobId);
    }

    [Fact]
    public void Farm_SilentWorkersLeaseExpires_JobGoesToAnother_AndTheLateResultIsRefused()
    {
        var farm = Farm();
        farm.Tell(new SubmitJob("j1", "{p}", ["dft"], "test"), TestActor);
        ExpectMsg<JobAccepted>();
        var dead = CreateTestProbe();
        farm.Tell(new RequestWork("dead", "dft"), dead);
        dead.ExpectMsg<WorkLeased>();
        // "dead" never renews: after the lease term the job is pending again and goes to the next worker.
        var alive = CreateTestProbe();
        AwaitAssert(() =>
        {
            farm.Tell(new RequestWork("alive", "dft"), alive);
            Assert.Equal(2, alive.ExpectMsg<WorkLeased>(TimeSpan.FromMilliseconds(500)).Epoch);
        }, TimeSpan.FromSeconds(6), TimeSpan.FromMilliseconds(100));
        // "alive" keeps its lease as a real worker does (the term is short here; a loaded machine can take longer).
        farm.Tell(new RenewLease("j1", 2, "alive"), alive);
        farm.Tell(new WorkCompleted("j1", 1, "dead", "{late}", 1), dead);
        Assert.False(dead.ExpectMsg<WorkAcknowledged>().Applied);
        farm.Tell(new RenewLease("j1", 1, "dead"), dead);
        dead.ExpectMsg<LeaseLost>();
        farm.Tell(new RenewLease("j1", 2, "alive"), alive);
        farm.Tell(new WorkCompleted("j1", 2, "alive", "{good}", 1), alive);
        Assert.True(alive.ExpectMsg<WorkAcknowledged>().Applied);
        Assert.Equal("{good}", StatusOf(farm, "j1").Result);
    }

    [Fact]
    public void Farm_RecoversItsTableFromTheJournal()
    {
        var o = Fast with { PersistenceId = "farm-recover-" + Guid.NewGuid() };
        var farm = Farm(o);
        farm.Tell(new SubmitJob("j1", "{p}", ["dft"], "test"), TestActor);
        farm.Tell(new SubmitJob("j2", "{q}", ["dft"], "test"), TestActor);
        ExpectMsg<JobAccepted>();
        ExpectMsg<JobAccepted>();
        farm.Tell(new RequestWork("w1", "dft"), TestActor);
        ExpectMsg<WorkLeased>();
        farm.Tell(new WorkCompleted("j1", 1, "w1", "{r}", 1), TestActor);
        ExpectMsg<WorkAcknowledged>();
        Watch(farm);
        farm.Tell(PoisonPill.Instance);
        ExpectTerminated(farm);

        var again = Farm(o);
        again.Tell(new QueryJobs(["j1", "j2"]), TestActor);
        var states = ExpectMsg<JobsStatus>().Jobs.Select(j => j.State).ToList();
        Assert.Equal([JobStates.Completed, JobStates.Pending], states);
        again.Tell(new SubmitJob("j1", "{p}", ["dft"], "test"), TestActor);
        ExpectMsg(new JobAccepted("j1", true));
    }

    [Fact]
    public void Workers_RunEveryJobOnce_AndAStoppedWorkerHandsItsJobBack()
    {
        var farm = Farm(Fast with { Lease = TimeSpan.FromSeconds(30) });
        var executor = new SlowExecutor(TimeSpan.FromMilliseconds(300));
        for (int i = 0; i < 6; i++) farm.Tell(new SubmitJob($"j{i}", $"{{\"n\": {i}}}", ["dft"], "test"), TestActor);
        ReceiveN(6);
        var w1 = Sys.ActorOf(FarmWorkerActor.Props("w1", "dft", executor, farm));
        var w2 = Sys.ActorOf(FarmWorkerActor.Props("w2", "dft", new SlowExecutor(TimeSpan.FromSeconds(60)), farm));
        // w2 takes a job that would run a minute; stopping it hands the job back at once instead of waiting for its lease.
        AwaitCondition(() => { farm.Tell(GetFarmSummary.Instance, TestActor); return ExpectMsg<FarmSummary>().JobsByState.GetValueOrDefault(JobStates.Leased) == 2; },
            TimeSpan.FromSeconds(10));
        Sys.Stop(w2);
        AwaitCondition(() => { farm.Tell(GetFarmSummary.Instance, TestActor); return ExpectMsg<FarmSummary>().JobsByState.GetValueOrDefault(JobStates.Completed) == 6; },
            TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(200));
        Assert.Equal(6, executor.Runs.Distinct().Count());
    }

    [Fact]
    public void Worker_PoisonPayload_EndsDeadLettered()
    {
        var farm = Farm();
        farm.Tell(new SubmitJob("poison", "refuse me", ["dft"], "test"), TestActor);
        ExpectMsg<JobAccepted>();
        Sys.ActorOf(FarmWorkerActor.Props("w1", "dft", new SlowExecutor(TimeSpan.Zero), farm));
        AwaitAssert(() => Assert.Equal(JobStates.Failed, StatusOf(farm, "poison").State), TimeSpan.FromSeconds(10));
        Assert.StartsWith("payload refused", StatusOf(farm, "poison").Error);
    }

    /// <summary>An executor that takes a while; refuses a payload that is not JSON.</summary>
    private sealed class SlowExecutor(TimeSpan time) : IJobExecutor
    {
        public System.Collections.Concurrent.ConcurrentBag<string> Runs { get; } = [];

        public void Validate(string payload)
        {
            if (!payload.StartsWith('{')) throw new JobPayloadException("not JSON");
        }

        public async Task<JobExecution> ExecuteAsync(string payload, CancellationToken ct)
        {
            await Task.Delay(time, ct);
            Runs.Add(payload);
            return new JobExecution($"{{\"done\": {payload}}}", time.TotalSeconds);
        }
    }
}
