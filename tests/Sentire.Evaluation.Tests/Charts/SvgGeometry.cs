using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Sentire.Evaluation.Charts;

namespace Sentire.Evaluation.Tests.Charts;

/// <summary>
/// Reads a chart back from its SVG text and estimates where each text element's glyphs lie: the advance widths of
/// <see cref="TextMetrics"/>, the font's ascent and descent, text-anchor, and the element's rotate() transform. Written
/// apart from the charts' layout code, from the SVG attributes alone, so a chart that places text wrongly is caught.
/// </summary>
static partial class SvgGeometry
{
    public static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>A text element: its content, class and the four corners of its (possibly turned) box.</summary>
    public sealed record TextBox(string Text, string Role, (double X, double Y)[] Corners)
    {
        public override string ToString() =>
            $"'{Text}' ({Role}) x {Corners.Min(c => c.X):0.#}..{Corners.Max(c => c.X):0.#}, y {Corners.Min(c => c.Y):0.#}..{Corners.Max(c => c.Y):0.#}";
    }

    public static (double X, double Y, double Width, double Height) ViewBox(XDocument doc)
    {
        var v = ((string)doc.Root!.Attribute("viewBox")!).Split(' ').Select(s => double.Parse(s, Inv)).ToArray();
        return (v[0], v[1], v[2], v[3]);
    }

    public static List<TextBox> Texts(XDocument doc)
    {
        double rootSize = doc.Root!.Attribute("font-size") is { } s ? double.Parse((string)s, Inv) : 16;
        var boxes = new List<TextBox>();
        foreach (var t in doc.Descendants(Svg + "text"))
        {
            double x = D(t, "x"), y = D(t, "y");
            double size = t.Attribute("font-size") is { } fs ? double.Parse((string)fs, Inv) : rootSize;
            double w = TextMetrics.Width(t.Value, size);
            double x0 = ((string?)t.Attribute("text-anchor") ?? "start") switch { "middle" => x - w / 2, "end" => x - w, _ => x };
            double top = y - TextMetrics.Ascent * size, bottom = y + TextMetrics.Descent * size;
            (double X, double Y)[] corners = [(x0, top), (x0 + w, top), (x0 + w, bottom), (x0, bottom)];
            if ((string?)t.Attribute("transform") is { } transform)
            {
                var m = Rotate().Match(transform);
                Assert.True(m.Success, $"unexpected transform '{transform}' on '{t.Value}'");
                double a = double.Parse(m.Groups[1].Value, Inv) * Math.PI / 180;
                double cx = double.Parse(m.Groups[2].Value, Inv), cy = double.Parse(m.Groups[3].Value, Inv);
                corners = corners.Select(c => (cx + (c.X - cx) * Math.Cos(a) - (c.Y - cy) * Math.Sin(a), cy + (c.X - cx) * Math.Sin(a) + (c.Y - cy) * Math.Cos(a))).ToArray();
            }
            boxes.Add(new TextBox(t.Value, (string?)t.Attribute("class") ?? "", corners));
        }
        return boxes;
    }

    /// <summary>Every text lies inside the viewBox, no two texts overlap, and no text but a cell's value overlaps a
    /// filled shape (a heat-map cell, a bar), which would hide it.</summary>
    public static void AssertFits(string svg)
    {
        var doc = XDocument.Parse(svg);
        var (vx, vy, vw, vh) = ViewBox(doc);
        Assert.Equal(vw, D(doc.Root!, "width"));
        Assert.Equal(vh, D(doc.Root!, "height"));
        var texts = Texts(doc);
        foreach (var t in texts)
            Assert.True(t.Corners.All(c => c.X >= vx && c.X <= vx + vw && c.Y >= vy && c.Y <= vy + vh),
                $"{t} is not inside the viewBox x {vx}..{vx + vw}, y {vy}..{vy + vh}");
        for (int i = 0; i < texts.Count; i++)
            for (int j = i + 1; j < texts.Count; j++)
                Assert.False(Overlap(texts[i].Corners, texts[j].Corners), $"{texts[i]} overlaps {texts[j]}");
        var shapes = doc.Root!.Elements(Svg + "rect").Skip(1).Where(r => (string?)r.Attribute("fill") != "none")
            .Select(r => (D(r, "x"), D(r, "y"), D(r, "width"), D(r, "height"))).ToList();
        foreach (var t in texts.Where(t => t.Role != "value"))
            foreach (var (x, y, w, h) in shapes)
                Assert.False(Overlap(t.Corners, [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]), $"{t} overlaps the shape at x {x}..{x + w}, y {y}..{y + h}");
    }

    /// <summary>Separating-axis test for two convex quadrilaterals (touching edges do not count).</summary>
    public static bool Overlap((double X, double Y)[] a, (double X, double Y)[] b)
    {
        foreach (var poly in new[] { a, b })
            for (int i = 0; i < poly.Length; i++)
            {
                var (p, q) = (poly[i], poly[(i + 1) % poly.Length]);
                double nx = q.Y - p.Y, ny = p.X - q.X;
                double aMin = a.Min(c => c.X * nx + c.Y * ny), aMax = a.Max(c => c.X * nx + c.Y * ny);
                double bMin = b.Min(c => c.X * nx + c.Y * ny), bMax = b.Max(c => c.X * nx + c.Y * ny);
                if (aMax <= bMin + 1e-6 || bMax <= aMin + 1e-6) return false;
            }
        return true;
    }

    static double D(XElement e, string name) => double.Parse((string)e.Attribute(name)!, Inv);

    [GeneratedRegex(@"^rotate\((-?[\d.]+) (-?[\d.]+) (-?[\d.]+)\)$")]
    private static partial Regex Rotate();
}
