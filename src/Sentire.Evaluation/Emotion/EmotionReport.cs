using System.Globalization;
using System.Text;
using System.Text.Json;
using Sentire.Evaluation.Charts;
using Sentire.Evaluation.Classification;
using Sentire.IO;

namespace Sentire.Evaluation.Emotion;

/// <summary>
/// The evaluation of one model on one set of labelled utterances: the overall confusion matrix (WAR, UAR,
/// macro-F1) and the same per corpus and per gender. Written as report.md (tables), confusion.svg (heat map of
/// the row-normalised matrix) and report.json (every number and count), each file replaced atomically.
/// </summary>
public sealed class EmotionReport
{
    public const string MarkdownFile = "report.md", SvgFile = "confusion.svg", JsonFile = "report.json";

    public EmotionReport(string title, IReadOnlyList<ItemPrediction> predictions, IReadOnlyList<string> labels, int skipped)
    {
        Title = title;
        Labels = labels;
        Skipped = skipped;
        Overall = EmotionEvaluator.Confusion(predictions, labels);
        ByCorpus = EmotionEvaluator.By(predictions, u => u.Corpus, labels);
        ByGender = EmotionEvaluator.By(predictions, EmotionEvaluator.GenderOf, labels);
    }

    public string Title { get; }
    public IReadOnlyList<string> Labels { get; }
    /// <summary>Utterances left out because their label is not in <see cref="Labels"/>.</summary>
    public int Skipped { get; }
    public ConfusionMatrix Overall { get; }
    public IReadOnlyDictionary<string, ConfusionMatrix> ByCorpus { get; }
    public IReadOnlyDictionary<string, ConfusionMatrix> ByGender { get; }

    static string Percent(double v) => double.IsNaN(v) ? "-" : (100 * v).ToString("0.0", CultureInfo.InvariantCulture);

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# {Title}").AppendLine();
        sb.AppendLine($"{Overall.Total} clips, {Labels.Count} labels ({string.Join(", ", Labels)}); {Skipped} clips with other labels left out.").AppendLine();
        sb.AppendLine("| group | clips | WAR % | UAR % | macro-F1 % |").AppendLine("|---|---:|---:|---:|---:|");
        void Row(string name, ConfusionMatrix m) => sb.AppendLine($"| {name} | {m.Total} | {Percent(m.War)} | {Percent(m.Uar)} | {Percent(m.MacroF1)} |");
        Row("**all**", Overall);
        foreach (var (corpus, m) in ByCorpus) Row($"corpus {corpus}", m);
        foreach (var (gender, m) in ByGender) Row($"gender {gender}", m);
        sb.AppendLine().AppendLine("Confusion matrix (rows: true label, columns: prediction):").AppendLine();
        sb.AppendLine("```").Append(Overall.ToTable()).AppendLine("```").AppendLine();
        sb.AppendLine($"![confusion matrix]({SvgFile})");
        return sb.ToString();
    }

    public string ToSvg() => SvgCharts.Heatmap($"{Title}: recall (%) of each true class", Labels, Overall.RowNormalised());

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("title", Title);
            w.WriteStartArray("labels");
            foreach (var l in Labels) w.WriteStringValue(l);
            w.WriteEndArray();
            w.WriteNumber("skipped", Skipped);
            w.WritePropertyName("overall");
            WriteMatrix(w, Overall);
            foreach (var (name, groups) in new[] { ("by_corpus", ByCorpus), ("by_gender", ByGender) })
            {
                w.WriteStartObject(name);
                foreach (var (key, m) in groups) { w.WritePropertyName(key); WriteMatrix(w, m); }
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    static void WriteMatrix(Utf8JsonWriter w, ConfusionMatrix m)
    {
        w.WriteStartObject();
        w.WriteNumber("clips", m.Total);
        foreach (var (key, value) in new[] { ("war", m.War), ("uar", m.Uar), ("macro_f1", m.MacroF1) })
            if (double.IsNaN(value)) w.WriteNull(key); else w.WriteNumber(key, Math.Round(value, 6));
        w.WriteStartArray("confusion");
        foreach (var truth in m.Labels)
        {
            w.WriteStartArray();
            foreach (var predicted in m.Labels) w.WriteNumberValue(m[truth, predicted]);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Writes report.md, confusion.svg and report.json into <paramref name="folder"/> (created if needed).</summary>
    public void WriteTo(string folder)
    {
        WriteText(Path.Combine(folder, SvgFile), ToSvg());
        WriteText(Path.Combine(folder, JsonFile), ToJson());
        WriteText(Path.Combine(folder, MarkdownFile), ToMarkdown());
    }

    /// <summary>UTF-8 text replaced atomically (<see cref="AtomicFile"/>).</summary>
    public static void WriteText(string path, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        AtomicFile.Write(path, s => s.Write(bytes));
    }
}
