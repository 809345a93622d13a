using System.Collections.Immutable;
using CrystalActors.Runtime.Messages;

namespace CrystalActors.Campaign;

// The campaign's journal events. Everything the campaign decides is one of these; recovery replays
// them over the latest snapshot, so a restarted node resumes where the journal says.
public abstract record CampaignEvent : IWireMessage;

/// <summary>An episode ended; <paramref name="Reward"/> came from the reward model (version <paramref name="RewardModelVersion"/>).</summary>
/// <param name="Batch">The generator's batch number (a batch seen twice is journaled once).</param>
[MessageContract("campaign.event.episode")]
public sealed record EpisodeCompleted(
    long Episode, string Generator, string Formula, double Reward, double? PredictedGapEv, long PolicyVersion,
    long RewardModelVersion, string StructureJson, int Steps = 0, long Batch = 0) : CampaignEvent;

/// <summary>A designed crystal was sent to relaxation + DFT as job <paramref name="JobId"/>;
/// <paramref name="Reward"/> is the episode's reward under the reward model (absent in journals written before it was added).</summary>
[MessageContract("campaign.event.dft-requested")]
public sealed record DftRequested(string JobId, long Episode, string Formula, string StructureJson, double? PredictedGapEv, double? Reward = null) : CampaignEvent;

/// <summary>The DFT job ended: a gap, or a failure class; <paramref name="RelaxedStructureJson"/> is what DFT computed.</summary>
[MessageContract("campaign.event.dft-finished")]
public sealed record DftFinished(
    string JobId, bool Success, double? GapEv, double? EnergyEv, string? FailureClass, double SimulationSeconds,
    string? RelaxedStructureJson, bool CacheHit) : CampaignEvent;

/// <summary>A model (policy, reward model, offline CQL checkpoint) got a new version in the content store.</summary>
[MessageContract("campaign.event.model-version")]
public sealed record ModelVersionRegistered(string Model, long Version, string Path, string Sha256) : CampaignEvent;

/// <summary>
/// The greedy policy (epsilon 0) was played from every breadth-first order of every skeleton after
/// <paramref name="EnvironmentSteps"/> environment steps; rewards under the reward model of that moment.
/// </summary>
[MessageContract("campaign.event.greedy")]
public sealed record GreedyEvaluated(
    long Episode, long EnvironmentSteps, double MeanReward, double BestReward, string BestFormula, double? BestGapEv, long PolicyVersion) : CampaignEvent;

/// <summary>What the campaign has done so far; immutable, rebuilt from events.</summary>
public sealed record CampaignState
{
    public long Episodes { get; init; }
    /// <summary>Environment steps of all journaled episodes: the epsilon schedule's clock after a restart.</summary>
    public long EnvironmentSteps { get; init; }
    public long DftRequestedCount { get; init; }
    /// <summary>Episode of the latest DFT request (0 = none): one request per window of dft_every episodes.</summary>
    public long LastDftEpisode { get; init; }
    public long DftSucceeded { get; init; }
    public long DftFailed { get; init; }
    public ImmutableDictionary<string, DftRequested> InFlight { get; init; } = ImmutableDictionary<string, DftRequested>.Empty;
    public ImmutableHashSet<string> FinishedJobs { get; init; } = ImmutableHashSet<string>.Empty;
    public ImmutableList<double> SuccessGaps { get; init; } = ImmutableList<double>.Empty;
    public ImmutableList<double> SimulationSeconds { get; init; } = ImmutableList<double>.Empty;
    public ImmutableDictionary<string, ModelVersionRegistered> Models { get; init; } = ImmutableDictionary<string, ModelVersionRegistered>.Empty;
    public ImmutableDictionary<string, string> FailureClasses { get; init; } = ImmutableDictionary<string, string>.Empty;
    public double RewardSum { get; init; }
    public ImmutableList<double> RecentRewards { get; init; } = ImmutableList<double>.Empty;
    public ImmutableList<BestCrystal> Best { get; init; } = ImmutableList<BestCrystal>.Empty;
    /// <summary>Every design whose DFT job has ended, in the order they ended (designs.csv).</summary>
    public ImmutableList<DftDesign> Designs { get; init; } = ImmutableList<DftDesign>.Empty;
    public ImmutableList<GreedyEvaluated> Greedy { get; init; } = ImmutableList<GreedyEvaluated>.Empty;
    /// <summary>Last batch journaled per generator incarnation: a re-sent batch is not counted twice.</summary>
    public ImmutableDictionary<string, long> LastBatch { get; init; } = ImmutableDictionary<string, long>.Empty;
    /// <summary>Policy lag of journaled episodes (latest registered policy version minus the version that played it).</summary>
    public long PolicyLagSum { get; init; }
    public long PolicyLagMax { get; init; }

    public long DftInFlight => InFlight.Count;
    public long DftDone => DftSucceeded + DftFailed;

    public const int BestKept = 10;
    public const int RecentWindow = 100;

    public CampaignState Apply(CampaignEvent e) => e switch
    {
        EpisodeCompleted ep => this with
        {
            Episodes = Math.Max(Episodes, ep.Episode),
            LastBatch = ep.Batch > LastBatch.GetValueOrDefault(ep.Generator) ? LastBatch.SetItem(ep.Generator, ep.Batch) : LastBatch,
            PolicyLagSum = PolicyLagSum + LagOf(ep),
            PolicyLagMax = Math.Max(PolicyLagMax, LagOf(ep)),
            EnvironmentSteps = EnvironmentSteps + ep.Steps,
            RewardSum = RewardSum + ep.Reward,
            RecentRewards = Tail(RecentRewards.Add(ep.Reward)),
            Best = Rank(Best, new BestCrystal(ep.Formula, ep.Reward, ep.PredictedGapEv, null, ep.StructureJson, ep.Episode)),
        },
        DftRequested r when !InFlight.ContainsKey(r.JobId) && !FinishedJobs.Contains(r.JobId) => this with
        {
            DftRequestedCount = DftRequestedCount + 1,
            LastDftEpisode = Math.Max(LastDftEpisode, r.Episode),
            InFlight = InFlight.Add(r.JobId, r),
        },
        DftFinished f when InFlight.TryGetValue(f.JobId, out var request) => this with
        {
            InFlight = InFlight.Remove(f.JobId),
            FinishedJobs = FinishedJobs.Add(f.JobId),
            DftSucceeded = DftSucceeded + (f.Success ? 1 : 0),
            DftFailed = DftFailed + (f.Success ? 0 : 1),
            SuccessGaps = f.Success && f.GapEv is { } g ? SuccessGaps.Add(g) : SuccessGaps,
            SimulationSeconds = SimulationSeconds.Add(f.SimulationSeconds),
            FailureClasses = f.Success ? FailureClasses : FailureClasses.SetItem(f.JobId, f.FailureClass ?? "unknown"),
            Best = f.Success
                ? Best.Select(b => b.Episode == request.Episode ? b with { DftGapEv = f.GapEv } : b).ToImmutableList()
                : Best,
            Designs = Designs.Add(new DftDesign(request, f)),
        },
        ModelVersionRegistered m => this with { Models = Models.SetItem(m.Model, m) },
        GreedyEvaluated g => this with { Greedy = Greedy.Add(g) },
        _ => this, // duplicates (a result applied twice, a request re-sent) change nothing
    };

    private long LagOf(EpisodeCompleted ep) => Math.Max(0, (Models.GetValueOrDefault("policy")?.Version ?? 0) - ep.PolicyVersion);

    /// <summary>Mean policy lag of journaled episodes, in policy versions.</summary>
    public double MeanPolicyLag => Episodes == 0 ? 0 : (double)PolicyLagSum / Episodes;

    private static ImmutableList<double> Tail(ImmutableList<double> list) =>
        list.Count > RecentWindow ? list.RemoveRange(0, list.Count - RecentWindow) : list;

    private static ImmutableList<BestCrystal> Rank(ImmutableList<BestCrystal> best, BestCrystal candidate)
    {
        if (best.Any(b => b.Formula == candidate.Formula && b.Reward >= candidate.Reward)) return best;
        return best.RemoveAll(b => b.Formula == candidate.Formula).Add(candidate)
            .OrderByDescending(b => b.Reward).ThenBy(b => b.Episode).Take(BestKept).ToImmutableList();
    }

    public double MeanRecentReward => RecentRewards.Count == 0 ? 0 : RecentRewards.Average();

    /// <summary>Mean DFT gap of the last 100 successful calculations (the pipeline paper's Table 2).</summary>
    public double? MeanGapOfLast100Successes =>
        SuccessGaps.Count == 0 ? null : SuccessGaps.Skip(Math.Max(0, SuccessGaps.Count - 100)).Average();
}

/// <summary>The coordinator's snapshot.</summary>
[MessageContract("campaign.snapshot")]
public sealed record CampaignSnapshot(CampaignState State) : IWireMessage;

/// <summary>A design whose DFT job has ended: what was asked and what came back.</summary>
public sealed record DftDesign(DftRequested Request, DftFinished Result);

/// <summary>One of the best designs so far: reward-model gap, and the DFT gap once known.</summary>
public sealed record BestCrystal(string Formula, double Reward, double? PredictedGapEv, double? DftGapEv, string StructureJson, long Episode);

/// <summary>When the campaign stops: episodes, DFT budget (0 = no DFT, never a reason to stop), wall time.</summary>
public sealed record StopCriteria(long MaxEpisodes = 300, long DftBudget = 10, TimeSpan? WallTime = null)
{
    public string? Reason(CampaignState s, TimeSpan elapsed)
    {
        if (s.Episodes >= MaxEpisodes) return $"reached {MaxEpisodes} episodes";
        if (DftBudget > 0 && s.DftDone >= DftBudget && s.DftInFlight == 0) return $"used the DFT budget of {DftBudget} calculations";
        if (WallTime is { } w && elapsed >= w) return $"reached the wall-time limit of {w}";
        return null;
    }
}

/// <summary>The decisions of the campaign coordinator, free of I/O: which episode goes to DFT.</summary>
public static class CampaignPolicy
{
    /// <summary>
    /// One crystal per window of <paramref name="dftEvery"/> episodes goes to DFT while the budget lasts (requests in
    /// flight count against it): episode k·N when it is eligible, else the first eligible episode after it, so that
    /// a policy still making crystals with more than 5 elements (never worth a DFT call) defers the call rather than
    /// skipping it. <paramref name="dftEvery"/> = 1 is the paper's Exp. 2.
    /// </summary>
    public static bool ShouldRequestDft(CampaignState s, long episode, int dftEvery, long dftBudget, bool eligible) =>
        dftEvery > 0 && eligible && s.DftRequestedCount < dftBudget && episode / dftEvery > s.LastDftEpisode / dftEvery;
}
