using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sentire.Models.Clap;
using Sentire.Models.Dimensions;

namespace Sentire.Models.Analysis;

/// <summary>
/// The one wire format of a <see cref="FileAnalysis"/>: the object <c>sentire analyze --json</c> prints per file, the
/// record a batch run appends to its results file, and the body <c>POST /v1/analyze</c> answers with. Field names and
/// order are stable (scripts depend on them). A value that is not a finite number (no voiced frame gives no pitch)
/// is written as <c>null</c>: NaN and infinity never reach JSON.
/// </summary>
public static class FileAnalysisJson
{
    /// <summary>Single-line output that keeps non-ASCII labels and captions readable.</summary>
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The status word of the <c>status</c> field.</summary>
    public static string StatusName(AnalysisStatus status) => status switch
    {
        AnalysisStatus.TooShort => "too_short",
        AnalysisStatus.Silent => "silent",
        _ => "ok",
    };

    /// <summary>How <see cref="Write"/> writes: <see cref="Options"/>' encoder, one line.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = Options.Encoder };

    /// <summary>file, duration, status, emotions, [arousal, valence, dominance], [caption], [prosody], [truncated, warning],
    /// [segments]. prosody.articulation_rate is syllables per second of phonation, the measure rate_level is based on.</summary>
    public static JsonObject ToJson(FileAnalysis a, string? caption = null) => Parse(w => Write(w, a, caption));

    /// <summary>The object of <see cref="ToJson"/> written straight to <paramref name="w"/>, segment by segment, never
    /// held as a tree (the timeline of a 10-hour recording has thousands of segments); the writer is flushed after every
    /// 16 KB, so a writer on a stream holds no more.</summary>
    public static void Write(Utf8JsonWriter w, FileAnalysis a, string? caption = null)
    {
        w.WriteStartObject();
        w.WriteString("file", a.File);
        WriteNumber(w, "duration", a.DurationSeconds, 3);
        w.WriteString("status", StatusName(a.Status));
        WriteEmotions(w, a.Overall);
        WriteDimensions(w, a.Dimensions);
        if (caption is not null) w.WriteString("caption", caption);
        if (a.Prosody is { } p && a.ProsodyLevels is { } levels)
        {
            w.WriteStartObject("prosody");
            WriteNumber(w, "pitch_hz", p.F0Hz.P50, 1);
            w.WriteString("pitch_level", Level(levels.Pitch));
            WriteNumber(w, "pitch_variation_semitones", p.F0Semitones.StandardDeviation, 2);
            WriteNumber(w, "loudness_dbfs", p.EnergyDb.P80, 1);
            w.WriteString("loudness_level", Level(levels.Loudness));
            WriteNumber(w, "articulation_rate", p.ArticulationRate, 2);
            w.WriteString("rate_level", Level(levels.Rate));
            w.WriteStartArray("words");
            foreach (var word in levels.Words()) w.WriteStringValue(word);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        if (a.Truncation is { } t)
        {
            w.WriteBoolean("truncated", true);
            w.WriteString("warning", t.Message);
        }
        if (a.Segments.Count > 0)
        {
            w.WriteStartArray("segments");
            foreach (var s in a.Segments)
            {
                WriteSegment(w, s);
                if (w.BytesPending > 16 * 1024) w.Flush();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
        w.Flush();
    }

    /// <summary>One stretch of a timeline (a segment of a long file, a window of a live stream): start, end, emotions,
    /// [arousal, valence, dominance].</summary>
    public static JsonObject Segment(EmotionPrediction s) => Parse(w => WriteSegment(w, s));

    static void WriteSegment(Utf8JsonWriter w, EmotionPrediction s)
    {
        w.WriteStartObject();
        WriteNumber(w, "start", s.StartSeconds, 2);
        WriteNumber(w, "end", s.EndSeconds, 2);
        WriteEmotions(w, s);
        WriteDimensions(w, s.Dimensions);
        w.WriteEndObject();
    }

    /// <summary>What <paramref name="write"/> writes, as a tree (for callers that add fields or embed it).</summary>
    static JsonObject Parse(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions)) write(w);
        return JsonNode.Parse(buffer.WrittenSpan)!.AsObject();
    }

    /// <summary>The status of a file that could not be analysed.</summary>
    public const string ErrorStatus = "error";

    /// <summary>The record of a file that could not be analysed: <c>{"file": ..., "status": "error", "error": ...}</c>.</summary>
    public static JsonObject Error(string file, string error) => new() { ["file"] = file, ["status"] = ErrorStatus, ["error"] = error };

    /// <summary>One line of JSON (no trailing newline).</summary>
    public static string Serialize(JsonObject obj) => obj.ToJsonString(Options);

    static void WriteEmotions(Utf8JsonWriter w, EmotionPrediction? p)
    {
        w.WriteStartArray("emotions");
        foreach (var e in p?.Emotions ?? [])
        {
            w.WriteStartObject();
            w.WriteString("label", e.Label);
            WriteNumber(w, "probability", e.Probability, 4);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>arousal, valence, dominance (each in [0, 1]) when the model has a dimensional head.</summary>
    static void WriteDimensions(Utf8JsonWriter w, EmotionDimensions? d)
    {
        if (d is null) return;
        WriteNumber(w, "arousal", d.Arousal, 3);
        WriteNumber(w, "valence", d.Valence, 3);
        WriteNumber(w, "dominance", d.Dominance, 3);
    }

    /// <summary>"low", "medium", "high"; null when the measure has no value.</summary>
    public static string? Level(Audio.Prosody.ProsodyLevel? level) => level?.ToString().ToLowerInvariant();

    /// <summary>The value rounded to <paramref name="digits"/>, or null when it is not a finite number.</summary>
    static void WriteNumber(Utf8JsonWriter w, string name, double value, int digits)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, Math.Round(value, digits));
        else w.WriteNull(name);
    }
}
