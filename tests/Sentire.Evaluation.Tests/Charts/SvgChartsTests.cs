using System.Globalization;
using System.Xml.Linq;
using Sentire.Evaluation.Charts;
using static Sentire.Evaluation.Tests.Charts.SvgGeometry;

namespace Sentire.Evaluation.Tests.Charts;

public sealed class SvgChartsTests
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    static readonly string[] Ravdess = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"];
    const string LongTitle = "emotion-clap-small on ravdess-17-20 (ravdess) under white noise at 5 dB SNR: recall (%) of each true class";

    static double[,] Uniform(int n)
    {
        var m = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) m[i, j] = i == j ? 0.5 : 0.5 / (n - 1);
        return m;
    }

    static List<string> Role(XDocument doc, string role) =>
        doc.Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == role).Select(t => t.Value).ToList();

    [Fact]
    public void Text_widths_are_dejavu_sans_as_chromium_measures_it()
    {
        // canvas measureText in Debian's Chromium, font "1000px DejaVu Sans"; the sum of rounded advances ignores
        // kerning, which only narrows text: the estimate may be up to 1 % wide, never more than 0.1 % narrow
        foreach (var (text, measured) in new[] { ("surprised", 4660.64), ("Recall % (rows: true, columns: predicted)", 20632.81), ("arousal (0 = calm, 1 = excited)", 15668.95) })
            Assert.InRange(TextMetrics.Width(text, 1000), 0.999 * measured, 1.01 * measured);
        Assert.Equal(24, TextMetrics.Width("平静", 12));       // outside ASCII: 1 em each
    }

    [Fact]
    public void The_checker_sees_the_clipping_the_old_charts_had()
    {
        // the old scatter's y label: anchored in the middle at x = 14, half of "arousal" left of the viewBox
        var cut = """<svg xmlns="http://www.w3.org/2000/svg" width="580" height="470" viewBox="0 0 580 470" font-size="12"><text x="14" y="230" text-anchor="middle">arousal</text></svg>""";
        Assert.Contains("not inside the viewBox", Assert.ThrowsAny<Exception>(() => AssertFits(cut)).Message);
        // the old heat map's column labels: turned about their middle, "surprised" runs past the bottom
        var turned = """<svg xmlns="http://www.w3.org/2000/svg" width="514" height="514" viewBox="0 0 514 514" font-size="12"><text x="470" y="500" text-anchor="middle" transform="rotate(-35 470 500)">surprised</text></svg>""";
        Assert.Contains("not inside the viewBox", Assert.ThrowsAny<Exception>(() => AssertFits(turned)).Message);
        // ... and turned about their middle they reach up into the cells, which hide them
        var hidden = """<svg xmlns="http://www.w3.org/2000/svg" width="514" height="560" viewBox="0 0 514 560" font-size="12"><rect width="100%" height="100%" fill="#fff"/><rect x="446" y="396" width="48" height="48" fill="rgb(55,55,255)"/><text x="470" y="460" text-anchor="middle" transform="rotate(-35 470 460)">surprised</text></svg>""";
        Assert.Contains("overlaps the shape", Assert.ThrowsAny<Exception>(() => AssertFits(hidden)).Message);
        var overlapping = """<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100" font-size="12"><text x="50" y="50">disgust</text><text x="60" y="55">fearful</text></svg>""";
        Assert.Contains("overlaps", Assert.ThrowsAny<Exception>(() => AssertFits(overlapping)).Message);
    }

    [Fact]
    public void Heatmap_fits_long_labels_and_a_long_title_and_escapes_labels()
    {
        string[] labels = [.. Ravdess, "a<b", "a speaker with a very long name"];
        var svg = SvgCharts.Heatmap(LongTitle, labels, Uniform(labels.Length));
        AssertFits(svg);
        var doc = XDocument.Parse(svg);
        Assert.Equal(1 + labels.Length * labels.Length, doc.Descendants(Svg + "rect").Count());   // background + cells
        Assert.Equal(labels, Role(doc, "label x"));
        Assert.Equal(labels, Role(doc, "label y"));
        Assert.Equal(["predicted class"], Role(doc, "axis x"));
        Assert.Equal(["true class"], Role(doc, "axis y"));
        Assert.Contains("50", Role(doc, "value"));
        // the title is wrapped to the chart's width, not wider than the cells and labels below it
        var title = Role(doc, "title");
        Assert.True(title.Count >= 2, $"title on {title.Count} line(s)");
        Assert.Equal(LongTitle, string.Join(" ", title));
        var (_, _, width, _) = ViewBox(doc);
        Assert.All(title, line => Assert.True(TextMetrics.Width(line, 15) <= width));
    }

    [Fact]
    public void Heatmap_of_two_classes_keeps_a_readable_title()
    {
        var svg = SvgCharts.Heatmap("Recall (%) of each true class", ["a", "b"], new double[,] { { 1, 0 }, { 0.25, 0.75 } });
        AssertFits(svg);
        var doc = XDocument.Parse(svg);
        Assert.Equal(["Recall (%) of each true class"], Role(doc, "title"));
        Assert.Equal(["100", "0", "25", "75"], Role(doc, "value"));
    }

    [Fact]
    public void Bars_have_a_percent_axis_with_ticks_and_widths_proportional_to_values()
    {
        var svg = SvgCharts.Bars("UAR per speaker of a long-named corpus, every speaker in the test split", [("speaker ravdess/17", 50), ("gender female", 100), ("s3", double.NaN)],
            "UAR (%)", max: 100, format: "0.0");
        AssertFits(svg);
        var doc = XDocument.Parse(svg);
        Assert.Equal(["0", "20", "40", "60", "80", "100"], Role(doc, "tick x"));
        Assert.Equal(["UAR (%)"], Role(doc, "axis x"));
        Assert.Equal(["50.0", "100.0", "n/a"], Role(doc, "value"));
        var widths = doc.Descendants(Svg + "rect").Skip(1).Select(r => double.Parse((string)r.Attribute("width")!, Inv)).ToList();
        Assert.Equal([180.0, 360.0], widths);
    }

    [Fact]
    public void Bars_below_zero_extend_the_axis_and_grow_left_of_zero()
    {
        var svg = SvgCharts.Bars("Mean CCC", [("clean", 0.4), ("white-5db", -0.1)], "mean CCC");
        AssertFits(svg);
        var doc = XDocument.Parse(svg);
        Assert.Equal(["-0.2", "0.0", "0.2", "0.4", "0.6", "0.8", "1.0"], Role(doc, "tick x"));
        var bars = doc.Descendants(Svg + "rect").Skip(1).Select(r => (X: double.Parse((string)r.Attribute("x")!, Inv), W: double.Parse((string)r.Attribute("width")!, Inv))).ToList();
        double zero = 360 * 0.2 / 1.2;
        Assert.Equal(zero, bars[0].X, 2);
        Assert.Equal(360 * 0.4 / 1.2, bars[0].W, 2);
        Assert.Equal(zero - 360 * 0.1 / 1.2, bars[1].X, 2);
        Assert.Equal(360 * 0.1 / 1.2, bars[1].W, 2);
    }

    [Fact]
    public void Scatter_has_ticks_on_both_axes_and_a_turned_y_label_inside_the_box()
    {
        var svg = SvgCharts.Scatter("Predicted valence and arousal by true category, every clip of the test split", "valence (0 = negative, 1 = positive)",
            "arousal (0 = calm, 1 = excited)", [(0, 0, "sad"), (1, 1, "angry"), (0.5, 0.5, "surprised"), (0.2, 0.9, "a category with a long name")]);
        AssertFits(svg);
        var doc = XDocument.Parse(svg);
        string[] ticks = ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"];
        Assert.Equal(ticks, Role(doc, "tick x"));
        Assert.Equal(ticks, Role(doc, "tick y"));
        Assert.Equal(["valence (0 = negative, 1 = positive)"], Role(doc, "axis x"));
        var y = doc.Descendants(Svg + "text").Single(t => (string?)t.Attribute("class") == "axis y");
        Assert.Equal("arousal (0 = calm, 1 = excited)", y.Value);
        Assert.StartsWith("rotate(-90 ", (string)y.Attribute("transform")!);
        Assert.Equal(["a category with a long name", "angry", "sad", "surprised"], Role(doc, "legend"));
        // (0, 0) at the bottom-left corner of the 360 px plot, (1, 1) at the top-right
        var points = doc.Descendants(Svg + "circle").Take(2).Select(c => ((string)c.Attribute("cx")!, (string)c.Attribute("cy")!)).ToList();
        Assert.Equal(("0", "360"), points[0]);
        Assert.Equal(("360", "0"), points[1]);
    }

    [Theory]
    [InlineData(0, 1, 0, 1, 0.2)]
    [InlineData(0, 100, 0, 100, 20)]
    [InlineData(-0.05, 1, -0.2, 1, 0.2)]
    [InlineData(0.13, 0.87, 0.1, 0.9, 0.1)]
    [InlineData(3, 3, 3, 4, 0.2)]
    public void Axes_are_widened_to_round_ticks(double lo, double hi, double first, double last, double step)
    {
        var (a, b, ticks) = SvgCharts.NiceAxis(lo, hi);
        Assert.Equal(first, a, 9);
        Assert.Equal(last, b, 9);
        Assert.Equal(first, ticks[0], 9);
        Assert.Equal(last, ticks[^1], 9);
        Assert.All(ticks.Zip(ticks.Skip(1)), p => Assert.Equal(step, p.Second - p.First, 9));
    }
}
