using System.Xml.Linq;
using Sentire.Evaluation.Charts;

namespace Sentire.Evaluation.Tests;

public sealed class SvgChartsTests
{
    static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void HeatmapHasOneCellPerPairAndEscapesLabels()
    {
        var doc = XDocument.Parse(SvgCharts.Heatmap("cm", ["a<b", "c"], new double[,] { { 1, 0 }, { 0.25, 0.75 } }));
        Assert.Equal(1 + 4, doc.Descendants(Svg + "rect").Count());   // background + 4 cells
        var texts = doc.Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("a<b", texts);
        Assert.Contains("75", texts);
        Assert.Contains("25", texts);
    }

    [Fact]
    public void BarWidthsAreProportionalToValues()
    {
        var doc = XDocument.Parse(SvgCharts.Bars("uar", [("s1", 0.5), ("s2", 1.0)]));
        var widths = doc.Descendants(Svg + "rect").Skip(1).Select(r => double.Parse((string)r.Attribute("width")!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal([180.0, 360.0], widths);
    }

    [Fact]
    public void ScatterPlacesPointsInsideThePlot()
    {
        var doc = XDocument.Parse(SvgCharts.Scatter("av", "valence", "arousal", [(0, 0, "sad"), (1, 1, "angry")]));
        var points = doc.Descendants(Svg + "circle").Take(2).Select(c => ((string)c.Attribute("cx")!, (string)c.Attribute("cy")!)).ToList();
        Assert.Equal(("60", "410"), points[0]);   // (0,0) at the bottom-left corner
        Assert.Equal(("420", "50"), points[1]);   // (1,1) at the top-right corner
    }
}
