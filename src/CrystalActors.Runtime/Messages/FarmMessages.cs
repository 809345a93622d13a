namespace CrystalActors.Runtime.Messages;

// The DFT farm's protocol. Workers pull: they ask the farm (a cluster singleton) for work of their kind and
// hold a lease on a job while they run it. Every report carries the job id and the lease epoch, the fencing
// token: a report for an epoch that is no longer current is refused. All of these cross nodes.

/// <summary>Anyone → farm: compute this job. Idempotent by <paramref name="JobId"/>; answered with <see cref="JobAccepted"/>.</summary>
/// <param name="Stages">Worker kinds the job passes through in order, e.g. ["relax", "dft"]; a stage's output is the next stage's payload.</param>
[MessageContract("farm.submit")]
public sealed record SubmitJob(string JobId, string Payload, IReadOnlyList<string> Stages, string RequestedBy) : IWireMessage;

/// <summary>Farm → submitter: the job is in the journal (<paramref name="Duplicate"/>: it already was).</summary>
[MessageContract("farm.accepted")]
public sealed record JobAccepted(string JobId, bool Duplicate) : IWireMessage;

/// <summary>Worker → farm: I am idle and run stages of kind <paramref name="Kind"/>. Repeated while idle; the farm answers when it has work.</summary>
[MessageContract("farm.request-work")]
public sealed record RequestWork(string Worker, string Kind) : IWireMessage;

/// <summary>Farm → worker: run this stage under lease <paramref name="Epoch"/>; renew well within <paramref name="LeaseSeconds"/>.</summary>
[MessageContract("farm.leased")]
public sealed record WorkLeased(string JobId, long Epoch, string Kind, string Payload, double LeaseSeconds) : IWireMessage;

/// <summary>Worker → farm: I cannot take this lease (busy with another); put it back without counting an attempt.</summary>
[MessageContract("farm.declined")]
public sealed record WorkDeclined(string JobId, long Epoch, string Worker) : IWireMessage;

/// <summary>Worker → farm: still running under this lease.</summary>
[MessageContract("farm.renew")]
public sealed record RenewLease(string JobId, long Epoch, string Worker) : IWireMessage;

/// <summary>Farm → worker: the lease is no longer yours (expired and re-leased, or the job ended): stop the run.</summary>
[MessageContract("farm.lease-lost")]
public sealed record LeaseLost(string JobId, long Epoch, string Reason) : IWireMessage;

/// <summary>Worker → farm: the stage finished; <paramref name="Output"/> is the next stage's payload or the final result.</summary>
/// <param name="ExecutorSeconds">Wall time inside the executor (pw.x, FIRE), for the orchestration-overhead figure.</param>
[MessageContract("farm.completed")]
public sealed record WorkCompleted(string JobId, long Epoch, string Worker, string Output, double ExecutorSeconds) : IWireMessage;

/// <summary>Worker → farm: the stage failed. Retryable failures go back to the queue until the attempt limit.</summary>
[MessageContract("farm.failed")]
public sealed record WorkFailed(string JobId, long Epoch, string Worker, string Error, bool Retryable) : IWireMessage;

/// <summary>Farm → worker: your report of this lease is settled (applied, or refused with a reason); stop re-sending it.</summary>
[MessageContract("farm.ack")]
public sealed record WorkAcknowledged(string JobId, long Epoch, bool Applied, string? Reason = null) : IWireMessage;

/// <summary>Anyone → farm: where are these jobs? Answered with <see cref="JobsStatus"/>.</summary>
[MessageContract("farm.query")]
public sealed record QueryJobs(IReadOnlyList<string> JobIds) : IWireMessage;

/// <summary>One job as the farm sees it. <paramref name="State"/> is one of <see cref="JobStates"/>.</summary>
/// <param name="Payload">The latest payload: after a relax stage, the relaxed structure.</param>
public sealed record JobStatus(string JobId, string State, string? Payload, string? Result, string? Error, double? ExecutorSeconds, int Attempts);

[MessageContract("farm.status")]
public sealed record JobsStatus(IReadOnlyList<JobStatus> Jobs) : IWireMessage;

/// <summary>Anyone → farm: the whole table in short (for `cluster status`, the chaos script and tests).</summary>
[MessageContract("farm.summary-request")]
public sealed record GetFarmSummary : IWireMessage
{
    public static readonly GetFarmSummary Instance = new();
}

/// <summary>Jobs by state, the dead-lettered jobs with their reasons, and the orchestration overhead.</summary>
[MessageContract("farm.summary")]
public sealed record FarmSummary(IReadOnlyDictionary<string, int> JobsByState, IReadOnlyList<DeadLetter> DeadLetters, OverheadStats Overhead) : IWireMessage;

/// <summary>A job that ended in the dead-letter state.</summary>
public sealed record DeadLetter(string JobId, int Attempts, string Reason);

/// <summary>Where job time goes: the executor versus everything between lease and commit of the final stage.</summary>
/// <param name="OverheadFraction">(lease→commit − executor) / executor, summed over jobs.</param>
public sealed record OverheadStats(int Jobs, double MeanExecutorSeconds, double MeanLeaseToCommitSeconds, double MeanOverheadSeconds, double OverheadFraction);

/// <summary>Job lifecycle: pending (waiting for a worker of its stage) → leased → pending (next stage) … → completed | failed.</summary>
public static class JobStates
{
    public const string Pending = "pending";
    public const string Leased = "leased";
    public const string Completed = "completed";
    /// <summary>The dead-letter state: out of attempts, or a payload no worker can run.</summary>
    public const string Failed = "failed";
    /// <summary>Only in answers: the farm never saw this id.</summary>
    public const string Unknown = "unknown";
}
