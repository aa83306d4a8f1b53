using System.Globalization;
using System.Security;
using System.Text;

namespace Sentire.Evaluation.Charts;

/// <summary>
/// Small, dependency-free SVG charts for reports: a confusion-matrix heat map, horizontal bars and a
/// scatter plot. Output is plain SVG 1.1 text that browsers and Markdown viewers render directly.
/// </summary>
public static class SvgCharts
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Heat map of a row-normalised matrix (rows: truth, columns: prediction), each cell labelled with its percentage.</summary>
    public static string Heatmap(string title, IReadOnlyList<string> labels, double[,] values)
    {
        int n = labels.Count;
        if (values.GetLength(0) != n || values.GetLength(1) != n)
            throw new ArgumentException($"matrix is {values.GetLength(0)}x{values.GetLength(1)} for {n} labels");
        const int cell = 48, left = 110, top = 60;
        int width = left + n * cell + 20, height = top + n * cell + 70;
        var svg = Begin(width, height, title);
        for (int i = 0; i < n; i++)
        {
            svg.Append(Text(left - 6, top + i * cell + cell / 2 + 4, labels[i], "end"));
            svg.Append(Text(left + i * cell + cell / 2, top + n * cell + 16, labels[i], "middle", rotate: true));
            for (int j = 0; j < n; j++)
            {
                double v = Math.Clamp(values[i, j], 0, 1);
                int shade = (int)Math.Round(255 - 200 * v);
                svg.Append(Inv, $"<rect x=\"{left + j * cell}\" y=\"{top + i * cell}\" width=\"{cell}\" height=\"{cell}\" fill=\"rgb({shade},{shade},255)\" stroke=\"#fff\"/>");
                svg.Append(Text(left + j * cell + cell / 2, top + i * cell + cell / 2 + 4, (100 * values[i, j]).ToString("0", Inv), "middle", fill: v > 0.5 ? "#fff" : "#000"));
            }
        }
        svg.Append(Text(left + n * cell / 2, height - 8, "predicted", "middle"));
        return End(svg);
    }

    /// <summary>Horizontal bars in [0, max], one per item, with the value printed at the end of each bar.</summary>
    public static string Bars(string title, IReadOnlyList<(string Label, double Value)> items, double max = 1.0, string format = "0.000")
    {
        const int bar = 20, left = 140, top = 50, plot = 360;
        int height = top + items.Count * (bar + 6) + 20;
        var svg = Begin(left + plot + 80, height, title);
        for (int i = 0; i < items.Count; i++)
        {
            var (label, value) = items[i];
            double w = double.IsFinite(value) ? Math.Clamp(value / max, 0, 1) * plot : 0;
            int y = top + i * (bar + 6);
            svg.Append(Text(left - 6, y + bar - 5, label, "end"));
            svg.Append(Inv, $"<rect x=\"{left}\" y=\"{y}\" width=\"{w:0.##}\" height=\"{bar}\" fill=\"#4c72b0\"/>");
            svg.Append(Text(left + (int)w + 4, y + bar - 5, double.IsFinite(value) ? value.ToString(format, Inv) : "n/a", "start"));
        }
        return End(svg);
    }

    /// <summary>Scatter of points in [xmin, xmax] x [ymin, ymax], coloured by group, with a legend.</summary>
    public static string Scatter(string title, string xLabel, string yLabel, IReadOnlyList<(double X, double Y, string Group)> points,
        double xmin = 0, double xmax = 1, double ymin = 0, double ymax = 1)
    {
        const int left = 60, top = 50, size = 360;
        var groups = points.Select(p => p.Group).Distinct().OrderBy(g => g, StringComparer.Ordinal).ToList();
        var svg = Begin(left + size + 160, top + size + 60, title);
        svg.Append(Inv, $"<rect x=\"{left}\" y=\"{top}\" width=\"{size}\" height=\"{size}\" fill=\"none\" stroke=\"#888\"/>");
        foreach (var (x, y, g) in points)
        {
            if (!double.IsFinite(x) || !double.IsFinite(y)) continue;
            double px = left + (x - xmin) / (xmax - xmin) * size, py = top + size - (y - ymin) / (ymax - ymin) * size;
            svg.Append(Inv, $"<circle cx=\"{px:0.#}\" cy=\"{py:0.#}\" r=\"3\" fill=\"{Colour(groups.IndexOf(g))}\" fill-opacity=\"0.7\"/>");
        }
        for (int i = 0; i < groups.Count; i++)
        {
            svg.Append(Inv, $"<circle cx=\"{left + size + 20}\" cy=\"{top + 10 + i * 18}\" r=\"5\" fill=\"{Colour(i)}\"/>");
            svg.Append(Text(left + size + 30, top + 14 + i * 18, groups[i], "start"));
        }
        svg.Append(Text(left + size / 2, top + size + 35, xLabel, "middle"));
        svg.Append(Text(14, top + size / 2, yLabel, "middle"));
        return End(svg);
    }

    // Tableau-10 palette: distinguishable categories.
    static string Colour(int i) => new[] { "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac" }[i % 10];

    static StringBuilder Begin(int width, int height, string title)
    {
        var sb = new StringBuilder();
        sb.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">");
        sb.Append("<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>");
        sb.Append(Text(width / 2, 24, title, "middle", size: 15));
        return sb;
    }

    static string End(StringBuilder sb) => sb.Append("</svg>").ToString();

    static string Text(int x, int y, string text, string anchor, string fill = "#000", int size = 12, bool rotate = false) =>
        string.Create(Inv, $"<text x=\"{x}\" y=\"{y}\" text-anchor=\"{anchor}\" fill=\"{fill}\" font-size=\"{size}\"{(rotate ? $" transform=\"rotate(-35 {x} {y})\"" : "")}>{SecurityElement.Escape(text)}</text>");
}
