using System.Collections.Immutable;
using System.Text.Json;
using CrystalActors.Campaign.Roles;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Dft.Input;
using CrystalActors.Runtime.Messages;

namespace CrystalActors.Campaign.Clusters;

/// <summary>A cluster the agent built, with its (unrelaxed) energy from the energy model.</summary>
public sealed record ClusterCandidate(Molecule Cluster, double Energy);

/// <summary>The coordinator's journal: what it saw and decided. Replaying it rebuilds <see cref="ClusterCampaignState"/>.</summary>
public interface IClusterCampaignEvent : IWireMessage;

/// <summary>A generator's batch: the energy evaluations it spent and the complete clusters it built.</summary>
[MessageContract("clusters.event.batch")]
public sealed record ClusterBatchRecorded(string Generator, long Batch, long Evaluations, int Episodes, int Invalid, double MeanReturn,
    IReadOnlyList<ClusterCandidate> Finals) : IClusterCampaignEvent;

/// <summary>A PPO update of the learner (for the learning curve).</summary>
[MessageContract("clusters.event.update")]
public sealed record ClusterUpdateRecorded(long Evaluations, ClusterLearnerUpdate Update) : IClusterCampaignEvent;

/// <summary>A job handed to the farm (its payload kept, so a job the farm never journaled is submitted again).</summary>
[MessageContract("clusters.event.job")]
public sealed record ClusterJobSubmitted(string JobId, string Stage, string Payload) : IClusterCampaignEvent;

/// <summary>The end of a job: a FIRE minimum (relax stage) or a pw.x total energy (dft stage), or why not.</summary>
[MessageContract("clusters.event.job-finished")]
public sealed record ClusterJobFinished(string JobId, string Stage, bool Success, Molecule? Cluster, double? EnergyEv, int Steps, string? Failure)
    : IClusterCampaignEvent;

[MessageContract("clusters.event.phase")]
public sealed record ClusterPhaseChanged(string Phase, string? Reason = null) : IClusterCampaignEvent;

/// <summary>The job payload of the relax stage and its result (the farm moves strings; these are their JSON).</summary>
public sealed record ClusterRelaxJob(Molecule Cluster, double Energy, string Label);
public sealed record ClusterRelaxResult(Molecule Cluster, double InitialEnergy, double Energy, int Steps, bool Converged);

/// <summary>What the coordinator's decisions depend on in the run's config.</summary>
public sealed record ClusterCampaignSettings(long TrainBudget, int RelaxTop, int DftTop, double VacuumAngstrom, DftProtocol Protocol,
    double IsomerTolerance, double? IsomerEnergyTolerance);

public static class ClusterPhases
{
    public const string Training = "training", Relaxing = "relaxing", Dft = "dft", Finished = "finished";
}

/// <summary>Everything the coordinator knows, rebuilt from its journal.</summary>
public sealed record ClusterCampaignState
{
    public static readonly ClusterCampaignState Initial = new();

    public string Phase { get; init; } = ClusterPhases.Training;
    public string? FinishReason { get; init; }
    public long Evaluations { get; init; }
    public long Episodes { get; init; }
    public long Invalid { get; init; }
    public ImmutableDictionary<string, long> LastBatch { get; init; } = ImmutableDictionary<string, long>.Empty;
    public ImmutableList<ClusterCandidate> Candidates { get; init; } = [];
    /// <summary>(evaluations, best unrelaxed energy so far, mean return of the batch): the training curve.</summary>
    public ImmutableList<(long Evaluations, double Best, double MeanReturn)> Curve { get; init; } = [];
    public ImmutableList<ClusterUpdateRecorded> Updates { get; init; } = [];
    public ImmutableDictionary<string, ClusterJobSubmitted> Jobs { get; init; } = ImmutableDictionary<string, ClusterJobSubmitted>.Empty;
    public ImmutableDictionary<string, ClusterJobFinished> Finished { get; init; } = ImmutableDictionary<string, ClusterJobFinished>.Empty;

    public double? BestUnrelaxed => Candidates.Count == 0 ? null : Candidates.Min(c => c.Energy);
    public IEnumerable<ClusterJobSubmitted> JobsOf(string stage) => Jobs.Values.Where(j => j.Stage == stage);
    public IEnumerable<ClusterJobFinished> FinishedOf(string stage) => Finished.Values.Where(j => j.Stage == stage);
    public IReadOnlyList<string> InFlight => Jobs.Keys.Where(k => !Finished.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
    /// <summary>Energy evaluations of the FIRE minimisations (one per step and one to start).</summary>
    public long RelaxEvaluations => FinishedOf(ClusterCampaign.RelaxStage).Sum(j => (long)j.Steps + 1);

    public ClusterCampaignState Apply(IClusterCampaignEvent e) => e switch
    {
        ClusterBatchRecorded b => this with
        {
            Evaluations = Evaluations + b.Evaluations, Episodes = Episodes + b.Episodes, Invalid = Invalid + b.Invalid,
            LastBatch = LastBatch.SetItem(b.Generator, b.Batch),
            Candidates = Candidates.AddRange(b.Finals),
            Curve = Curve.Add((Evaluations + b.Evaluations,
                Math.Min(BestUnrelaxed ?? double.PositiveInfinity, b.Finals.Count == 0 ? double.PositiveInfinity : b.Finals.Min(f => f.Energy)), b.MeanReturn)),
        },
        ClusterUpdateRecorded u => this with { Updates = Updates.Add(u) },
        ClusterJobSubmitted j => this with { Jobs = Jobs.SetItem(j.JobId, j) },
        ClusterJobFinished f => this with { Finished = Finished.SetItem(f.JobId, f) },
        ClusterPhaseChanged p => this with { Phase = p.Phase, FinishReason = p.Reason ?? FinishReason },
        _ => this,
    };

    public ClusterCampaignProgress Progress() => new(Phase, Evaluations, 0, Episodes, Candidates.Count,
        FinishedOf(ClusterCampaign.RelaxStage).Count(), JobsOf(ClusterCampaign.RelaxStage).Count(),
        FinishedOf(ClusterCampaign.DftStage).Count(), JobsOf(ClusterCampaign.DftStage).Count(),
        FinishedOf(ClusterCampaign.RelaxStage).Where(r => r.Success).Select(r => r.EnergyEv).Min() ?? BestUnrelaxed,
        Phase == ClusterPhases.Finished);
}

/// <summary>Inputs of the coordinator's decisions.</summary>
public abstract record ClusterCampaignInput;
public sealed record ClusterBatchArrived(ClusterEpisodesPlayed Batch) : ClusterCampaignInput;
public sealed record ClusterUpdateArrived(ClusterLearnerUpdate Update) : ClusterCampaignInput;
public sealed record ClusterFarmReported(JobsStatus Status) : ClusterCampaignInput;
/// <summary>After recovery: finish a decision a crash interrupted (e.g. the training budget was spent but no job submitted).</summary>
public sealed record ClusterRecovered : ClusterCampaignInput;

public abstract record ClusterCampaignEffect;
public sealed record SubmitClusterJob(SubmitJob Job) : ClusterCampaignEffect;
public sealed record StopClusterGenerators : ClusterCampaignEffect;
public sealed record FinishClusterCampaign(string Reason) : ClusterCampaignEffect;

public sealed record ClusterCampaignDecision(ClusterCampaignState State, IReadOnlyList<IClusterCampaignEvent> Events, IReadOnlyList<ClusterCampaignEffect> Effects);

/// <summary>
/// The cluster campaign's decisions, pure: record the generators' batches until the training budget of energy
/// evaluations is spent; then stop the generators and send the lowest distinct clusters the agent built to the
/// relaxers (FIRE on the energy model, farm stage "cluster-relax"); when every minimisation has ended, send the lowest
/// distinct minima to pw.x (farm stage "dft", Γ-point in a vacuum box) when configured; then finish.
/// </summary>
public static class ClusterCampaign
{
    public const string RelaxStage = "cluster-relax", DftStage = CampaignCoordinator.DftStage;

    public static readonly JsonSerializerOptions Json = WireSerializer.Json;

    public static ClusterCampaignDecision Handle(ClusterCampaignState s, ClusterCampaignInput input, ClusterCampaignSettings o)
    {
        var events = new List<IClusterCampaignEvent>();
        var effects = new List<ClusterCampaignEffect>();
        void Emit(IClusterCampaignEvent e) { events.Add(e); s = s.Apply(e); }

        switch (input)
        {
            case ClusterBatchArrived { Batch: var b }:
                if (s.Phase != ClusterPhases.Training || b.Batch <= s.LastBatch.GetValueOrDefault(b.Generator)) break;
                Emit(new ClusterBatchRecorded(b.Generator, b.Batch, b.Evaluations, b.Episodes.Count, b.Episodes.Count(e => !e.Complete),
                    b.Episodes.Count == 0 ? 0 : b.Episodes.Average(e => e.Return),
                    b.Episodes.Where(e => e.Complete && double.IsFinite(e.FinalEnergy)).Select(e => new ClusterCandidate(e.Final, e.FinalEnergy)).ToList()));
                break;
            case ClusterUpdateArrived { Update: var u }:
                if (s.Updates.Count == 0 || s.Updates[^1].Update.Version < u.Version) Emit(new ClusterUpdateRecorded(s.Evaluations, u));
                break;
            case ClusterFarmReported { Status: var status }:
                foreach (var job in status.Jobs)
                {
                    if (!s.Jobs.TryGetValue(job.JobId, out var submitted) || s.Finished.ContainsKey(job.JobId)) continue;
                    if (job.State == JobStates.Unknown)
                        effects.Add(new SubmitClusterJob(new SubmitJob(submitted.JobId, submitted.Payload, [submitted.Stage], "cluster-campaign")));
                    else if (job.State is JobStates.Completed or JobStates.Failed)
                        Emit(Finished(submitted, job));
                }
                break;
        }
        s = Advance(s, o, events, effects);
        return new(s, events, effects);
    }

    /// <summary>Moves to the next phase when the current one is done (also after recovery).</summary>
    private static ClusterCampaignState Advance(ClusterCampaignState state, ClusterCampaignSettings o, List<IClusterCampaignEvent> events, List<ClusterCampaignEffect> effects)
    {
        bool wasFinished = state.Phase == ClusterPhases.Finished;
        void Emit(IClusterCampaignEvent e) { events.Add(e); state = state.Apply(e); }
        if (state.Phase == ClusterPhases.Training && state.Evaluations >= o.TrainBudget)
        {
            effects.Add(new StopClusterGenerators());
            var distinct = Lowest(state.Candidates, o.RelaxTop, o);
            if (distinct.Count == 0) Emit(new ClusterPhaseChanged(ClusterPhases.Finished, $"the agent built no complete cluster in {state.Evaluations} evaluations"));
            else
            {
                for (int k = 0; k < distinct.Count; k++)
                {
                    var id = $"relax-{k:D4}";
                    var payload = JsonSerializer.Serialize(new ClusterRelaxJob(distinct[k].Cluster, distinct[k].Energy, id), Json);
                    Emit(new ClusterJobSubmitted(id, RelaxStage, payload));
                    effects.Add(new SubmitClusterJob(new SubmitJob(id, payload, [RelaxStage], "cluster-campaign")));
                }
                Emit(new ClusterPhaseChanged(ClusterPhases.Relaxing));
            }
        }
        if (state.Phase == ClusterPhases.Relaxing && state.JobsOf(RelaxStage).All(j => state.Finished.ContainsKey(j.JobId)))
        {
            var minima = Lowest(state.FinishedOf(RelaxStage).Where(r => r.Success).OrderBy(r => r.JobId, StringComparer.Ordinal)
                .Select(r => new ClusterCandidate(r.Cluster!, r.EnergyEv!.Value)), o.DftTop, o);
            if (minima.Count == 0)
                Emit(new ClusterPhaseChanged(ClusterPhases.Finished, o.DftTop == 0 ? "done (no DFT check configured)" : "no minimisation succeeded"));
            else
            {
                for (int k = 0; k < minima.Count; k++)
                {
                    var id = $"dft-{k:D4}";
                    var cluster = minima[k].Cluster;
                    var box = cluster.InBox(Diameter(cluster) + o.VacuumAngstrom);
                    var payload = new DftJobPayload(Mp20JsonWriter.ToJsonLine(box, 0, id), o.Protocol, id).ToJson();
                    Emit(new ClusterJobSubmitted(id, DftStage, payload));
                    effects.Add(new SubmitClusterJob(new SubmitJob(id, payload, [DftStage], "cluster-campaign")));
                }
                Emit(new ClusterPhaseChanged(ClusterPhases.Dft));
            }
        }
        if (state.Phase == ClusterPhases.Dft && state.JobsOf(DftStage).All(j => state.Finished.ContainsKey(j.JobId)))
            Emit(new ClusterPhaseChanged(ClusterPhases.Finished, $"done ({state.FinishedOf(DftStage).Count(d => d.Success)} of {state.JobsOf(DftStage).Count()} DFT checks succeeded)"));
        if (state.Phase == ClusterPhases.Finished && !wasFinished) effects.Add(new FinishClusterCampaign(state.FinishReason ?? "done"));
        return state;
    }

    /// <summary>The <paramref name="n"/> lowest-energy distinct clusters (isomer fingerprint de-duplication).</summary>
    public static IReadOnlyList<ClusterCandidate> Lowest(IEnumerable<ClusterCandidate> candidates, int n, ClusterCampaignSettings o)
    {
        var set = new IsomerSet(o.IsomerTolerance, o.IsomerEnergyTolerance);
        foreach (var c in candidates) set.Add(c.Cluster, c.Energy);
        return set.Isomers.Take(n).Select(i => new ClusterCandidate(i.Molecule, i.Energy)).ToList();
    }

    /// <summary>Largest interatomic distance (Å); 0 for one atom.</summary>
    public static double Diameter(Molecule m)
    {
        double d = 0;
        for (int i = 0; i < m.NumAtoms; i++)
            for (int j = i + 1; j < m.NumAtoms; j++) d = Math.Max(d, m.Distance(i, j));
        return d;
    }

    private static ClusterJobFinished Finished(ClusterJobSubmitted submitted, JobStatus job)
    {
        if (submitted.Stage == RelaxStage)
        {
            if (job.State == JobStates.Completed && job.Result is { } json)
            {
                try
                {
                    var r = JsonSerializer.Deserialize<ClusterRelaxResult>(json, Json);
                    if (r is not null && double.IsFinite(r.Energy)) return new(job.JobId, RelaxStage, true, r.Cluster, r.Energy, r.Steps, null);
                }
                catch (JsonException e) { return new(job.JobId, RelaxStage, false, null, null, 0, $"unreadable result: {e.Message}"); }
            }
            return new(job.JobId, RelaxStage, false, null, null, 0, job.Error ?? "relaxation failed");
        }
        // A metal cluster has no gap to require: a DFT check succeeds with a converged total energy.
        var d = CampaignCoordinator.Finished(job);
        var result = job.Result is { } text ? TryParse(text) : null;
        bool ok = job.State == JobStates.Completed && result is { IsSuccess: true, TotalEnergyEv: not null };
        return new(job.JobId, DftStage, ok, null, result?.TotalEnergyEv, result?.Attempts.Sum(a => a.ScfIterations) ?? 0,
            ok ? null : d.FailureClass ?? "dft failed");
    }

    private static Dft.DftResult? TryParse(string json)
    {
        try { return DftJobExecutor.ParseResult(json); }
        catch (Exception e) when (e is JsonException or InvalidDataException) { return null; }
    }
}
