using System.Globalization;
using Sentire.Models.Clap;

namespace Sentire.Models.Analysis;

/// <summary>
/// The CSV form of a <see cref="FileAnalysis"/> (<c>sentire analyze --csv</c>): one row per label of the overall
/// prediction and of each segment, one row with empty label columns for a file with no emotion (status
/// <c>too_short</c> or <c>silent</c>) and one for a file that could not be read (status <c>error</c>, the message in
/// <c>error</c>). <c>warning</c> says what was odd about a file that was analysed (a truncated WAV). Fields are quoted
/// as RFC 4180 asks (a field holding a comma, a quote or a line break is put in quotes, its quotes doubled); a number
/// that is not finite is left empty, never written as NaN.
/// </summary>
public static class FileAnalysisCsv
{
    /// <summary>The columns, in order; scripts depend on them (new columns are only ever appended).</summary>
    public const string Header = "file,duration,status,start,end,label,probability,arousal,valence,dominance,error,warning";

    public static IEnumerable<string> Rows(FileAnalysis a)
    {
        string status = FileAnalysisJson.StatusName(a.Status), warning = Field(a.Warning ?? "");
        string head = $"{Field(a.File)},{Number(a.DurationSeconds, "F3")},{status}";
        if (a.Overall is null)
        {
            yield return $"{head},,,,,,,,,{warning}";
            yield break;
        }
        foreach (var p in new[] { a.Overall }.Concat(a.Segments))
        {
            var avd = p.Dimensions is { } d ? $"{Number(d.Arousal, "F3")},{Number(d.Valence, "F3")},{Number(d.Dominance, "F3")}" : ",,";
            foreach (var e in p.Emotions)
                yield return $"{head},{Number(p.StartSeconds, "F2")},{Number(p.EndSeconds, "F2")},{Field(e.Label)},{Number(e.Probability, "F4")},{avd},,{warning}";
        }
    }

    /// <summary>The row of a file that could not be analysed.</summary>
    public static string ErrorRow(string file, string error) => $"{Field(file)},,{FileAnalysisJson.ErrorStatus},,,,,,,,{Field(error)},";

    /// <summary>RFC 4180: a field with a comma, quote, CR or LF is enclosed in quotes and its quotes doubled.</summary>
    public static string Field(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;

    static string Number(double value, string format) => double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "";
}
