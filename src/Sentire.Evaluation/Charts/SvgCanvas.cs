using System.Globalization;
using System.Security;
using System.Text;

namespace Sentire.Evaluation.Charts;

/// <summary>Where a text's x coordinate sits on it (SVG <c>text-anchor</c>).</summary>
enum Anchor { Start, Middle, End }

/// <summary>
/// An SVG drawing that measures what it draws: every shape and every text (its estimated box from
/// <see cref="TextMetrics"/>, rotation included) widens the drawing's bounds, and <see cref="Finish"/> sets the viewBox
/// to those bounds plus a margin. Charts lay out in their own coordinates (negative ones included) and cannot clip.
/// </summary>
sealed class SvgCanvas
{
    const double Margin = 8, TitleSize = 15, TitleGap = 12, MinTitleWidth = 320;
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    readonly StringBuilder body = new();
    double left = double.PositiveInfinity, top = double.PositiveInfinity, right = double.NegativeInfinity, bottom = double.NegativeInfinity;

    /// <summary>Bounds of everything drawn so far.</summary>
    public (double Left, double Top, double Right, double Bottom) Bounds => (left, top, right, bottom);

    public void Rect(double x, double y, double width, double height, string fill, string? stroke = null)
    {
        Include(x, y);
        Include(x + width, y + height);
        body.Append(Inv, $"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(width)}\" height=\"{N(height)}\" fill=\"{fill}\"{(stroke is null ? "" : $" stroke=\"{stroke}\"")}/>");
    }

    public void Line(double x1, double y1, double x2, double y2, string stroke)
    {
        Include(x1, y1);
        Include(x2, y2);
        body.Append(Inv, $"<line x1=\"{N(x1)}\" y1=\"{N(y1)}\" x2=\"{N(x2)}\" y2=\"{N(y2)}\" stroke=\"{stroke}\"/>");
    }

    public void Circle(double cx, double cy, double r, string fill, double opacity = 1)
    {
        Include(cx - r, cy - r);
        Include(cx + r, cy + r);
        body.Append(Inv, $"<circle cx=\"{N(cx)}\" cy=\"{N(cy)}\" r=\"{N(r)}\" fill=\"{fill}\"{(opacity < 1 ? $" fill-opacity=\"{N(opacity)}\"" : "")}/>");
    }

    /// <summary>A text with its baseline at <paramref name="y"/>, turned by <paramref name="rotate"/> degrees (clockwise
    /// positive, as SVG) about (x, y); <paramref name="role"/> becomes its class (title, tick x, label y, ...).</summary>
    public void Text(double x, double y, string text, Anchor anchor, string role, double size = 12, string fill = "#000", double rotate = 0)
    {
        var (l, t, r, b) = Box(x, y, text, anchor, size, rotate);
        Include(l, t);
        Include(r, b);
        string anchorName = anchor switch { Anchor.Start => "start", Anchor.Middle => "middle", _ => "end" };
        body.Append(Inv, $"<text class=\"{role}\" x=\"{N(x)}\" y=\"{N(y)}\" text-anchor=\"{anchorName}\" font-size=\"{N(size)}\" fill=\"{fill}\"");
        if (rotate != 0) body.Append(Inv, $" transform=\"rotate({N(rotate)} {N(x)} {N(y)})\"");
        body.Append('>').Append(SecurityElement.Escape(text)).Append("</text>");
    }

    /// <summary>The axis-aligned box around a text as <see cref="Text"/> would draw it.</summary>
    public static (double Left, double Top, double Right, double Bottom) Box(double x, double y, string text, Anchor anchor, double size = 12, double rotate = 0)
    {
        double w = TextMetrics.Width(text, size);
        double x0 = x - anchor switch { Anchor.Start => 0, Anchor.Middle => w / 2, _ => w };
        double y0 = y - TextMetrics.Ascent * size, y1 = y + TextMetrics.Descent * size;
        double a = rotate * Math.PI / 180, cos = Math.Cos(a), sin = Math.Sin(a);
        double l = double.PositiveInfinity, t = double.PositiveInfinity, r = double.NegativeInfinity, b = double.NegativeInfinity;
        foreach (var (cx, cy) in new[] { (x0, y0), (x0 + w, y0), (x0 + w, y1), (x0, y1) })
        {
            // SVG rotate(a x y): turn about (x, y)
            double px = x + (cx - x) * cos - (cy - y) * sin, py = y + (cx - x) * sin + (cy - y) * cos;
            (l, t, r, b) = (Math.Min(l, px), Math.Min(t, py), Math.Max(r, px), Math.Max(b, py));
        }
        return (l, t, r, b);
    }

    /// <summary>Puts <paramref name="title"/> above the drawing (wrapped at word breaks to the drawing's width, or
    /// <see cref="MinTitleWidth"/> when narrower) and returns the SVG document, its viewBox the bounds plus a margin.</summary>
    public string Finish(string title)
    {
        if (double.IsInfinity(left)) (left, top, right, bottom) = (0, 0, 0, 0);
        var lines = Wrap(title, TitleSize, Math.Max(right - left, MinTitleWidth));
        double centre = (left + right) / 2, lineHeight = 1.25 * TitleSize;
        double lastBaseline = top - TitleGap - TextMetrics.Descent * TitleSize;
        for (int i = 0; i < lines.Count; i++)
            Text(centre, lastBaseline - (lines.Count - 1 - i) * lineHeight, lines[i], Anchor.Middle, "title", TitleSize);

        double x = Math.Floor(left - Margin), y = Math.Floor(top - Margin);
        double width = Math.Ceiling(right + Margin) - x, height = Math.Ceiling(bottom + Margin) - y;
        return string.Create(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(width)}\" height=\"{N(height)}\" viewBox=\"{N(x)} {N(y)} {N(width)} {N(height)}\" font-family=\"{TextMetrics.FontFamily}\" font-size=\"12\">") +
            string.Create(Inv, $"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(width)}\" height=\"{N(height)}\" fill=\"#fff\"/>") + body + "</svg>";
    }

    /// <summary>Greedy word wrap: lines no wider than <paramref name="width"/>, except a single word wider than that.</summary>
    internal static List<string> Wrap(string text, double size, double width)
    {
        var lines = new List<string>();
        var line = "";
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var longer = line.Length == 0 ? word : line + " " + word;
            if (line.Length > 0 && TextMetrics.Width(longer, size) > width) { lines.Add(line); line = word; }
            else line = longer;
        }
        if (line.Length > 0 || lines.Count == 0) lines.Add(line);
        return lines;
    }

    void Include(double x, double y)
    {
        (left, right) = (Math.Min(left, x), Math.Max(right, x));
        (top, bottom) = (Math.Min(top, y), Math.Max(bottom, y));
    }

    static string N(double v) => v.ToString("0.##", Inv);
}
