using System.Diagnostics;
using System.Text.Json;
using CrystalActors.Models.Clusters;
using CrystalActors.Models.Relaxation;
using CrystalActors.Runtime.Farming;

namespace CrystalActors.Campaign.Clusters;

/// <summary>
/// The relaxer of a cluster campaign: farm stage "cluster-relax" on nodes with role "relaxer". FIRE on the run's energy
/// model in free space (no cell), one cluster per job; the result is the minimum, its energy and the steps taken.
/// </summary>
public sealed class ClusterRelaxExecutor(Func<IClusterPotential> loadPotential, ClusterRelaxOptions options) : IJobExecutor, IDisposable
{
    private readonly Lazy<IClusterPotential> _potential = new(loadPotential);

    public void Validate(string payload) => Parse(payload);

    public Task<JobExecution> ExecuteAsync(string payload, CancellationToken ct)
    {
        var job = Parse(payload);
        var sw = Stopwatch.StartNew();
        var r = new ClusterRelaxer(_potential.Value, options).Relax([job.Cluster])[0];
        ct.ThrowIfCancellationRequested();
        if (!double.IsFinite(r.FinalEnergy)) throw new InvalidOperationException($"job {job.Label}: the minimisation diverged");
        var result = new ClusterRelaxResult(r.Final, r.InitialEnergy, r.FinalEnergy, r.Steps, r.Converged);
        return Task.FromResult(new JobExecution(JsonSerializer.Serialize(result, ClusterCampaign.Json), sw.Elapsed.TotalSeconds));
    }

    private static ClusterRelaxJob Parse(string payload)
    {
        try
        {
            var job = JsonSerializer.Deserialize<ClusterRelaxJob>(payload, ClusterCampaign.Json) ?? throw new JobPayloadException("empty cluster relax payload");
            if (job.Cluster is null || job.Cluster.NumAtoms == 0) throw new JobPayloadException($"job {job.Label}: no cluster");
            return job;
        }
        catch (JsonException e) { throw new JobPayloadException($"cluster relax payload is not valid: {e.Message}"); }
    }

    public void Dispose()
    {
        if (_potential.IsValueCreated && _potential.Value is M3gnetClusterPotential m) m.Potential.Dispose();
    }
}
