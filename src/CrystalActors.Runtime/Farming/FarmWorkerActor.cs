using Akka.Actor;
using Akka.Event;
using CrystalActors.Runtime.Messages;

namespace CrystalActors.Runtime.Farming;

/// <summary>
/// Thin shell over <see cref="WorkerState"/>: asks the farm for work of its kind, runs the executor off the
/// mailbox (the stage's outcome is piped back), renews the lease while it runs, and re-sends its report until
/// the farm acknowledges it. A DFT worker and a relaxer are this actor with different executors.
/// </summary>
public sealed class FarmWorkerActor : ReceiveActor, IWithTimers
{
    private readonly string _name;
    private readonly IJobExecutor _executor;
    private readonly IActorRef _farm;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private WorkerState _state;
    private CancellationTokenSource? _run;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string name, string kind, IJobExecutor executor, IActorRef farm, WorkerTimings? timings = null) =>
        Akka.Actor.Props.Create(() => new FarmWorkerActor(name, kind, executor, farm, timings));

    public FarmWorkerActor(string name, string kind, IJobExecutor executor, IActorRef farm, WorkerTimings? timings)
    {
        _name = name;
        _executor = executor;
        _farm = farm;
        _state = WorkerState.Start(name, kind, timings);
        Receive<Tick>(_ => Apply(new WorkerTick(Now)));
        Receive<WorkLeased>(l => Apply(new WorkOffered(l, Now)));
        Receive<LeaseLost>(l => Apply(new LeaseWithdrawn(l, Now)));
        Receive<WorkAcknowledged>(a =>
        {
            if (!a.Applied) _log.Warning("Farm refused the report of {0} (epoch {1}): {2}", a.JobId, a.Epoch, a.Reason);
            Apply(new ReportSettled(a, Now));
        });
        Receive<Ended>(e => Apply(e.Outcome with { NowMs = Now }));
        Receive<GetPhase>(_ => Sender.Tell(_state.Phase));
    }

    /// <summary>The worker's phase (for tests and status).</summary>
    public sealed record GetPhase
    {
        public static readonly GetPhase Instance = new();
    }

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.FromMilliseconds(500));
        Apply(new WorkerTick(Now));
    }

    protected override void PostStop()
    {
        // Graceful stop: hand the running job back at once instead of letting its lease run out.
        var (next, effects) = _state.Handle(new ShutdownRequested());
        _state = next;
        foreach (var e in effects) Carry(e);
    }

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private void Apply(WorkerInput input)
    {
        var (next, effects) = _state.Handle(input);
        _state = next;
        foreach (var e in effects) Carry(e);
    }

    private void Carry(WorkerEffect effect)
    {
        switch (effect)
        {
            case SendToFarm s:
                _farm.Tell(s.Message, Self);
                break;
            case StartExecution x:
                _log.Info("{0} runs {1} stage of {2} (epoch {3})", _name, x.Lease.Kind, x.Lease.JobId, x.Lease.Epoch);
                _run = new CancellationTokenSource();
                RunAsync(x.Lease, _run.Token).PipeTo(Self, success: ended => new Ended(ended));
                break;
            case CancelExecution:
                _run?.Cancel();
                break;
        }
    }

    private async Task<ExecutionEnded> RunAsync(WorkLeased lease, CancellationToken ct)
    {
        try
        {
            _executor.Validate(lease.Payload);
            var r = await Task.Run(() => _executor.ExecuteAsync(lease.Payload, ct), ct).ConfigureAwait(false);
            return new ExecutionEnded(lease.JobId, lease.Epoch, r.ResultJson, r.ExecutorSeconds, null, false, 0);
        }
        catch (JobPayloadException e)
        {
            return new ExecutionEnded(lease.JobId, lease.Epoch, null, 0, $"payload refused: {e.Message}", Retryable: false, 0);
        }
        catch (Exception e)
        {
            return new ExecutionEnded(lease.JobId, lease.Epoch, null, 0, $"{e.GetType().Name}: {e.Message}", Retryable: true, 0);
        }
    }

    /// <summary>The executor's outcome piped back; a local message only.</summary>
    private sealed record Ended(ExecutionEnded Outcome) : INoSerializationVerificationNeeded;

    private sealed record Tick : INoSerializationVerificationNeeded
    {
        public static readonly Tick Instance = new();
    }
}
