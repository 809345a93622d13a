using CrystalActors.Learning.Dqn;
using System.Text.Json;
using CrystalActors.Campaign;
using CrystalActors.Crystals.Io;
using CrystalActors.Campaign.Reporting;
using CrystalActors.Runtime.Cluster;
using CrystalActors.Runtime.Persistence;

namespace CrystalActors.Campaign.Tests;

/// <summary>The whole loop with real components (MEGNet reward model, M3GNet relaxation, pw.x) on a 2-site skeleton.</summary>
[Collection(nameof(CampaignLoop))]
public class CampaignLoopTests
{
    private static CampaignOptions Tiny(string root, string name, long episodes, int dftEvery, long budget, bool relax = true) => new()
    {
        Name = name,
        OutputRoot = root,
        Seed = 3,
        Skeleton = new SkeletonOptions { Data = SharedData.File("data", "mp20", "mp20_val.jsonl.gz"), MaterialIds = new[] { "mp-23289" } }, // KCl, 2 sites
        Vocabulary = new[] { "K", "Na", "Cl" },
        Episodes = episodes,
        DftEvery = dftEvery,
        DftBudget = budget,
        WallTimeMinutes = 8,
        Epsilon = new EpsilonOptions { Start = 1.0, End = 0.05, DecayRate = 0.01 },
        Dqn = new DqnOptions { BatchSize = 16, LearningStarts = 16, UpdatesPerEpisode = 1, PublishEvery = 4, TargetUpdateEvery = 8 },
        RewardModel = new RewardModelOptions { Weights = SharedData.File("reference", "megnet", "MEGNet-MP-2019.4.1-BandGap-mfi.safetensors"), FinetuneSteps = 2 },
        Relax = new RelaxOptions { Enabled = relax, Weights = SharedData.File("reference", "m3gnet", "M3GNet-MatPES-PBE-v2025.1-PES.safetensors"), Steps = 30 },
        Dft = new DftOptions { ProtocolName = "sssp", EcutWfcRy = 25, EcutRhoRy = 200, KSpacingInvAngstrom = 0.6, MpiRanks = 1, WallTimeMinutes = 3, PseudoDir = SharedData.File("pseudo") },
    };

    private static async Task<CampaignReport> Run(CampaignOptions o)
    {
        o.Validate("test");
        var outcome = await CampaignRunner.RunAsync(o, CampaignRunner.DefaultNode(o));
        Assert.NotNull(outcome);
        Assert.True(outcome.Progress.Finished);
        return CampaignReport.TryRead(outcome.ReportPath!)!;
    }

    private static IReadOnlyList<CampaignEvent> Journal(CampaignOptions o) =>
        JournalReader.EventsAsync(JournalKind.Sqlite, CampaignRunner.JournalPath(o), "campaign").GetAwaiter().GetResult().OfType<CampaignEvent>().ToList();

    [Fact]
    public async Task Campaign_RunsEpisodesRelaxationAndDft_AndWritesTheReport()
    {
        var root = Directory.CreateTempSubdirectory("ca-campaign-").FullName;
        var o = Tiny(root, "loop", episodes: 16, dftEvery: 8, budget: 1);
        var report = await Run(o);

        Assert.Equal(16, report.Episodes);
        Assert.Equal(1, report.DftRequested);
        Assert.Equal(1, report.DftSucceeded + report.DftFailed);
        Assert.Equal(100.0 / 16, report.PercentDftCalls, 6);
        var events = Journal(o);
        Assert.Equal(16, events.OfType<EpisodeCompleted>().Count());
        Assert.Single(events.OfType<DftRequested>());
        var finished = Assert.Single(events.OfType<DftFinished>());
        // The structure DFT computed (relaxed by M3GNet + FIRE) came back with the result and is journaled.
        Assert.Equal(2, Mp20JsonlReader.ParseLine(finished.RelaxedStructureJson!, "journal").Structure!.NumSites);
        // The DFT job's input, output and XML are archived, compressed, under the run folder (dft.archive defaults to on).
        var archived = Path.Combine(CampaignRunner.RunDirectory(o), "dft", finished.JobId);
        Assert.True(File.Exists(Path.Combine(archived, "attempt-1.in.gz")), $"no archive in {archived}");
        Assert.True(File.Exists(Path.Combine(archived, "attempt-1.out.gz")));
        // Every reward is either the penalty or exp(-(gap - 1.12)^2) in (0, 1].
        foreach (var ep in events.OfType<EpisodeCompleted>())
        {
            Assert.True(ep.Reward == -1 || ep.Reward is > 0 and <= 1, $"reward {ep.Reward}");
            Assert.Contains(ep.Formula.Replace("K", "").Replace("Na", "").Replace("Cl", ""), new[] { "", "2" });
        }
        // The seeded design is computed successfully (handlers on), and its result fine-tunes the reward model.
        Assert.Equal(1, report.DftSucceeded);
        Assert.Equal(1, report.ModelVersions["reward-model"]);
        Assert.NotNull(report.MeanDftGapLast100Ev);
        // The report's CIF files open again as structures of the skeleton.
        var dir = CampaignRunner.RunDirectory(o);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "report.json")));
        Assert.Equal(16, json.RootElement.GetProperty("episodes").GetInt64());
        Assert.NotEmpty(report.Best);
        foreach (var b in report.Best)
            Assert.Equal(2, CifReader.ReadFile(b.CifPath).NumSites);
    }

    [Fact]
    public async Task Campaign_Restarted_ContinuesFromTheJournal()
    {
        var root = Directory.CreateTempSubdirectory("ca-campaign-").FullName;
        var first = await Run(Tiny(root, "resume", episodes: 8, dftEvery: 0, budget: 0, relax: false));
        Assert.Equal(8, first.Episodes);
        // The same campaign with a larger episode budget resumes at episode 9.
        var o = Tiny(root, "resume", episodes: 24, dftEvery: 0, budget: 0, relax: false);
        var second = await Run(o);
        Assert.Equal(24, second.Episodes);
        var numbers = Journal(o).OfType<EpisodeCompleted>().Select(e => e.Episode).ToList();
        Assert.Equal(Enumerable.Range(1, 24).Select(i => (long)i), numbers);
        // The DQN learner's figures reach the scalars at its publications.
        var scalars = File.ReadAllLines(Path.Combine(CampaignRunner.RunDirectory(o), "scalars.csv"));
        Assert.Contains(scalars, l => l.Contains(",learner/losses/td,"));
        Assert.Contains(scalars, l => l.Contains(",learner/charts/mean_q,"));
        // The run report is written beside report.json when the campaign ends, and draws the learner's loss.
        var html = File.ReadAllText(Path.Combine(CampaignRunner.RunDirectory(o), "report.html"));
        Assert.Contains("id=\"episode-reward\"", html);
        Assert.Contains("id=\"learner-losses-td\"", html);
    }

    [Fact]
    public async Task GrpoCampaign_PlaysGroupsOfOneSkeleton_UpdatesPerGroup_AndResumes()
    {
        var root = Directory.CreateTempSubdirectory("ca-campaign-grpo-").FullName;
        CampaignOptions Grpo(long episodes) => Tiny(root, "grpo", episodes, dftEvery: 0, budget: 0, relax: false) with
        {
            Learner = "grpo",
            Grpo = new Learning.Grpo.GrpoOptions { GroupSize = 8, LearningRate = 1e-3 },
            GreedyEvalEvery = 0,
        };
        var first = await Run(Grpo(24));
        Assert.Equal(24, first.Episodes);
        var o = Grpo(40);
        var second = await Run(o);
        Assert.Equal(40, second.Episodes);

        var learner = JournalReader.EventsAsync(JournalKind.Sqlite, CampaignRunner.JournalPath(o), "learner-grpo").GetAwaiter().GetResult()
            .OfType<CrystalActors.Campaign.Roles.PolicySaved>().ToList();
        // Version 0 (the reference) once, then one version per group, numbered on across the restart. The last group of
        // each run may or may not be trained before the node stops, so at least v0..v3 (two groups per run are certain).
        Assert.Single(learner, p => p.Version == 0);
        Assert.Equal(Enumerable.Range(0, learner.Count).Select(v => (long)v), learner.Select(p => p.Version));
        Assert.True(learner.Count >= 4, $"{learner.Count} policy versions");
        // Each batch the coordinator journaled is one group: 8 episodes.
        var episodes = Journal(o).OfType<EpisodeCompleted>().ToList();
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), episodes.Select(e => e.Episode));
        // The learner's figures reach the scalars: one KL and one entropy per update of this (second) run at least.
        var scalars = File.ReadAllLines(Path.Combine(CampaignRunner.RunDirectory(o), "scalars.csv"));
        Assert.True(scalars.Count(l => l.Contains(",learner/losses/kl,")) >= 2, "learner/losses/kl in scalars.csv");
        Assert.Contains(scalars, l => l.Contains(",learner/losses/entropy,"));
    }
}

[CollectionDefinition(nameof(CampaignLoop), DisableParallelization = true)]
public sealed class CampaignLoop { }
