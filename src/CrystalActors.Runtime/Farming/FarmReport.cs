using CrystalActors.Runtime.Messages;

namespace CrystalActors.Runtime.Farming;

/// <summary>
/// The acceptance line of chaos.sh and local-cluster.sh, from the farm's journal: Jobs = distinct submitted jobs
/// (optionally those whose id starts with a prefix); Completed = jobs whose final stage completed; Failed =
/// dead-lettered; Lost = jobs that neither completed nor failed; Duplicated = stage completions journaled more
/// than once for the same stage of a job (the job table refuses them, this checks that it did).
/// </summary>
public sealed record FarmReport(int Jobs, int Completed, int Lost, int Duplicated, int Failed)
{
    public override string ToString() => $"jobs={Jobs} completed={Completed} lost={Lost} duplicated={Duplicated}";

    public static FarmReport FromEvents(IEnumerable<object> events, string? idPrefix = null)
    {
        var table = JobTable.Empty(TimeSpan.FromSeconds(1), int.MaxValue);
        var completions = new Dictionary<(string, int), int>();
        foreach (var e in events.OfType<IWireMessage>())
        {
            if (e is StageCompleted c && table.Find(c.JobId) is { State: JobStates.Leased } j && j.Epoch == c.Epoch)
                completions[(c.JobId, j.StageIndex)] = completions.GetValueOrDefault((c.JobId, j.StageIndex)) + 1;
            else if (e is StageCompleted late && table.Find(late.JobId) is { } k)
                // A completion the table would ignore still counts if it repeats a stage already done.
                completions[(late.JobId, Math.Max(0, k.StageIndex - (k.State == JobStates.Completed ? 0 : 1)))] =
                    completions.GetValueOrDefault((late.JobId, Math.Max(0, k.StageIndex - (k.State == JobStates.Completed ? 0 : 1)))) + 1;
            table = table.Apply(e);
        }
        var jobs = table.Jobs.Values.Where(j => idPrefix is null || j.Id.StartsWith(idPrefix, StringComparison.Ordinal)).ToList();
        int completed = jobs.Count(j => j.State == JobStates.Completed);
        int failed = jobs.Count(j => j.State == JobStates.Failed);
        int duplicated = completions.Where(kv => jobs.Any(j => j.Id == kv.Key.Item1)).Sum(kv => kv.Value - 1);
        return new FarmReport(jobs.Count, completed, jobs.Count - completed - failed, duplicated, failed);
    }
}
