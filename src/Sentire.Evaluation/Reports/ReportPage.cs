using System.Globalization;
using System.Net;
using System.Text;
using Sentire.Evaluation.Charts;
using Sentire.Evaluation.Emotion;
using Sentire.Models.Dimensions;

namespace Sentire.Evaluation.Reports;

/// <summary>
/// Renders a <see cref="ModelReport"/> as one Markdown page (report.md, charts as SVG files beside it) and one
/// self-contained HTML page (report.html, the same charts inline). Both come from one list of blocks, so they
/// always say the same thing. Every file is replaced atomically.
/// </summary>
public sealed class ReportPage
{
    public const string MarkdownFile = "report.md", HtmlFile = "report.html";

    abstract record Block;
    sealed record Heading(int Level, string Text) : Block;
    sealed record Paragraph(string Text) : Block;
    sealed record Table(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows) : Block;
    sealed record Chart(string File, string Alt, string Svg) : Block;

    readonly List<Block> blocks = [];
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public ReportPage(ModelReport report, string targetsNote)
    {
        var clean = report.Conditions[0].Scores;
        var dims = EmotionDimensions.Names;
        blocks.Add(new Heading(1, $"{report.ModelName}: evaluation report"));
        blocks.Add(new Paragraph($"Test set: {report.TestSet}, {clean.Confusion.Total} clips ({report.Skipped} with labels outside the model's were left out); " +
            $"labels: {string.Join(", ", report.Labels)}. Perturbation seed {report.Seed}. " +
            (report.HasDimensions ? targetsNote : "The model has no arousal/valence/dominance head, so CCC is not reported.")));

        blocks.Add(new Heading(2, "Summary (clean)"));
        var summary = new List<IReadOnlyList<string>> { new[] { "UAR %", Pct(clean.Uar) }, new[] { "WAR %", Pct(clean.Confusion.War) }, new[] { "macro-F1 %", Pct(clean.Confusion.MacroF1) } };
        if (report.HasDimensions)
            for (int k = 0; k < dims.Count; k++)
                summary.Add([$"{dims[k]}: CCC / Pearson r / MAE", $"{F(clean.Dimensions[k].Ccc)} / {F(clean.Dimensions[k].Pearson)} / {F(clean.Dimensions[k].Mae)}"]);
        blocks.Add(new Table(["metric", "value"], summary));
        blocks.Add(new Chart("confusion.svg", "confusion matrix", SvgCharts.Heatmap("Recall (%) of each true class", report.Labels, clean.Confusion.RowNormalised())));
        if (report.HasDimensions)
        {
            var points = report.Clean.Where(p => p.Prediction.Dimensions is not null && p.Utterance.Emotion is not null)
                .Select(p => (p.Prediction.Dimensions!.Valence, p.Prediction.Dimensions.Arousal, p.Utterance.Emotion!)).ToList();
            blocks.Add(new Chart("arousal-valence.svg", "predicted arousal against valence, coloured by true category",
                SvgCharts.Scatter("Predicted valence and arousal by true category", "valence (0 = negative, 1 = positive)", "arousal (0 = calm, 1 = excited)", points)));
        }

        blocks.Add(new Heading(2, "Robustness"));
        blocks.Add(new Paragraph("The same clips under each perturbation (src/Sentire.Audio/Perturbations: white and babble noise at a fixed SNR, " +
            "gain, 8th-order Butterworth low-pass, resampling round trip, synthetic-RIR reverberation, hard clipping below the clip's peak); " +
            "delta = perturbed minus clean."));
        var robustHeader = new List<string> { "condition", "UAR %", "delta UAR" };
        if (report.HasDimensions) foreach (var d in dims) robustHeader.AddRange([$"CCC {d}", "delta"]);
        blocks.Add(new Table(robustHeader, report.Conditions.Select(c =>
        {
            var row = new List<string> { c.Condition, Pct(c.Scores.Uar), c.Condition == "clean" ? "" : PctDelta(c.DeltaUar) };
            if (report.HasDimensions)
                for (int k = 0; k < dims.Count; k++) row.AddRange([F(c.Scores.Dimensions[k].Ccc), c.Condition == "clean" ? "" : Delta(c.DeltaCcc[k])]);
            return (IReadOnlyList<string>)row;
        }).ToList()));
        blocks.Add(new Chart("robustness-uar.svg", "UAR per condition", SvgCharts.Bars("UAR per condition", report.Conditions.Select(c => (c.Condition, 100 * c.Scores.Uar)).ToList(), "UAR (%)", max: 100, format: "0.0")));
        if (report.HasDimensions)
            blocks.Add(new Chart("robustness-ccc.svg", "mean CCC per condition", SvgCharts.Bars("Mean CCC (arousal, valence, dominance) per condition", report.Conditions.Select(c => (c.Condition, c.Scores.MeanCcc)).ToList(), "mean CCC (1 = perfect agreement)")));

        blocks.Add(new Heading(2, "Fairness"));
        var (spread, worst, best) = report.SpeakerSpread();
        blocks.Add(new Paragraph(string.Create(Inv, $"Per-speaker UAR ranges from {Pct(worst.Scores.Uar)} % (worst: {worst.Group}) to {Pct(best.Scores.Uar)} % ({best.Group}), a spread of {100 * spread:0.0} points. ") +
            "Per-speaker numbers rest on few clips per class and are noisy."));
        var groupHeader = new List<string> { "group", "clips", "UAR %" };
        if (report.HasDimensions) groupHeader.AddRange(dims.Select(d => $"CCC {d}"));
        blocks.Add(new Table(groupHeader, report.Groups.Select(g =>
        {
            var row = new List<string> { $"{g.Kind} {g.Group}", g.Clips.ToString(Inv), Pct(g.Scores.Uar) };
            if (report.HasDimensions) row.AddRange(g.Scores.Dimensions.Select(d => F(d.Ccc)));
            return (IReadOnlyList<string>)row;
        }).ToList()));
        blocks.Add(new Chart("speakers-uar.svg", "UAR per speaker", SvgCharts.Bars("UAR per speaker", report.Groups.Where(g => g.Kind is "speaker" or "gender")
            .Select(g => ($"{g.Kind} {g.Group}", 100 * g.Scores.Uar)).ToList(), "UAR (%)", max: 100, format: "0.0")));

        blocks.Add(new Heading(2, "Confusion matrix (counts)"));
        blocks.Add(new Paragraph("```\n" + clean.Confusion.ToTable().TrimEnd() + "\n```"));
    }

    static string Pct(double v) => double.IsNaN(v) ? "-" : (100 * v).ToString("0.0", Inv);
    static string PctDelta(double v) => double.IsNaN(v) ? "-" : (100 * v).ToString("+0.0;-0.0;0.0", Inv);
    static string F(double v) => double.IsNaN(v) ? "-" : v.ToString("0.000", Inv);
    static string Delta(double v) => double.IsNaN(v) ? "-" : v.ToString("+0.000;-0.000;0.000", Inv);

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        foreach (var block in blocks)
        {
            switch (block)
            {
                case Heading h: sb.Append('#', h.Level).Append(' ').AppendLine(h.Text); break;
                case Paragraph p: sb.AppendLine(p.Text); break;
                case Table t:
                    sb.AppendLine("| " + string.Join(" | ", t.Header) + " |");
                    sb.AppendLine("|" + string.Concat(t.Header.Select((_, i) => i == 0 ? "---|" : "---:|")));
                    foreach (var row in t.Rows) sb.AppendLine("| " + string.Join(" | ", row) + " |");
                    break;
                case Chart c: sb.AppendLine($"![{c.Alt}]({c.File})"); break;
            }
            sb.AppendLine();
        }
        return sb.ToString();
    }

    public string ToHtml()
    {
        var sb = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        sb.Append("<title>").Append(WebUtility.HtmlEncode(blocks.OfType<Heading>().First().Text)).Append("</title>");
        sb.Append("<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}table{border-collapse:collapse;margin:1em 0}" +
            "td,th{border:1px solid #ccc;padding:.2em .6em}td:not(:first-child){text-align:right}pre{background:#f6f6f6;padding:.5em;overflow-x:auto}" +
            // charts shrink to the page on a phone (their viewBox keeps the proportions); wide tables scroll instead
            "figure{margin:1em 0}figure svg{max-width:100%;height:auto}.table{overflow-x:auto}</style></head><body>\n");
        foreach (var block in blocks)
        {
            switch (block)
            {
                case Heading h: sb.Append(Inv, $"<h{h.Level}>{WebUtility.HtmlEncode(h.Text)}</h{h.Level}>\n"); break;
                case Paragraph p when p.Text.StartsWith("```", StringComparison.Ordinal):
                    sb.Append("<pre>").Append(WebUtility.HtmlEncode(p.Text.Trim('`', '\n'))).Append("</pre>\n"); break;
                case Paragraph p: sb.Append("<p>").Append(WebUtility.HtmlEncode(p.Text)).Append("</p>\n"); break;
                case Table t:
                    sb.Append("<div class=\"table\"><table><tr>").Append(string.Concat(t.Header.Select(x => $"<th>{WebUtility.HtmlEncode(x)}</th>"))).Append("</tr>\n");
                    foreach (var row in t.Rows) sb.Append("<tr>").Append(string.Concat(row.Select(x => $"<td>{WebUtility.HtmlEncode(x)}</td>"))).Append("</tr>\n");
                    sb.Append("</table></div>\n");
                    break;
                case Chart c: sb.Append("<figure>").Append(c.Svg).Append("<figcaption>").Append(WebUtility.HtmlEncode(c.Alt)).Append("</figcaption></figure>\n"); break;
            }
        }
        return sb.Append("</body></html>\n").ToString();
    }

    /// <summary>The SVG charts by file name.</summary>
    public IReadOnlyDictionary<string, string> Charts => blocks.OfType<Chart>().ToDictionary(c => c.File, c => c.Svg);

    /// <summary>Writes the charts, report.md and report.html into <paramref name="folder"/>, each atomically (the pages last).</summary>
    public void WriteTo(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var (file, svg) in Charts) EmotionReport.WriteText(Path.Combine(folder, file), svg);
        EmotionReport.WriteText(Path.Combine(folder, MarkdownFile), ToMarkdown());
        EmotionReport.WriteText(Path.Combine(folder, HtmlFile), ToHtml());
    }
}
