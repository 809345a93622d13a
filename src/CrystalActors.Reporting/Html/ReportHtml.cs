using System.Globalization;
using System.Net;
using System.Text;

namespace CrystalActors.Reporting.Html;

/// <summary>
/// Lays a <see cref="RunReport"/> out as one self-contained HTML page: styles and SVG figures inline, no scripts and no
/// network, so it opens from a copied run folder, an e-mail attachment or a cluster's file browser alike.
/// </summary>
public static class ReportHtml
{
    private const string Style = """
        body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 2em auto; max-width: 1360px; padding: 0 1em; color: #222; }
        h1 { font-size: 1.6em; margin-bottom: 0.2em; }
        .meta { color: #666; margin-top: 0; }
        .notes { background: #fff8e1; border-left: 4px solid #f0b400; padding: 0.5em 1em; }
        .notes li { margin: 0.2em 0; }
        .notes li.problem { color: #a40000; }
        table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
        th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.8em; text-align: left; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 1.5em; }
        figure { margin: 0; border: 1px solid #e4e4e4; border-radius: 4px; padding: 0.8em; background: #fff; }
        figure h3 { margin: 0 0 0.4em; font-size: 1.05em; }
        figure svg { display: block; width: 100%; height: auto; }
        figcaption { color: #555; font-size: 0.9em; margin-top: 0.4em; }
        """;

    public static string Render(RunReport report, string runDirectory, DateTimeOffset generated)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            // An empty icon: otherwise the browser asks the server (or the file system) for favicon.ico.
            .Append("<link rel=\"icon\" href=\"data:,\">\n")
            .Append($"<title>{E(report.Title)}</title>\n<style>\n{Style}</style>\n</head>\n<body>\n")
            .Append($"<h1>{E(report.Title)}</h1>\n")
            .Append($"<p class=\"meta\">{E(Path.GetFullPath(runDirectory))} · generated {generated.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC by <code>crystal-actors report</code></p>\n");
        if (report.Problems.Count + report.Notes.Count > 0)
        {
            html.Append("<section class=\"notes\"><ul>\n");
            foreach (var p in report.Problems) html.Append($"<li class=\"problem\">{E(p)}</li>\n");
            foreach (var n in report.Notes) html.Append($"<li>{E(n)}</li>\n");
            html.Append("</ul></section>\n");
        }
        Summary(html, report.Summary);
        if (report.Figures.Count > 0)
        {
            html.Append("<h2>Figures</h2>\n<div class=\"grid\">\n");
            foreach (var f in report.Figures)
                html.Append($"<figure id=\"{E(f.Id)}\">\n<h3>{E(f.Title)}</h3>\n{SvgFigure.Render(f)}\n<figcaption>{E(f.Caption)}</figcaption>\n</figure>\n");
            html.Append("</div>\n");
        }
        if (report.Designs.Count > 0) Designs(html, report.Designs);
        return html.Append("</body>\n</html>\n").ToString();
    }

    private static void Summary(StringBuilder html, IReadOnlyList<SummaryItem> items)
    {
        if (items.Count == 0) return;
        html.Append("<h2>Summary</h2>\n<table class=\"summary\">\n");
        foreach (var i in items) html.Append($"<tr><th>{E(i.Label)}</th><td>{E(i.Value)}</td></tr>\n");
        html.Append("</table>\n");
    }

    private static void Designs(StringBuilder html, IReadOnlyList<DesignTableRow> rows)
    {
        html.Append("<h2>Designs</h2>\n<table class=\"designs\">\n<tr><th>source</th><th>rank</th><th>episode</th><th>formula</th><th>reward</th>")
            .Append("<th>predicted gap (eV)</th><th>DFT gap (eV)</th><th>DFT</th><th>CIF</th></tr>\n");
        foreach (var r in rows)
        {
            var cifs = string.Join(" ", new[] { (r.Cif, "designed"), (r.RelaxedCif, "relaxed") }
                .Where(c => c.Item1 is not null)
                .Select(c => $"<a href=\"{E(Uri.EscapeDataString(c.Item1!).Replace("%2F", "/"))}\">{c.Item2}</a>"));
            html.Append($"<tr><td>{E(r.Source)}</td><td class=\"num\">{r.Rank?.ToString(CultureInfo.InvariantCulture)}</td>")
                .Append($"<td class=\"num\">{r.Episode.ToString(CultureInfo.InvariantCulture)}</td><td>{E(r.Formula)}</td>")
                .Append($"<td class=\"num\">{N(r.Reward)}</td><td class=\"num\">{N(r.PredictedGapEv)}</td><td class=\"num\">{N(r.DftGapEv)}</td>")
                .Append($"<td>{E(r.DftStatus ?? "")}</td><td>{(cifs.Length == 0 ? "–" : cifs)}</td></tr>\n");
        }
        html.Append("</table>\n");
    }

    private static string N(double? x) => x?.ToString("F3", CultureInfo.InvariantCulture) ?? "";

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
