using PuppeteerSharp;

namespace CrystalActors.Reporting.Tests.Html;

/// <summary>
/// report.html as people see it: opened from disk in headless Chromium, it loads without errors, asks for nothing
/// beyond itself, and every figure has a size on the page.
/// </summary>
public sealed class ReportBrowserTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("report-browser-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [ChromiumFact]
    public async Task CampaignReport_LoadsWithoutErrors_EveryFigureHasASize()
    {
        var run = Path.Combine(_root, "campaign");
        SyntheticRuns.Campaign(run);
        var report = RunReports.Write(run);
        var page = await OpenAsync(Path.Combine(run, RunReports.FileName));
        Assert.Empty(page.Errors);
        Assert.Empty(page.Requests);
        Assert.Equal(report.Figures.Select(f => f.Id), page.Figures.Select(f => f.Id));
        Assert.All(page.Figures, f => Assert.True(f.Width > 0 && f.Height > 0, $"figure {f.Id} is {f.Width}×{f.Height}"));
        Assert.Equal(["designs/synthetic-e10.cif"], page.Links);
    }

    [ChromiumFact]
    public async Task OfflineReport_LoadsWithoutErrors_EveryFigureHasASize()
    {
        var run = Path.Combine(_root, "offline");
        SyntheticRuns.Offline(run);
        var report = RunReports.Write(run);
        var page = await OpenAsync(Path.Combine(run, RunReports.FileName));
        Assert.Empty(page.Errors);
        Assert.Empty(page.Requests);
        Assert.Equal(report.Figures.Count, page.Figures.Count);
        Assert.All(page.Figures, f => Assert.True(f.Width > 0 && f.Height > 0, $"figure {f.Id} is {f.Width}×{f.Height}"));
    }

    private sealed record FigureBox(string Id, double Width, double Height);

    /// <param name="Errors">Console errors and uncaught page errors.</param>
    /// <param name="Requests">Requests other than the page itself (an inline report makes none).</param>
    /// <param name="Links">The designs table's hrefs.</param>
    private sealed record LoadedPage(List<string> Errors, List<string> Requests, IReadOnlyList<FigureBox> Figures, IReadOnlyList<string> Links);

    private static async Task<LoadedPage> OpenAsync(string file)
    {
        var url = new Uri(file).AbsoluteUri;
        await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            Headless = true,
            ExecutablePath = ChromiumFactAttribute.Executable,
            Args = ["--no-sandbox"],
            // A loaded 2-core machine can take a while to start a browser.
            Timeout = 120_000,
        });
        await using var page = await browser.NewPageAsync();
        var errors = new List<string>();
        var requests = new List<string>();
        page.Console += (_, e) => { if (e.Message.Type == ConsoleType.Error) lock (errors) errors.Add("console: " + e.Message.Text); };
        page.PageError += (_, e) => { lock (errors) errors.Add("page: " + e.Message); };
        page.Request += (_, e) => { if (e.Request.Url != url) lock (requests) requests.Add(e.Request.Url); };
        await page.GoToAsync(url, new NavigationOptions { WaitUntil = [WaitUntilNavigation.Load], Timeout = 120_000 });
        var boxes = await page.EvaluateExpressionAsync<FigureBox[]>("""
            Array.from(document.querySelectorAll('figure')).map(f => {
              const r = f.querySelector('svg, img').getBoundingClientRect();
              return { id: f.id, width: r.width, height: r.height };
            })
            """);
        var links = await page.EvaluateExpressionAsync<string[]>("Array.from(document.querySelectorAll('table.designs a')).map(a => a.getAttribute('href'))");
        return new LoadedPage(errors, requests, boxes, links);
    }
}
