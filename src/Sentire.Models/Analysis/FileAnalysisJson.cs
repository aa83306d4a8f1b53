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

    /// <summary>file, duration, status, emotions, [arousal, valence, dominance], [caption], [prosody], [truncated, warning],
    /// [segments]. prosody.articulation_rate is syllables per second of phonation, the measure rate_level is based on.</summary>
    public static JsonObject ToJson(FileAnalysis a, string? caption = null)
    {
        var obj = new JsonObject
        {
            ["file"] = a.File,
            ["duration"] = Number(a.DurationSeconds, 3),
            ["status"] = StatusName(a.Status),
            ["emotions"] = Emotions(a.Overall),
        };
        AddDimensions(obj, a.Dimensions);
        if (caption is not null) obj["caption"] = caption;
        if (a.Prosody is { } p && a.ProsodyLevels is { } levels)
        {
            obj["prosody"] = new JsonObject
            {
                ["pitch_hz"] = Number(p.F0Hz.P50, 1),
                ["pitch_level"] = Level(levels.Pitch),
                ["pitch_variation_semitones"] = Number(p.F0Semitones.StandardDeviation, 2),
                ["loudness_dbfs"] = Number(p.EnergyDb.P80, 1),
                ["loudness_level"] = Level(levels.Loudness),
                ["articulation_rate"] = Number(p.ArticulationRate, 2),
                ["rate_level"] = Level(levels.Rate),
                ["words"] = new JsonArray([.. levels.Words().Select(w => (JsonNode?)JsonValue.Create(w))]),
            };
        }
        if (a.Truncation is { } t)
        {
            obj["truncated"] = true;
            obj["warning"] = t.Message;
        }
        if (a.Segments.Count > 0)
        {
            var segments = new JsonArray();
            foreach (var s in a.Segments) segments.Add(Segment(s));
            obj["segments"] = segments;
        }
        return obj;
    }

    /// <summary>One stretch of a timeline (a segment of a long file, a window of a live stream): start, end, emotions,
    /// [arousal, valence, dominance].</summary>
    public static JsonObject Segment(EmotionPrediction s)
    {
        var segment = new JsonObject
        {
            ["start"] = Number(s.StartSeconds, 2),
            ["end"] = Number(s.EndSeconds, 2),
            ["emotions"] = Emotions(s),
        };
        AddDimensions(segment, s.Dimensions);
        return segment;
    }

    /// <summary>The status of a file that could not be analysed.</summary>
    public const string ErrorStatus = "error";

    /// <summary>The record of a file that could not be analysed: <c>{"file": ..., "status": "error", "error": ...}</c>.</summary>
    public static JsonObject Error(string file, string error) => new() { ["file"] = file, ["status"] = ErrorStatus, ["error"] = error };

    /// <summary>One line of JSON (no trailing newline).</summary>
    public static string Serialize(JsonObject obj) => obj.ToJsonString(Options);

    static JsonArray Emotions(EmotionPrediction? p)
    {
        var list = new JsonArray();
        if (p is null) return list;
        foreach (var e in p.Emotions) list.Add(new JsonObject { ["label"] = e.Label, ["probability"] = Number(e.Probability, 4) });
        return list;
    }

    /// <summary>arousal, valence, dominance (each in [0, 1]) when the model has a dimensional head.</summary>
    static void AddDimensions(JsonObject obj, EmotionDimensions? d)
    {
        if (d is null) return;
        obj["arousal"] = Number(d.Arousal, 3);
        obj["valence"] = Number(d.Valence, 3);
        obj["dominance"] = Number(d.Dominance, 3);
    }

    /// <summary>"low", "medium", "high"; null when the measure has no value.</summary>
    public static string? Level(Audio.Prosody.ProsodyLevel? level) => level?.ToString().ToLowerInvariant();

    /// <summary>The value rounded to <paramref name="digits"/>, or null when it is not a finite number.</summary>
    static JsonNode? Number(double value, int digits) => double.IsFinite(value) ? JsonValue.Create(Math.Round(value, digits)) : null;
}
