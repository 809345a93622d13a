using System.CommandLine;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Graphs;
using CrystalActors.Crystals.Io;
using CrystalActors.Learning.Environments.Skeletons;
using CrystalActors.Learning.Grpo;
using CrystalActors.Learning.Offline;

namespace CrystalActors.Bench;

/// <summary>
/// `crystal-actors bench grpo`: GRPO on one real MP-20 skeleton (the first validation crystal with --sites sites) with
/// the paper's 21-element vocabulary: the time to play one group of G episodes (one batched forward pass of G states
/// per site), GRPO updates per second on a played group (default options: one pass, two minibatches, reference
/// log-probs included) and whole iterations (play + update) per second.
/// </summary>
public static class GrpoBench
{
    public static Command CreateCommand()
    {
        var data = new Option<string?>("--data") { Description = "MP-20 JSONL (default: shared/data/mp20/mp20_val.jsonl.gz)" };
        var sites = new Option<int>("--sites") { Description = "Sites of the skeleton (the first validation crystal with that many)", DefaultValueFactory = _ => 10 };
        var group = new Option<int>("--group") { Description = "Episodes per group G", DefaultValueFactory = _ => new GrpoOptions().GroupSize };
        var seconds = new Option<double>("--seconds") { Description = "Measuring time per figure (s)", DefaultValueFactory = _ => 5.0 };
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads (0 = leave as is)", DefaultValueFactory = _ => 0 };
        var cmd = new Command("grpo", "GRPO speed: rollout time per group, updates/s and iterations/s at group size G on one skeleton");
        foreach (var o in new Option[] { data, sites, group, seconds, threads }) cmd.Options.Add(o);
        cmd.SetAction(p =>
        {
            int t = p.GetValue(threads);
            if (t > 0) Torch.Torch.NumThreads = t;
            Run(p.GetValue(data), p.GetValue(sites), p.GetValue(group), p.GetValue(seconds));
            return 0;
        });
        return cmd;
    }

    public static void Run(string? dataPath, int sites, int groupSize, double seconds)
    {
        Torch.Torch.UseCachingCpuAllocator();
        dataPath ??= Path.Combine(SharedPaths.RequireShared(Path.Combine("data", "mp20")), "data", "mp20", "mp20_val.jsonl.gz");
        var record = Mp20JsonlReader.Read(dataPath).FirstOrDefault(r => r.NumAtoms == sites && r.Structure is not null)
            ?? throw new ArgumentException($"no crystal with {sites} sites in {dataPath}");
        var skeletons = TrajectoryDataset.Build(new[] { record });
        var task = new DesignTask(Skeleton.FromStructure(record.Structure!, record.SpacegroupNumber ?? 1), DesignTask.PaperVocabulary, 1.12);
        var options = new GrpoOptions { GroupSize = groupSize };
        Console.WriteLine($"skeleton {record.MaterialId} ({record.PrettyFormula}): {sites} sites, {skeletons.NumEdges(0)} directed edges; " +
                          $"G = {groupSize}, {options.Epochs} epoch(s) x {options.Minibatches} minibatch(es); {task.Vocabulary.Count} elements; " +
                          $"threads {Torch.Torch.NumThreads}");

        using var learner = new GrpoLearner(skeletons, task.VocabularyActions, task.TargetGapEv, options, seed: 1);
        var rng = new Random(1);
        var tasks = new[] { task };
        int[] crystals = { 0 }, order = { 0 };
        var played = learner.Play(tasks, crystals, order, rng);
        var trajectories = played.Select(e => e.Trajectory).ToArray();
        var rewards = played.Select(e => (double)e.Played.Episode.DistinctElements).ToArray();

        var table = new BenchTable($"GRPO (one MP-20 skeleton, {sites} sites, G = {groupSize}, {Torch.Torch.NumThreads} threads)", "metric", "parameters", "value", "unit");
        string p = $"G={groupSize} sites={sites}";
        double rollouts = BenchTable.Rate(() => learner.Play(tasks, crystals, order, rng), seconds, warmup: 2);
        table.Add("grpo_rollout_ms_per_group", p, 1e3 / rollouts, "ms");
        double updates = BenchTable.Rate(() => learner.Update(trajectories, rewards), seconds, warmup: 2);
        table.Add("grpo_updates_per_s", p, updates, "updates/s");
        table.Add("grpo_update_ms", p, 1e3 / updates, "ms");
        double iterations = BenchTable.Rate(() =>
        {
            var g = learner.Play(tasks, crystals, order, rng);
            learner.Update(g.Select(e => e.Trajectory).ToArray(), g.Select(e => (double)e.Played.Episode.DistinctElements).ToArray());
        }, seconds, warmup: 1);
        table.Add("grpo_iterations_per_s", p, iterations, "iterations/s");
        table.Print();
    }
}
