using System.Text.Json;
using CrystalActors.Runtime.Persistence;

namespace CrystalActors.Campaign;

/// <summary>
/// Cross-checks a campaign's journal against the DFT job table: every DFT request reached the
/// farm (none lost), no job completed twice, no result was applied twice. What a researcher runs
/// after a crash and restart, and what scripts/campaign-restart.sh asserts.
/// </summary>
public sealed record CampaignAudit(long Episodes, long DftRequested, long DftFinished, long DftInFlight, int Jobs, int JobsCompleted, int JobsFailed,
    int Lost, int Duplicated)
{
    public static CampaignAudit Read(string databasePath)
    {
        using var db = new ClusterDatabase(databasePath, readOnly: true);
        var journal = new EventJournal(db);
        var (snapshot, events) = journal.Load(CampaignJournal.Entity);
        var state = snapshot is null ? new CampaignState() : CampaignJournal.Deserialize(snapshot.State);
        foreach (var e in events) state = CampaignJournal.Apply(state, e.Type, e.Data);

        var all = journal.Events(CampaignJournal.Entity);
        var requested = all.Where(e => e.Type == nameof(DftRequested)).Select(e => ((DftRequested)CampaignJournal.Decode(e.Type, e.Data)).JobId).ToList();
        var finished = all.Where(e => e.Type == nameof(Campaign.DftFinished)).Select(e => ((DftFinished)CampaignJournal.Decode(e.Type, e.Data)).JobId).ToList();
        var store = new JobStore(db);
        var byState = store.CountByState();
        // A job completed twice would show two JobCompleted events in the farm's journal.
        var completedEvents = journal.Events(JobStore.JournalEntity).Where(e => e.Type == "JobCompleted")
            .Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("jobId").GetString()!).ToList();
        int duplicated = completedEvents.GroupBy(j => j).Count(g => g.Count() > 1)
                         + finished.GroupBy(j => j).Count(g => g.Count() > 1)
                         + requested.GroupBy(j => j).Count(g => g.Count() > 1);
        // Lost: requested by the campaign but neither in the job table nor still being relaxed (in flight).
        int lost = requested.Count(j => store.Find(j) is null && !state.InFlight.ContainsKey(j));
        return new CampaignAudit(state.Episodes, requested.Count, finished.Count, state.DftInFlight,
            byState.Values.Sum(), byState.GetValueOrDefault(JobStates.Completed), byState.GetValueOrDefault(JobStates.Failed), lost, duplicated);
    }

    public override string ToString() =>
        $"episodes={Episodes} dft_requested={DftRequested} dft_finished={DftFinished} in_flight={DftInFlight} jobs={Jobs} completed={JobsCompleted} failed={JobsFailed} lost={Lost} duplicated={Duplicated}";
}
