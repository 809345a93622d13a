using CrystalActors.Learning.Environments.Skeletons;
using CrystalActors.Crystals.Io;
using CrystalActors.Runtime.Messages;

namespace CrystalActors.Campaign.Roles;

// The campaign coordinator's decisions, free of actors and I/O (STYLE.md §4):
// Handle(state, input) -> (state, events to journal, effects to carry out). CampaignCoordinatorActor only
// journals the events and carries out the effects; every rule here is a unit test.

public abstract record CoordinatorInput;
/// <summary>A generator's batch of finished episodes.</summary>
public sealed record EpisodesArrived(EpisodesPlayed Batch) : CoordinatorInput;
/// <summary>The farm's answer about the DFT jobs in flight.</summary>
public sealed record FarmReported(JobsStatus Status) : CoordinatorInput;
/// <summary>A model (policy, reward model, offline checkpoint) has a new version in the content store.</summary>
public sealed record ModelArrived(ModelVersionRegistered Version) : CoordinatorInput;
public sealed record GreedyArrived(GreedyReport Report) : CoordinatorInput;
/// <summary>Time passes: the stop criteria are checked.</summary>
public sealed record ClockTick(TimeSpan Elapsed) : CoordinatorInput;
/// <summary>The journal has been replayed (start, restart, or the singleton moved to another node).</summary>
public sealed record JournalRecovered : CoordinatorInput;

public abstract record CoordinatorEffect;
public sealed record SubmitToFarm(SubmitJob Job) : CoordinatorEffect;
public sealed record SendToLearner(IWireMessage Message) : CoordinatorEffect;
public sealed record SendToFineTuner(DftSample Sample) : CoordinatorEffect;
/// <summary>A DFT-labelled design for the offline CQL learner's data (when offline_cql is enabled).</summary>
public sealed record SendToOfflineLearner(DftSample Sample) : CoordinatorEffect;
/// <summary>Tell every generator (topic "campaign") to stop.</summary>
public sealed record BroadcastStop : CoordinatorEffect;
/// <summary>Ask the generator that sent the current batch to evaluate the greedy policy.</summary>
public sealed record RequestGreedyEvaluation(EvaluateGreedy Request) : CoordinatorEffect;
/// <summary>The greedy evaluation of this policy version is the best so far: keep its weights as best-policy.safetensors.</summary>
public sealed record KeepBestPolicy(long Version) : CoordinatorEffect;
public sealed record FinishCampaign(string Reason) : CoordinatorEffect;

/// <summary>The coordinator's state: the journaled <see cref="CampaignState"/> plus what lives only while this incarnation runs.</summary>
public sealed record CoordinatorState(
    CampaignState Campaign, bool Generating = true, int PendingFineTunes = 0, TimeSpan? StopSeenAt = null, double Epsilon = double.NaN,
    string? FinishedReason = null)
{
    public static CoordinatorState Initial { get; } = new(new CampaignState());
}

public sealed record CoordinatorDecision(CoordinatorState State, IReadOnlyList<CampaignEvent> Events, IReadOnlyList<CoordinatorEffect> Effects);

public static class CampaignCoordinator
{
    /// <summary>Worker kinds a campaign's DFT job passes through (the farm's stages).</summary>
    public const string RelaxStage = "relax", DftStage = "dft";

    /// <summary>How long a stopping campaign waits for fine-tuning rounds still running.</summary>
    public static readonly TimeSpan FineTuneGrace = TimeSpan.FromMinutes(2);

    public static CoordinatorDecision Handle(CoordinatorState s, CoordinatorInput input, CampaignOptions o) => input switch
    {
        EpisodesArrived e => OnEpisodes(s, e.Batch, o),
        FarmReported f => OnFarm(s, f.Status, o),
        ModelArrived m => OnModel(s, m.Version),
        GreedyArrived g => OnGreedy(s, g.Report),
        ClockTick t => CheckStop(s, t.Elapsed, o),
        JournalRecovered => OnRecovered(s, o),
        _ => new(s, [], []),
    };

    /// <summary>The farm job of a design: relax (when configured) then DFT; the payload carries the full protocol.</summary>
    public static SubmitJob JobFor(DftRequested r, CampaignOptions o) => new(
        r.JobId, new DftJobPayload(r.StructureJson, o.Dft.Protocol(), r.JobId).ToJson(),
        o.Relax.Enabled ? [RelaxStage, DftStage] : [DftStage], $"campaign:{o.Name}");

    private static CoordinatorDecision OnRecovered(CoordinatorState s, CampaignOptions o)
    {
        var fx = new List<CoordinatorEffect>();
        // A request journaled just before a crash may never have reached the farm: submit again (job ids make it idempotent).
        fx.AddRange(s.Campaign.InFlight.Values.OrderBy(r => r.Episode).Select(r => new SubmitToFarm(JobFor(r, o))));
        if (s.Campaign.Episodes >= o.Episodes)
        {
            s = s with { Generating = false };
            fx.Add(new BroadcastStop());
        }
        return new(s, [], fx);
    }

    private static CoordinatorDecision OnEpisodes(CoordinatorState s, EpisodesPlayed batch, CampaignOptions o)
    {
        // A generator that started after the stop (e.g. a resumed, finished campaign) is told again.
        if (!s.Generating) return new(s, [], [new BroadcastStop()]);
        if (batch.Batch <= s.Campaign.LastBatch.GetValueOrDefault(batch.Generator)) return new(s, [], []); // a re-sent batch
        var events = new List<CampaignEvent>();
        var fx = new List<CoordinatorEffect>();
        var c = s.Campaign;
        long before = c.Episodes;
        bool generating = true;
        for (int i = 0; i < batch.Episodes.Count && generating; i++)
        {
            if (c.Episodes >= o.Episodes) { generating = false; break; } // a batch played before the generators heard of the stop
            var played = batch.Episodes[i];
            long n = c.Episodes + 1;
            var structure = played.Structure;
            var formula = structure.Composition.ReducedFormula;
            var json = Mp20JsonWriter.ToJsonLine(structure, (int)n, $"{o.Name}-e{n}");
            var episode = new EpisodeCompleted(n, batch.Generator, formula, batch.Rewards[i], batch.PredictedGapsEv[i], played.PolicyVersion,
                batch.RewardModelVersion, json, played.Steps.Count, batch.Batch);
            bool toDft = CampaignPolicy.ShouldRequestDft(c, n, o.DftEvery, o.DftBudget, eligible: played.DistinctElements <= OnlineReward.MaxDistinctElements);
            c = c.Apply(episode);
            events.Add(episode);
            if (toDft)
            {
                var request = new DftRequested($"{o.Name}-e{n}", n, formula, json, batch.PredictedGapsEv[i], batch.Rewards[i]);
                c = c.Apply(request);
                events.Add(request);
                fx.Add(new SendToLearner(new EpisodeForDft(n, played)));
                fx.Add(new SubmitToFarm(JobFor(request, o)));
            }
            if (n >= o.Episodes) generating = false;
        }
        if (!generating) fx.Add(new BroadcastStop());
        // One generator measures the greedy policy every greedy_eval_every episodes (Exp. 1: does it reach the optimum?).
        if (o.GreedyEvalEvery > 0 && c.Episodes / o.GreedyEvalEvery > before / o.GreedyEvalEvery)
            fx.Add(new RequestGreedyEvaluation(new EvaluateGreedy(c.Episodes)));
        return new(s with { Campaign = c, Generating = generating, Epsilon = batch.Epsilon }, events, fx);
    }

    private static CoordinatorDecision OnFarm(CoordinatorState s, JobsStatus status, CampaignOptions o)
    {
        var events = new List<CampaignEvent>();
        var fx = new List<CoordinatorEffect>();
        var c = s.Campaign;
        int pending = s.PendingFineTunes;
        foreach (var job in status.Jobs)
        {
            if (!c.InFlight.TryGetValue(job.JobId, out var request)) continue; // finished already, or not ours
            if (job.State == JobStates.Unknown) { fx.Add(new SubmitToFarm(JobFor(request, o))); continue; }
            if (job.State is not (JobStates.Completed or JobStates.Failed)) continue;
            var finished = Finished(job);
            c = c.Apply(finished);
            events.Add(finished);
            int distinct = Mp20JsonlReader.ParseLine(request.StructureJson, "campaign journal").Structure!.Composition.Elements.Count;
            double reward = OnlineReward.Terminal(distinct, finished.GapEv, !finished.Success, o.TargetGapEv, o.RewardBeta);
            fx.Add(new SendToLearner(new DftReward(request.Episode, reward)));
            if (finished.Success && o.RewardModel.FinetuneSteps > 0)
            {
                // reward_model.finetune_pair: the designed (unrelaxed) fill by default, as the reward model scores unrelaxed designs.
                var paired = o.RewardModel.FinetunePair == "relaxed" && finished.RelaxedStructureJson is { } relaxed ? relaxed : request.StructureJson;
                pending++;
                fx.Add(new SendToFineTuner(new DftSample(request.JobId, paired, finished.GapEv!.Value)));
            }
            // The offline learner gets the design as DFT labelled it: a trajectory of the campaign's skeleton with a true reward.
            if (finished.Success && o.OfflineCql.Enabled)
                fx.Add(new SendToOfflineLearner(new DftSample(request.JobId, request.StructureJson, finished.GapEv!.Value)));
        }
        return new(s with { Campaign = c, PendingFineTunes = pending }, events, fx);
    }

    /// <summary>The journal event of a job the farm has ended: the DFT result (or failure class) and the structure DFT computed.</summary>
    public static DftFinished Finished(JobStatus job)
    {
        Dft.DftResult? result = null;
        string? unreadable = null;
        if (job.Result is { } json)
        {
            try { result = DftJobExecutor.ParseResult(json); }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException) { unreadable = $"unreadable_result: {e.Message}"; }
        }
        bool ok = job.State == JobStates.Completed && result is { IsSuccess: true, BandGapEv: not null };
        string? computed = null;
        if (job.Payload is { } payload)
        {
            try { computed = DftJobPayload.Parse(payload).StructureJson; }
            catch (Exception e) when (e is System.Text.Json.JsonException or Runtime.Farming.JobPayloadException) { }
        }
        // A converged run whose output holds no band edges (a metal under smearing with many k-points: pw.x prints no
        // eigenvalues) has no gap to learn from; say so rather than "None".
        var failure = ok ? null
            : result is { IsSuccess: true, BandGapEv: null } ? "no_gap_in_output"
            : result?.FailureClass.ToString() ?? unreadable ?? (job.Error is { } err ? $"farm: {err}" : "farm_failure");
        return new DftFinished(job.JobId, ok, result?.BandGapEv, result?.TotalEnergyEv, failure,
            result?.WallSeconds ?? job.ExecutorSeconds ?? 0, computed, result?.CacheHit ?? false);
    }

    private static CoordinatorDecision OnModel(CoordinatorState s, ModelVersionRegistered m)
    {
        if (s.Campaign.Models.TryGetValue(m.Model, out var known) && known.Version >= m.Version) return new(s, [], []);
        var pending = m.Model == "reward-model" ? Math.Max(0, s.PendingFineTunes - 1) : s.PendingFineTunes;
        return new(s with { Campaign = s.Campaign.Apply(m), PendingFineTunes = pending }, [m], []);
    }

    private static CoordinatorDecision OnGreedy(CoordinatorState s, GreedyReport g)
    {
        // The best greedy policy so far is kept beside the latest one: Exp. 1's deliverable is the policy that designs the
        // best crystal, and DQN's greedy reward need not rise monotonically.
        bool best = s.Campaign.Greedy.Count == 0 || g.MeanReward > s.Campaign.Greedy.Max(x => x.MeanReward);
        var e = new GreedyEvaluated(s.Campaign.Episodes, g.EnvironmentSteps, g.MeanReward, g.BestReward, g.BestFormula, g.BestGapEv, g.PolicyVersion);
        return new(s with { Campaign = s.Campaign.Apply(e) }, [e], best ? [new KeepBestPolicy(g.PolicyVersion)] : []);
    }

    private static CoordinatorDecision CheckStop(CoordinatorState s, TimeSpan elapsed, CampaignOptions o)
    {
        if (s.FinishedReason is not null) return new(s, [], []);
        var reason = o.Stop.Reason(s.Campaign, elapsed);
        if (reason is null) return new(s, [], []);
        var fx = new List<CoordinatorEffect>();
        if (s.Generating) fx.Add(new BroadcastStop());
        s = s with { Generating = false };
        // Wait for DFT in flight unless the wall time is up: results are never dropped, a later run would apply them.
        bool wallTime = o.WallTimeMinutes is { } w && elapsed >= TimeSpan.FromMinutes(w);
        if (s.Campaign.DftInFlight > 0 && !wallTime) return new(s, [], fx);
        // Let the last DFT results reach the reward model, within a grace period.
        s = s with { StopSeenAt = s.StopSeenAt ?? elapsed };
        if (s.PendingFineTunes > 0 && !wallTime && elapsed - s.StopSeenAt < FineTuneGrace) return new(s, [], fx);
        fx.Add(new FinishCampaign(reason));
        return new(s with { FinishedReason = reason }, [], fx);
    }
}
