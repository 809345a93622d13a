using CrystalActors.Reporting.Campaign;

namespace CrystalActors.Reporting.Tests.Campaign;

/// <summary>What a campaign's report shows, from the synthetic run folder (<see cref="SyntheticRuns.Campaign"/>) and from hand-made runs.</summary>
public sealed class CampaignReportBuilderTests : IDisposable
{
    private readonly string _run = Directory.CreateTempSubdirectory("campaign-report-").FullName;

    public CampaignReportBuilderTests() => SyntheticRuns.Campaign(_run);

    public void Dispose() => Directory.Delete(_run, recursive: true);

    private RunReport Build() => CampaignReportBuilder.Build(CampaignRunReader.Read(_run));

    private static T Figure<T>(RunReport r, string id) where T : Figure => Assert.IsType<T>(Assert.Single(r.Figures, f => f.Id == id));

    [Fact]
    public void Build_SyntheticRun_HasEveryFigureAndNoProblems()
    {
        var r = Build();
        Assert.Equal("Campaign synthetic", r.Title);
        Assert.Equal(
            ["episode-reward", "greedy-reward", "epsilon", "reward-components", "learner-losses-td", "gap-parity", "gap-histogram", "dft-outcomes"],
            r.Figures.Select(f => f.Id));
        Assert.Empty(r.Problems);
        Assert.Empty(r.Notes);
    }

    [Fact]
    public void EpisodeReward_IsTheTrailingMeanOverATwentiethOfTheEpisodes()
    {
        var f = Figure<LineFigure>(Build(), "episode-reward");
        var s = Assert.Single(f.Series);
        Assert.Equal(SyntheticRuns.Episodes, s.X.Count);
        // Rewards 1, 0, 1, 0, ...; 40 episodes give a window of 2.
        Assert.Equal([1.0, 0.5, 0.5, 0.5], s.Y.Take(4));
        Assert.Contains("trailing mean over 2 episodes", f.Caption);
    }

    [Fact]
    public void Greedy_DrawsTheOptimumFromOptimumJson_OverReportJsonsGreedySection()
    {
        var f = Figure<LineFigure>(Build(), "greedy-reward");
        Assert.Equal(["mean over orders", "best order"], f.Series.Select(s => s.Label));
        Assert.Equal(new Level("optimum (LiF)", 0.99), Assert.Single(f.Levels));
    }

    [Fact]
    public void Parity_TakesEveryDesignsCsvRowWithBothGaps()
    {
        var f = Figure<ParityFigure>(Build(), "gap-parity");
        Assert.Equal([new ParityPoint("NaCl", 1.1, 1.3), new ParityPoint("MgO", 0.5, 0.4)], f.Points);
    }

    [Fact]
    public void GapHistogram_CountsPredictedAndDftGapsOverSharedBins_WithTheTargetMarked()
    {
        var f = Figure<HistogramFigure>(Build(), "gap-histogram");
        // Gaps 0.4..2.0 in 5 bins of 0.32 eV: predicted 1.1, 0.5, 2.0, 1.2; DFT 1.3, 0.4.
        Assert.Equal(0.4, f.Bins.Lower, 12);
        Assert.Equal(2.0, f.Bins.Upper, 12);
        Assert.Equal(5, f.Bins.Count);
        Assert.Equal(["predicted (4)", "DFT (2)"], f.Series.Select(s => s.Label));
        Assert.Equal([1, 0, 2, 0, 1], f.Series[0].Counts);
        Assert.Equal([1, 0, 1, 0, 0], f.Series[1].Counts);
        Assert.Equal(SyntheticRuns.TargetGapEv, f.Marker!.Value);
    }

    [Fact]
    public void DftOutcomes_OkFirstThenFailureClassesFromReportJson()
    {
        var f = Figure<BarFigure>(Build(), "dft-outcomes");
        Assert.Equal([new CategoryCount("ok", 2), new CategoryCount("scf_not_converged", 1)], f.Bars);
    }

    [Fact]
    public void Designs_LinkOnlyTheCifsThatExist_RelativeToTheRunFolder()
    {
        var rows = Build().Designs;
        Assert.Equal(["NaCl", "MgO", "KBr", "LiF"], rows.Select(d => d.Formula));
        Assert.Equal("designs/synthetic-e10.cif", rows[0].Cif);
        Assert.All(rows.Skip(1), d => Assert.Null(d.Cif));
        Assert.Null(rows[1].RelaxedCif);
    }

    [Fact]
    public void Summary_ShowsReportJsonFieldsInWords()
    {
        var summary = Build().Summary.ToDictionary(s => s.Label, s => s.Value);
        Assert.Equal("synthetic", summary["campaign"]);
        Assert.Equal("1.12", summary["target gap (eV)"]);
        Assert.Equal("reached 40 episodes", summary["stop reason"]);
        Assert.Equal("66.67", summary["% DFT success"]);
        Assert.Equal("–", summary["mean DFT gap last 100 (eV)"]);
        Assert.Equal("policy v4", summary["model versions"]);
        Assert.Equal("0.8", summary["greedy: final mean reward"]);
    }

    [Fact]
    public void Build_WithoutDesignsCsv_FallsBackToReportJsonsBestList()
    {
        File.Delete(Path.Combine(_run, CampaignRunReader.DesignsFile));
        var r = Build();
        Assert.Equal([new ParityPoint("NaCl", 1.1, 1.3)], Figure<ParityFigure>(r, "gap-parity").Points);
        // dft/gap_ev holds only a failed job's NaN, so the histogram has predicted gaps only.
        Assert.Equal(["predicted (2)"], Figure<HistogramFigure>(r, "gap-histogram").Series.Select(s => s.Label));
        Assert.Equal([("best", "best/01_NaCl.cif"), ("best", (string?)null)], r.Designs.Select(d => (d.Source, d.Cif)));
    }

    [Fact]
    public void Build_MalformedScalarsLine_OneProblemNamingTheFile_OtherFiguresStay()
    {
        File.AppendAllText(Path.Combine(_run, "scalars.csv"), "1041.5,41,charts/episode_reward\n1042,x,charts/episode_reward,1\n");
        var r = Build();
        Assert.Equal(2, r.Problems.Count);
        Assert.All(r.Problems, p => Assert.StartsWith(Path.Combine(_run, "scalars.csv") + ": skipped malformed line", p));
        Assert.Equal(8, r.Figures.Count);
    }

    [Fact]
    public void Build_UnreadableReportJson_IsAProblem_AndTheRestStillRenders()
    {
        File.WriteAllText(Path.Combine(_run, "report.json"), "{ \"campaign\": ");
        var r = Build();
        Assert.StartsWith(Path.Combine(_run, "report.json") + ": unreadable", Assert.Single(r.Problems));
        Assert.Contains(r.Notes, n => n.StartsWith("no report.json", StringComparison.Ordinal));
        Assert.Contains(r.Figures, f => f.Id == "episode-reward");
        // Without report.json the outcomes come from designs.csv's DFT rows.
        Assert.Equal([new CategoryCount("ok", 2), new CategoryCount("scf_not_converged", 1)], Figure<BarFigure>(r, "dft-outcomes").Bars);
    }

    [Fact]
    public void Build_RunWithoutDft_SaysWhyThereIsNoParityPlot()
    {
        var run = new CampaignRun("x", null, new Dictionary<string, Series>(), true, [], [], [], 0, new Dictionary<string, int>(), null, []);
        var r = CampaignReportBuilder.Build(run);
        Assert.Empty(r.Figures);
        Assert.Contains("no design has both a predicted and a DFT gap yet: no parity plot", r.Notes);
        Assert.Contains("no DFT job ended in this run: no DFT outcome chart", r.Notes);
    }
}
