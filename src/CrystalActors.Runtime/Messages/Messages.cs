namespace CrystalActors.Runtime.Messages;

// Every message crossing a node boundary is a sealed positional record with a stable wire name and a
// schema version ([MessageContract]). Payloads that belong to other projects (structures, DFT results)
// travel as JSON strings so the runtime depends on neither the crystal nor the DFT project.
// Changing a record's shape means bumping its version; a receiver rejects versions it does not know.

/// <summary>Marker for every message the codec may put on the wire.</summary>
public interface IClusterMessage;

/// <summary>Marker for messages that concern one DFT job (routing and idempotency key = JobId).</summary>
public interface IWithJobId { string JobId { get; } }

/// <summary>A request to compute one structure with DFT. Also the work-queue dispatch message.</summary>
/// <param name="StructureJson">The job payload, opaque to the runtime (handed to an <c>IJobExecutor</c>).</param>
/// <param name="Protocol">DFT protocol name, e.g. "fast" or "paper".</param>
/// <param name="Epoch">Dispatch generation; bumped by the coordinator each time a lease expires.</param>
[MessageContract("dft.job.requested", 1)]
public sealed record DftJobRequested(string JobId, string StructureJson, string Protocol, string RequestedBy, long Epoch = 0)
    : IClusterMessage, IWithJobId;

/// <summary>Worker → coordinator: "I hold dispatch <paramref name="DispatchEpoch"/> of this job; grant me a lease".</summary>
[MessageContract("dft.lease.requested", 1)]
public sealed record DftLeaseRequested(string JobId, string Worker, long DispatchEpoch, string ReplyTo) : IClusterMessage, IWithJobId;

/// <summary>Coordinator → worker: lease granted (Granted) or refused with a reason. Epoch is the fencing token.</summary>
[MessageContract("dft.job.leased", 1)]
public sealed record DftJobLeased(string JobId, string Worker, long Epoch, DateTimeOffset LeaseExpires, bool Granted, string? Reason = null)
    : IClusterMessage, IWithJobId;

/// <summary>Worker → coordinator: extend my lease (only honoured while the epoch is current).</summary>
[MessageContract("dft.lease.renewed", 1)]
public sealed record DftLeaseRenewed(string JobId, string Worker, long Epoch) : IClusterMessage, IWithJobId;

/// <summary>Worker → coordinator: the job finished. <paramref name="ResultJson"/> is the executor's output.</summary>
/// <param name="ExecutorSeconds">Wall time spent inside the executor (pw.x), for the overhead measurement.</param>
[MessageContract("dft.job.completed", 1)]
public sealed record DftJobCompleted(string JobId, long Epoch, string ResultJson, string Worker, double ExecutorSeconds = 0)
    : IClusterMessage, IWithJobId;

/// <summary>Worker → coordinator: the job failed. Retryable failures are re-dispatched up to a limit.</summary>
[MessageContract("dft.job.failed", 1)]
public sealed record DftJobFailed(string JobId, long Epoch, string Worker, string Error, bool Retryable) : IClusterMessage, IWithJobId;

/// <summary>A new model version is in the content-addressed store. Receivers verify <paramref name="Sha256"/> before loading.</summary>
[MessageContract("model.version.published", 1)]
public sealed record ModelVersionPublished(string ModelName, long Version, string Path, string Sha256) : IClusterMessage;

/// <summary>One finished RL episode: what was designed and how it scored.</summary>
[MessageContract("rl.episode.summary", 1)]
public sealed record EpisodeSummary(string EpisodeId, string Generator, string Formula, double Reward, double? BandGapEv, int Steps, DateTimeOffset At)
    : IClusterMessage;

/// <summary>Liveness broadcast, every few seconds, from every node.</summary>
[MessageContract("node.heartbeat", 1)]
public sealed record Heartbeat(string Node, IReadOnlyList<string> Roles, DateTimeOffset Time) : IClusterMessage;

/// <summary>Attribute binding a record to its wire name and schema version.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class MessageContractAttribute(string name, int version) : Attribute
{
    public string Name { get; } = name;
    public int Version { get; } = version;
}
