using ScottPlot;

namespace CrystalActors.Reporting.Html;

/// <summary>
/// Draws a <see cref="Figure"/> with ScottPlot as an SVG element for inlining in HTML (no XML prolog, scalable).
/// Reference lines are solid, told apart by colour and legend: Skia's SVG backend has no dash effect and prints a
/// line to stdout for every dashed stroke.
/// </summary>
public static class SvgFigure
{
    public const int Width = 640;
    public const int Height = 400;

    /// <summary>Up to this many parity points carry their formula as a label; more would cover each other.</summary>
    private const int LabelledPoints = 15;

    /// <summary>
    /// A sans-serif family this machine has: the SVG's text names it, and ScottPlot measures the text with it. Chosen
    /// here because ScottPlot's own sans default falls back to a serif face on Debian's DejaVu-only font set.
    /// </summary>
    private static readonly Lazy<string> SansFamily = new(() =>
        new[] { "DejaVu Sans", "Liberation Sans", "Arial", "Helvetica" }.FirstOrDefault(SkiaSharp.SKFontManager.Default.GetFontFamilies().Contains) ?? Fonts.Default);

    public static string Render(Figure figure)
    {
        var plot = new Plot();
        plot.Font.Set(SansFamily.Value);
        switch (figure)
        {
            case LineFigure f: Lines(plot, f); break;
            case ParityFigure f: Parity(plot, f); break;
            case HistogramFigure f: Histogram(plot, f); break;
            case BarFigure f: Bars(plot, f); break;
            default: throw new ArgumentException($"no drawing for {figure.GetType().Name}", nameof(figure));
        }
        return Inline(plot.GetSvgXml(Width, Height));
    }

    private static void Lines(Plot plot, LineFigure f)
    {
        foreach (var s in f.Series)
        {
            var line = plot.Add.ScatterLine(s.X.ToArray(), s.Y.ToArray());
            line.LegendText = s.Label;
            // Markers show where sparse evaluations were made; on dense curves they would only thicken the line.
            line.MarkerSize = s.X.Count <= 50 ? 5 : 0;
        }
        foreach (var level in f.Levels)
        {
            var h = plot.Add.HorizontalLine(level.Value, 1.5f, Colors.Black);
            h.LegendText = level.Label;
        }
        plot.XLabel(f.XLabel);
        plot.YLabel(f.YLabel);
        if (f.UnitInterval) plot.Axes.SetLimitsY(0, 1.02);
        // One curve needs no key: the axis label and the caption name it.
        if (f.Series.Count + f.Levels.Count > 1) plot.ShowLegend(Alignment.LowerRight);
        else plot.HideLegend();
    }

    private static void Parity(Plot plot, ParityFigure f)
    {
        var x = f.Points.Select(p => p.PredictedGapEv).ToArray();
        var y = f.Points.Select(p => p.DftGapEv).ToArray();
        double lo = Math.Min(0, Math.Min(x.Min(), y.Min())), hi = Math.Max(x.Max(), y.Max());
        hi += Math.Max(0.05 * (hi - lo), 0.1);
        var diagonal = plot.Add.Line(lo, lo, hi, hi);
        diagonal.LineColor = Colors.Gray;
        plot.Add.Markers(x, y, MarkerShape.FilledCircle, 7);
        if (f.Points.Count <= LabelledPoints)
            foreach (var p in f.Points)
            {
                var label = plot.Add.Text(p.Formula, p.PredictedGapEv, p.DftGapEv);
                label.LabelFontSize = 11;
                label.OffsetX = 6;
                label.OffsetY = -6;
            }
        plot.XLabel("predicted gap (eV)");
        plot.YLabel("DFT gap (eV)");
        plot.Axes.SetLimits(lo, hi, lo, hi);
    }

    private static void Histogram(Plot plot, HistogramFigure f)
    {
        var bins = f.Bins;
        var palette = new ScottPlot.Palettes.Category10();
        for (int k = 0; k < f.Series.Count; k++)
        {
            var color = palette.GetColor(k).WithAlpha(f.Series.Count > 1 ? 0.55 : 0.9);
            var bars = Enumerable.Range(0, bins.Count)
                .Select(i => new Bar { Position = bins.Center(i), Value = f.Series[k].Counts[i], Size = bins.Width, FillColor = color, LineWidth = 0 })
                .ToList();
            var plottable = plot.Add.Bars(bars);
            plottable.LegendText = f.Series[k].Label;
        }
        if (f.Marker is { } m)
        {
            var v = plot.Add.VerticalLine(m.Value, 2, Colors.Black);
            v.LegendText = m.Label;
        }
        plot.XLabel(f.XLabel);
        plot.YLabel("designs");
        plot.Axes.Margins(left: 0.05, right: 0.05, bottom: 0, top: 0.25); // room above the bars for the key
        plot.ShowLegend(Alignment.UpperRight);
    }

    private static void Bars(Plot plot, BarFigure f)
    {
        var palette = new ScottPlot.Palettes.Category10();
        var bars = f.Bars.Select((b, i) => new Bar
        {
            Position = i, Value = b.Count, FillColor = b.Category == "ok" ? palette.GetColor(2) : palette.GetColor(3), Label = b.Count.ToString(),
        }).ToList();
        var plottable = plot.Add.Bars(bars);
        plottable.ValueLabelStyle.FontSize = 12;
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, f.Bars.Count).Select(i => (double)i).ToArray(), f.Bars.Select(b => b.Category).ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.YLabel(f.YLabel);
        plot.Axes.Margins(left: 0.05, right: 0.05, bottom: 0, top: 0.15); // room above the bars for their counts
        plot.HideGrid();
    }

    /// <summary>ScottPlot writes a standalone file: drop the XML prolog (not allowed inside HTML) and add a viewBox so CSS can scale it.</summary>
    private static string Inline(string svg)
    {
        int start = svg.IndexOf("<svg ", StringComparison.Ordinal);
        if (start < 0) throw new InvalidOperationException("ScottPlot returned no <svg> element");
        return $"<svg viewBox=\"0 0 {Width} {Height}\" role=\"img\" " + svg[(start + "<svg ".Length)..].Trim();
    }
}
