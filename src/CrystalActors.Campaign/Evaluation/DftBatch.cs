using Akka.Actor;
using CrystalActors.Campaign.Roles;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Dft;
using CrystalActors.Dft.Caching;
using CrystalActors.Dft.Input;
using CrystalActors.Runtime.Cluster;
using CrystalActors.Runtime.Farming;
using CrystalActors.Runtime.Messages;
using CrystalActors.Torch;
using Serilog;

namespace CrystalActors.Campaign.Evaluation;

/// <summary>How a batch of structures is computed: protocol, optional M3GNet + FIRE relaxation first, where the farm runs.</summary>
public sealed record DftBatchOptions
{
    public required DftProtocol Protocol { get; init; }
    /// <summary>Relax with M3GNet + FIRE (with the cell) before DFT, as a campaign does.</summary>
    public bool Relax { get; init; }
    public RelaxOptions RelaxSettings { get; init; } = new();
    /// <summary>Farm journal, logs and pw.x archives when this process runs the farm itself.</summary>
    public required string StateDirectory { get; init; }
    /// <summary>Seed nodes of a running cluster whose farm computes the jobs; empty = a one-node farm in this process.</summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; }
    /// <summary>DFT workers of the local farm, and the pw.x settings of each (handlers on).</summary>
    public int Runners { get; init; } = 1;
    public DftOptions Dft { get; init; } = new() { MpiRanks = 1, Launcher = "none", Archive = false };
    /// <summary>Results by structure fingerprint + protocol hash, kept across runs: the true crystals of a pool are
    /// computed once for every policy evaluated against them.</summary>
    public string? CachePath { get; init; }
}

/// <summary>A structure to compute, under a job id that is stable across runs (a resumed evaluation re-asks the same ids).</summary>
public sealed record DftBatchJob(string JobId, Structure Structure);

/// <summary>What came back: a gap and energy per atom, or the failure class; the structure DFT computed.</summary>
public sealed record DftBatchResult(string JobId, bool Success, double? GapEv, double? EnergyPerAtomEv, string? Failure, string? ComputedStructureJson);

/// <summary>
/// Computes structures through the DFT farm of the Akka.NET runtime, so an evaluation gets what a campaign gets: a
/// journaled job table (a killed evaluation resumes where it stopped), leases and retries, relax → dft stages,
/// pw.x error handlers. Either this process runs a one-node farm (roles coordinator, relaxer, dft-worker; journal in
/// <see cref="DftBatchOptions.StateDirectory"/>), or it joins a running cluster (<see cref="DftBatchOptions.Seeds"/>)
/// as a client and submits to that cluster's farm, whose DFT workers may be on any node.
/// </summary>
public static class DftBatch
{
    public static async Task<IReadOnlyList<DftBatchResult>> RunAsync(IReadOnlyList<DftBatchJob> jobs, DftBatchOptions o,
        Action<int, int>? progress = null, CancellationToken ct = default)
    {
        if (jobs.Count == 0) return [];
        bool local = o.Seeds.Count == 0;
        string[] roles = local ? (o.Relax ? ["coordinator", "relaxer", "dft-worker"] : ["coordinator", "dft-worker"]) : ["client"];
        Directory.CreateDirectory(o.StateDirectory);
        var settings = new NodeSettings
        {
            Name = local ? "evaluate" : $"evaluate-{Environment.ProcessId}", Roles = roles, Seeds = o.Seeds, Host = o.Host, Port = o.Port,
            Profile = local ? "single-node" : "hpc", JournalTarget = Path.Combine(o.StateDirectory, "journal.db"),
        };
        await using var node = await ClusterNode.StartAsync(settings, TimeSpan.FromMinutes(2), ct).ConfigureAwait(false);
        var farm = node.Singleton("dft-farm", "coordinator");
        if (local)
        {
            node.StartSingleton("dft-farm", DftFarmActor.Props(new FarmOptions { Lease = TimeSpan.FromSeconds(o.Dft.LeaseSeconds), MaxAttempts = o.Dft.MaxAttempts }), "coordinator");
            IDftResultCache cache = o.CachePath is { } c ? new JsonLinesDftResultCache(c) : new InMemoryDftResultCache();
            var dft = new DftJobExecutor(new DftService(o.Dft.ServiceOptions(o.StateDirectory), cache));
            for (int i = 1; i <= o.Runners; i++)
                node.System.ActorOf(FarmWorkerActor.Props($"evaluate/dft-{i}", CampaignCoordinator.DftStage, dft, farm), $"dft-{i}");
            if (o.Relax)
            {
                // The default weight path is relative to a config in cluster-config/; find it where shared/ is.
                var relaxOptions = new CampaignOptions { Relax = o.RelaxSettings with { Enabled = true, Weights = SharedPaths.Resolve(o.RelaxSettings.Weights) } };
                node.System.ActorOf(FarmWorkerActor.Props("evaluate/relax-1", CampaignCoordinator.RelaxStage,
                    new RelaxExecutor(relaxOptions, Device.Resolve(o.RelaxSettings.Device, "relax.device")), farm), "relax-1");
            }
        }

        string[] stages = o.Relax ? [CampaignCoordinator.RelaxStage, CampaignCoordinator.DftStage] : [CampaignCoordinator.DftStage];
        foreach (var job in jobs)
        {
            var payload = new DftJobPayload(Mp20JsonWriter.ToJsonLine(job.Structure, 0, job.JobId), o.Protocol, job.JobId).ToJson();
            // Ask until journaled: the farm singleton may still be starting (its proxy buffers meanwhile). A job id the farm
            // already has (a resumed evaluation) is a duplicate, not a second calculation.
            for (int attempt = 1; ; attempt++)
            {
                try { await farm.Ask<JobAccepted>(new SubmitJob(job.JobId, payload, stages, "evaluate"), TimeSpan.FromSeconds(10), ct).ConfigureAwait(false); break; }
                catch (AskTimeoutException) when (attempt < 30) { }
            }
        }
        var ids = jobs.Select(j => j.JobId).ToList();
        int lastDone = -1;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            JobsStatus status;
            try { status = await farm.Ask<JobsStatus>(new QueryJobs(ids), TimeSpan.FromSeconds(10), ct).ConfigureAwait(false); }
            catch (AskTimeoutException) { continue; }
            int done = status.Jobs.Count(j => j.State is JobStates.Completed or JobStates.Failed);
            if (done != lastDone) { progress?.Invoke(done, ids.Count); lastDone = done; }
            if (done == ids.Count) return status.Jobs.Select(ToResult).ToList();
            await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
        }
    }

    private static DftBatchResult ToResult(JobStatus job)
    {
        var f = CampaignCoordinator.Finished(job);
        double? perAtom = null;
        if (f.Success && f.EnergyEv is { } e && f.RelaxedStructureJson is { } json)
        {
            try { perAtom = e / Mp20JsonlReader.ParseLine(json, job.JobId).Structure!.NumSites; }
            catch (Exception ex) when (ex is CrystalFormatException or System.Text.Json.JsonException) { Log.Warning("{Job}: {Message}", job.JobId, ex.Message); }
        }
        return new DftBatchResult(job.JobId, f.Success, f.Success ? f.GapEv : null, perAtom, f.FailureClass, f.RelaxedStructureJson);
    }
}
