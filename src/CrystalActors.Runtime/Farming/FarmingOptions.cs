namespace CrystalActors.Runtime.Farming;

/// <summary>Queue names and timings of DFT farming. Defaults in the initialisers.</summary>
public sealed class FarmingOptions
{
    /// <summary>Work queue holding job dispatches. Default "queue/dft.jobs".</summary>
    public string JobQueue { get; init; } = "queue/dft.jobs";
    /// <summary>The coordinator's inbox queue (submissions, lease requests, renewals, results). Default "queue/coordinator".</summary>
    public string CoordinatorQueue { get; init; } = "queue/coordinator";
    /// <summary>Heartbeat broadcast. Default "broadcast/heartbeats".</summary>
    public string HeartbeatTopic { get; init; } = "broadcast/heartbeats";
    /// <summary>Model-version notices (latest value). Default "latest/model-versions".</summary>
    public string ModelTopic { get; init; } = "latest/model-versions";
    /// <summary>Lease length; workers renew every third of it. Default 15 s.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>How long a worker holds a dispatch waiting for the coordinator's lease reply before handing it back. Default 60 s (covers a coordinator restart).</summary>
    public TimeSpan LeaseReplyTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Heartbeat period. Default 2 s.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>How often the coordinator looks for expired leases. Default 1 s.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Attempts before a job is failed for good. Default 5.</summary>
    public int MaxAttempts { get; init; } = 5;

    public static string ReplyQueueOf(string worker) => $"queue/reply.{worker}";
}
