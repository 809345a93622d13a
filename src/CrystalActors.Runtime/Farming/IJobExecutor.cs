namespace CrystalActors.Runtime.Farming;

/// <summary>
/// Turns a job payload into a result; the runtime's only view of DFT. The DFT project provides the
/// production implementation; <see cref="SiliconPwExecutor"/> runs real pw.x on a tiny cell for tests and chaos.
/// </summary>
public interface IJobExecutor
{
    /// <summary>Cheap check run before a lease is taken; throws <see cref="JobPayloadException"/> for a payload that can never run.</summary>
    void Validate(string payload);

    /// <summary>Runs the job. Cancelling <paramref name="ct"/> kills the computation.</summary>
    Task<JobExecution> ExecuteAsync(string payload, CancellationToken ct);
}

/// <summary>The executor's output (JSON) and the wall time spent in the external program.</summary>
public sealed record JobExecution(string ResultJson, double ExecutorSeconds);

/// <summary>The job payload is malformed; retrying it elsewhere will not help.</summary>
public sealed class JobPayloadException(string message) : Exception(message);
