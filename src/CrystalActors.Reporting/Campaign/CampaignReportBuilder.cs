using System.Globalization;
using CrystalActors.Reporting.Figures;

namespace CrystalActors.Reporting.Campaign;

/// <summary>
/// Decides what a campaign's report shows from a <see cref="CampaignRun"/>: which curves, which designs go into the
/// parity plot and the gap histogram, and what each figure's caption says. No files, no drawing.
/// </summary>
public static class CampaignReportBuilder
{
    public const string EpisodeRewardTag = "charts/episode_reward";
    public const string EpsilonTag = "charts/epsilon";
    public const string GreedyMeanTag = "greedy/mean_reward";
    public const string GreedyBestTag = "greedy/best_reward";
    public const string DftGapTag = "dft/gap_ev";

    public static RunReport Build(CampaignRun run)
    {
        var notes = new List<string>();
        if (!run.HasReport)
            notes.Add("no report.json: the campaign has not finished (or was stopped before its report); the figures come from scalars.csv");
        var figures = new List<Figure>();
        void Add(Figure? f, string? whyNot = null)
        {
            if (f is not null) figures.Add(f);
            else if (whyNot is not null) notes.Add(whyNot);
        }
        Add(EpisodeReward(run.Scalars), $"no {EpisodeRewardTag} in scalars.csv: no learning curve");
        Add(Greedy(run.Scalars, run.Optimum));
        Add(Epsilon(run.Scalars));
        Add(RewardComponents(run.Scalars));
        foreach (var f in LearnerLosses(run.Scalars)) Add(f);
        Add(Parity(run), "no design has both a predicted and a DFT gap yet: no parity plot");
        Add(GapHistogram(run), "no design gaps yet: no gap histogram");
        Add(DftOutcomes(run), run.HasReport ? "no DFT job ended in this run: no DFT outcome chart" : null);

        var summary = new List<SummaryItem> { new("campaign", run.Name) };
        if (run.TargetGapEv is { } target) summary.Add(new SummaryItem("target gap (eV)", target.ToString("G4", CultureInfo.InvariantCulture)));
        summary.AddRange(run.ReportFields);
        return new RunReport($"Campaign {run.Name}", RunKind.Campaign, summary, figures, run.Designs ?? run.Best, run.Warnings, notes);
    }

    /// <summary>Per-episode reward as a trailing mean (the raw rewards jump between −1 and 1 from one episode to the next).</summary>
    public static LineFigure? EpisodeReward(IReadOnlyDictionary<string, Series> scalars)
    {
        if (!scalars.TryGetValue(EpisodeRewardTag, out var raw) || raw.Y.Count == 0) return null;
        int window = Smoothing.WindowFor(raw.Y.Count);
        var smoothed = Smoothing.Thin(new Series($"trailing mean of {window}", raw.X, Smoothing.TrailingMean(raw.Y, window)));
        return new LineFigure("episode-reward", "Episode reward", Invariant(
            $"Reward of each of the {raw.Y.Count} episodes ({EpisodeRewardTag}), as a trailing mean over {window} episodes."),
            "episode", "reward", [smoothed], []);
    }

    /// <summary>The greedy policy's evaluations against the reward model's optimum, where a search found one.</summary>
    public static LineFigure? Greedy(IReadOnlyDictionary<string, Series> scalars, Level? optimum)
    {
        var series = new[] { (GreedyMeanTag, "mean over orders"), (GreedyBestTag, "best order") }
            .Where(t => scalars.TryGetValue(t.Item1, out var s) && s.Y.Count > 0)
            .Select(t => scalars[t.Item1] with { Label = t.Item2 })
            .ToList();
        if (series.Count == 0) return null;
        var caption = optimum is null
            ? "Reward of the greedy policy's designs at each evaluation (no optimum search in this run)."
            : Invariant($"Reward of the greedy policy's designs at each evaluation; the black line is the optimum under the reward model, {optimum.Value:G4}.");
        return new LineFigure("greedy-reward", "Greedy policy", caption, "episode", "reward", series, optimum is null ? [] : [optimum]);
    }

    public static LineFigure? Epsilon(IReadOnlyDictionary<string, Series> scalars) =>
        scalars.TryGetValue(EpsilonTag, out var s) && s.Y.Count > 0
            ? new LineFigure("epsilon", "Exploration", $"The ε of ε-greedy exploration ({EpsilonTag}).", "episode", "ε", [s with { Label = "ε" }], [])
            : null;

    /// <summary>A multi-objective reward's components (reward/…, batch means), together: they share the reward's scale.</summary>
    public static LineFigure? RewardComponents(IReadOnlyDictionary<string, Series> scalars)
    {
        var parts = scalars.Where(kv => kv.Key.StartsWith("reward/", StringComparison.Ordinal) && kv.Value.Y.Count > 0)
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => Smoothing.Thin(kv.Value with { Label = kv.Key["reward/".Length..] }))
            .ToList();
        return parts.Count == 0 ? null : new LineFigure("reward-components", "Reward components",
            "Batch means of each component of the reward (reward/…).", "episode", "component", parts, []);
    }

    /// <summary>One figure per learner loss (learner/losses/…, grpo/…): their scales differ by orders of magnitude.</summary>
    public static IEnumerable<LineFigure> LearnerLosses(IReadOnlyDictionary<string, Series> scalars) => scalars
        .Where(kv => (kv.Key.StartsWith("learner/losses/", StringComparison.Ordinal) || kv.Key.StartsWith("grpo/", StringComparison.Ordinal)) && kv.Value.Y.Count > 0)
        .OrderBy(kv => kv.Key, StringComparer.Ordinal)
        .Select(kv =>
        {
            var name = kv.Key[(kv.Key.LastIndexOf('/') + 1)..];
            return new LineFigure(Slug(kv.Key), $"Learner: {name}", $"The learner's {name} ({kv.Key}) when the coordinator received it.",
                "episode", name, [Smoothing.Thin(kv.Value with { Label = name })], []);
        });

    /// <summary>
    /// Every design with both gaps: designs.csv (every design that reached DFT) when the run has it, else report.json's
    /// best list, which holds only the top designs.
    /// </summary>
    public static ParityFigure? Parity(CampaignRun run)
    {
        var source = run.Designs ?? run.Best;
        var points = source.Where(d => d.PredictedGapEv is not null && d.DftGapEv is not null)
            .Select(d => new ParityPoint(d.Formula, d.PredictedGapEv!.Value, d.DftGapEv!.Value))
            .ToList();
        if (points.Count == 0) return null;
        var from = run.Designs is null ? "report.json's best designs" : "designs.csv";
        return new ParityFigure("gap-parity", "Predicted vs DFT band gap",
            $"Reward model's gap against the DFT gap for the {points.Count} design{Plural(points.Count)} with both ({from}); the line is y = x.", points);
    }

    /// <summary>
    /// The gaps the campaign designed, against its target: the reward model's prediction for every design listed, and
    /// the DFT gap of every design computed (designs.csv, else scalars.csv's dft/gap_ev).
    /// </summary>
    public static HistogramFigure? GapHistogram(CampaignRun run)
    {
        var designs = run.Designs ?? run.Best;
        var predicted = designs.Where(d => d.PredictedGapEv is not null).Select(d => d.PredictedGapEv!.Value).ToList();
        var dft = run.Designs is not null
            ? run.Designs.Where(d => d.DftGapEv is not null).Select(d => d.DftGapEv!.Value).ToList()
            : run.Scalars.TryGetValue(DftGapTag, out var g) ? g.Y.ToList() : [];
        if (predicted.Count + dft.Count == 0) return null;
        var bins = HistogramBins.Spanning([predicted, dft], run.TargetGapEv);
        var series = new List<HistogramSeries>();
        if (predicted.Count > 0) series.Add(new HistogramSeries($"predicted ({predicted.Count})", bins.CountsOf(predicted)));
        if (dft.Count > 0) series.Add(new HistogramSeries($"DFT ({dft.Count})", bins.CountsOf(dft)));
        var marker = run.TargetGapEv is { } t ? new Level(Invariant($"target {t:G4} eV"), t) : null;
        return new HistogramFigure("gap-histogram", "Design band gaps", (marker is null
            ? "Band gaps of the designs (config.json has no target_gap_ev)."
            : "Band gaps of the designs; the vertical line is the target gap (config.json).") +
            (run.Designs is null ? " Predicted gaps of report.json's best designs only." : ""), "band gap (eV)", bins, series, marker);
    }

    /// <summary>DFT jobs by outcome: "ok" for a gap, else the failure class the DFT error handlers gave.</summary>
    public static BarFigure? DftOutcomes(CampaignRun run)
    {
        Dictionary<string, int> counts;
        if (run.FailureClasses is { } failures)
        {
            counts = new Dictionary<string, int>(failures);
            if (run.DftSucceeded is > 0 and var ok) counts["ok"] = (int)ok;
        }
        else if (run.Designs is { } designs)
            counts = designs.Where(d => d.Source == "dft").GroupBy(d => d.DftStatus ?? "unknown").ToDictionary(g => g.Key, g => g.Count());
        else return null;
        if (counts.Count == 0) return null;
        var bars = counts.OrderBy(c => c.Key == "ok" ? 0 : 1).ThenByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => new CategoryCount(c.Key, c.Value)).ToList();
        return new BarFigure("dft-outcomes", "DFT outcomes", Invariant($"The {bars.Sum(b => b.Count)} DFT jobs that ended, by outcome."), "jobs", bars);
    }

    private static string Slug(string tag) => string.Concat(tag.Select(c => char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-'));

    private static string Plural(int n) => n == 1 ? "" : "s";

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
