using System.Globalization;

namespace Sentire.Evaluation.Charts;

/// <summary>
/// Small, dependency-free SVG charts for reports: a confusion-matrix heat map, horizontal bars and a scatter plot.
/// Each is laid out on an <see cref="SvgCanvas"/>, which measures every text (labels, rotated ones included, and the
/// title) so the viewBox holds all of it; every value axis has ticks with values and a title with its unit. Output is
/// plain SVG 1.1 that browsers and Markdown viewers render directly; texts carry a class naming their role
/// (title, label x/y, tick x/y, axis x/y, value, legend).
/// </summary>
public static class SvgCharts
{
    const double Size = 12;                                  // px, axis and label text
    const double Ascent = TextMetrics.Ascent * Size, Descent = TextMetrics.Descent * Size;
    const string Grid = "#ddd", Axis = "#888";
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Heat map of a row-normalised confusion matrix (rows: true class, columns: predicted class), each
    /// cell labelled with its percentage; column labels are turned 45 degrees.</summary>
    public static string Heatmap(string title, IReadOnlyList<string> labels, double[,] values)
    {
        int n = labels.Count;
        if (values.GetLength(0) != n || values.GetLength(1) != n)
            throw new ArgumentException($"matrix is {values.GetLength(0)}x{values.GetLength(1)} for {n} labels");
        const double cell = 48, gap = 6, labelTurn = -45;
        var svg = new SvgCanvas();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double v = double.IsFinite(values[i, j]) ? Math.Clamp(values[i, j], 0, 1) : 0;
                int shade = (int)Math.Round(255 - 200 * v);
                svg.Rect(j * cell, i * cell, cell, cell, string.Create(Inv, $"rgb({shade},{shade},255)"), "#fff");
                svg.Text(j * cell + cell / 2, i * cell + cell / 2 + 4, double.IsFinite(values[i, j]) ? (100 * values[i, j]).ToString("0", Inv) : "-",
                    Anchor.Middle, "value", fill: v > 0.5 ? "#fff" : "#000");
            }
        double rowLabels = 0, columnLabelsBottom = n * cell;
        for (int i = 0; i < n; i++)
        {
            svg.Text(-gap, i * cell + cell / 2 + 4, labels[i], Anchor.End, "label y");
            rowLabels = Math.Max(rowLabels, TextMetrics.Width(labels[i], Size));
            // turned about the end of the text, just below its column: the text hangs down-left from there
            double px = i * cell + cell / 2 + 4, py = n * cell + gap + 4;
            svg.Text(px, py, labels[i], Anchor.End, "label x", rotate: labelTurn);
            columnLabelsBottom = Math.Max(columnLabelsBottom, SvgCanvas.Box(px, py, labels[i], Anchor.End, Size, labelTurn).Bottom);
        }
        svg.Text(n * cell / 2, columnLabelsBottom + gap + Ascent, "predicted class", Anchor.Middle, "axis x");
        VerticalAxisTitle(svg, -(rowLabels + 2 * gap), n * cell / 2, "true class");
        return svg.Finish(title);
    }

    /// <summary>Horizontal bars, one per item, from zero to the value (printed at the bar's end), on a value axis with
    /// ticks from min(0, smallest value) to max(<paramref name="max"/>, largest value); <paramref name="axisLabel"/>
    /// names the value and its unit, e.g. "UAR (%)".</summary>
    public static string Bars(string title, IReadOnlyList<(string Label, double Value)> items, string axisLabel, double max = 1.0, string format = "0.000")
    {
        const double bar = 20, step = bar + 6, plot = 360, gap = 6;
        var finite = items.Select(i => i.Value).Where(double.IsFinite).ToList();
        var (lo, hi, ticks) = NiceAxis(Math.Min(0, finite.DefaultIfEmpty(0).Min()), Math.Max(max, finite.DefaultIfEmpty(0).Max()));
        double X(double v) => (Math.Clamp(v, lo, hi) - lo) / (hi - lo) * plot;
        double height = Math.Max(items.Count, 1) * step;
        var svg = new SvgCanvas();
        foreach (var t in ticks) svg.Line(X(t), 0, X(t), height, Grid);
        for (int i = 0; i < items.Count; i++)
        {
            var (label, value) = items[i];
            double y = i * step + 3;
            svg.Text(-gap, y + bar - 5, label, Anchor.End, "label y");
            if (!double.IsFinite(value)) { svg.Text(X(0) + 4, y + bar - 5, "n/a", Anchor.Start, "value"); continue; }
            double from = X(Math.Min(0, value)), to = X(Math.Max(0, value));
            svg.Rect(from, y, to - from, bar, "#4c72b0");
            svg.Text(to + 4, y + bar - 5, value.ToString(format, Inv), Anchor.Start, "value");
        }
        if (lo < 0) svg.Line(X(0), 0, X(0), height, "#000");
        HorizontalAxis(svg, ticks, X, height, 0, plot, axisLabel);
        return svg.Finish(title);
    }

    /// <summary>Scatter of points in [xmin, xmax] x [ymin, ymax], coloured by group, with a legend; both axes have
    /// ticks with values, and the axis labels should say the scale (e.g. "valence (0 = negative, 1 = positive)").</summary>
    public static string Scatter(string title, string xLabel, string yLabel, IReadOnlyList<(double X, double Y, string Group)> points,
        double xmin = 0, double xmax = 1, double ymin = 0, double ymax = 1)
    {
        const double size = 360, gap = 6;
        var groups = points.Select(p => p.Group).Distinct().OrderBy(g => g, StringComparer.Ordinal).ToList();
        var (x0, x1, xTicks) = NiceAxis(xmin, xmax);
        var (y0, y1, yTicks) = NiceAxis(ymin, ymax);
        double X(double v) => (v - x0) / (x1 - x0) * size;
        double Y(double v) => size - (v - y0) / (y1 - y0) * size;
        var svg = new SvgCanvas();
        foreach (var t in xTicks) svg.Line(X(t), 0, X(t), size, Grid);
        foreach (var t in yTicks) svg.Line(0, Y(t), size, Y(t), Grid);
        svg.Rect(0, 0, size, size, "none", Axis);
        foreach (var (x, y, g) in points)
            if (double.IsFinite(x) && double.IsFinite(y))
                svg.Circle(X(Math.Clamp(x, x0, x1)), Y(Math.Clamp(y, y0, y1)), 3, Colour(groups.IndexOf(g)), 0.7);
        for (int i = 0; i < groups.Count; i++)
        {
            svg.Circle(size + 20, 10 + i * 18, 5, Colour(i));
            svg.Text(size + 30, 14 + i * 18, groups[i], Anchor.Start, "legend");
        }
        HorizontalAxis(svg, xTicks, X, size, 0, size, xLabel);
        double tickWidth = 0;
        string yFormat = TickFormat(yTicks);
        foreach (var t in yTicks)
        {
            string text = t.ToString(yFormat, Inv);
            svg.Line(-4, Y(t), 0, Y(t), Axis);
            svg.Text(-gap, Y(t) + 4, text, Anchor.End, "tick y");
            tickWidth = Math.Max(tickWidth, TextMetrics.Width(text, Size));
        }
        VerticalAxisTitle(svg, -(tickWidth + 2 * gap), size / 2, yLabel);
        return svg.Finish(title);
    }

    /// <summary>Tick marks and values below a plot whose bottom edge is at <paramref name="y"/>, and the axis title below them.</summary>
    static void HorizontalAxis(SvgCanvas svg, IReadOnlyList<double> ticks, Func<double, double> x, double y, double from, double to, string label)
    {
        svg.Line(from, y, to, y, Axis);
        string format = TickFormat(ticks);
        foreach (var t in ticks)
        {
            svg.Line(x(t), y, x(t), y + 4, Axis);
            // 8 px down: clear of the lowest value on a vertical axis, which sits beside the corner
            svg.Text(x(t), y + 8 + Ascent, t.ToString(format, Inv), Anchor.Middle, "tick x");
        }
        svg.Text((from + to) / 2, y + 8 + Ascent + Descent + 6 + Ascent, label, Anchor.Middle, "axis x");
    }

    /// <summary>A title turned to read upwards, centred on <paramref name="middle"/>, its glyphs left of <paramref name="right"/>.</summary>
    static void VerticalAxisTitle(SvgCanvas svg, double right, double middle, string label) =>
        // turned -90 degrees the baseline runs upwards and the descenders point right: the baseline sits Descent left of the edge
        svg.Text(right - Descent, middle, label, Anchor.Middle, "axis y", rotate: -90);

    /// <summary>Round tick values (steps of 1, 2 or 5 times a power of ten, about five of them) covering [lo, hi]; the
    /// axis is widened to the outermost ticks.</summary>
    internal static (double Lo, double Hi, IReadOnlyList<double> Ticks) NiceAxis(double lo, double hi)
    {
        if (!(hi > lo)) hi = lo + 1;
        double raw = (hi - lo) / 5, magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw))), norm = raw / magnitude;
        double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude;
        double first = Math.Floor(lo / step + 1e-9) * step, last = Math.Ceiling(hi / step - 1e-9) * step;
        var ticks = new List<double>();
        for (int k = 0; first + k * step <= last + step * 1e-9; k++) ticks.Add(Math.Round(first + k * step, 12));
        return (first, last, ticks);
    }

    /// <summary>Enough decimals to tell the ticks apart: none for a step of 1 or more, one for 0.1-0.5, ...</summary>
    static string TickFormat(IReadOnlyList<double> ticks)
    {
        if (ticks.Count < 2) return "0";
        int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(ticks[1] - ticks[0]) + 1e-9));
        return decimals == 0 ? "0" : "0." + new string('0', decimals);
    }

    // Tableau-10 palette: distinguishable categories.
    static string Colour(int i) => new[] { "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac" }[i % 10];
}
