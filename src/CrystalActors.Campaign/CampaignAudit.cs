using CrystalActors.Runtime.Cluster;
using CrystalActors.Runtime.Farming;
using CrystalActors.Runtime.Messages;
using CrystalActors.Runtime.Persistence;

namespace CrystalActors.Campaign;

/// <summary>
/// Cross-checks a campaign's journal against the DFT farm's: every DFT request reached the farm (none lost), no job
/// completed twice, no result was applied twice. What a researcher runs after a crash and restart, and the last line
/// of scripts/campaign-restart.sh and scripts/local-cluster.sh.
/// </summary>
public sealed record CampaignAudit(long Episodes, long DftRequested, long DftFinished, long DftInFlight, int Jobs, int JobsCompleted, int JobsFailed,
    int Lost, int Duplicated)
{
    public static async Task<CampaignAudit> ReadAsync(JournalKind kind, string target, CancellationToken ct = default)
    {
        var campaignEvents = (await JournalReader.EventsAsync(kind, target, "campaign", ct).ConfigureAwait(false)).OfType<CampaignEvent>().ToList();
        var farmEvents = await JournalReader.EventsAsync(kind, target, "dft-farm", ct).ConfigureAwait(false);
        return From(campaignEvents, farmEvents);
    }

    /// <summary>
    /// Lost: a DFT request the campaign journaled that the farm never saw (and is not in flight), or a finished job without
    /// a DftFinished. Duplicated: a request, a finish or a farm completion journaled twice for one job.
    /// </summary>
    public static CampaignAudit From(IReadOnlyList<CampaignEvent> campaign, IReadOnlyList<object> farmEvents)
    {
        var state = campaign.Aggregate(new CampaignState(), (s, e) => s.Apply(e));
        var requested = campaign.OfType<DftRequested>().Select(r => r.JobId).ToList();
        var finished = campaign.OfType<DftFinished>().Select(f => f.JobId).ToList();
        var table = JobTable.Replay(farmEvents);
        var farm = FarmReport.FromEvents(farmEvents);
        var episodes = campaign.OfType<EpisodeCompleted>().GroupBy(e => e.Episode).Count(g => g.Count() > 1);
        int duplicated = farm.Duplicated + episodes
                         + finished.GroupBy(j => j).Count(g => g.Count() > 1)
                         + requested.GroupBy(j => j).Count(g => g.Count() > 1);
        int lost = requested.Count(j => table.Find(j) is null && !state.InFlight.ContainsKey(j))
                   + requested.Count(j => table.Find(j) is { Ended: true } && !finished.Contains(j) && !state.InFlight.ContainsKey(j));
        var counts = table.CountByState();
        return new CampaignAudit(state.Episodes, requested.Count, finished.Count, state.DftInFlight, table.Jobs.Count,
            counts.GetValueOrDefault(JobStates.Completed), counts.GetValueOrDefault(JobStates.Failed), lost, duplicated);
    }

    public override string ToString() =>
        $"episodes={Episodes} dft_requested={DftRequested} dft_finished={DftFinished} in_flight={DftInFlight} jobs={Jobs} completed={JobsCompleted} failed={JobsFailed} lost={Lost} duplicated={Duplicated}";
}
