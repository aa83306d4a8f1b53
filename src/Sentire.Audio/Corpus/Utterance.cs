namespace Sentire.Audio.Corpus;

/// <summary>Speaker gender as the corpus manifests state it (<c>female</c> / <c>male</c>).</summary>
public enum Gender
{
    Female,
    Male,
}

/// <summary>How strongly emotion is expressed, on BAVED's ordinal scale (low &lt; normal &lt; high; no category).</summary>
public enum ArousalLevel
{
    Low,
    Normal,
    High,
}

/// <summary>One clip of a corpus: a line of its <c>manifest.jsonl</c> (schema in shared/corpora/README.md).
/// Optional fields are null when the manifest leaves the key out (value unknown).</summary>
/// <param name="Id">Unique id <c>&lt;corpus&gt;/&lt;file stem&gt;</c>, e.g. <c>ravdess/03-01-05-02-01-01-12</c>.</param>
/// <param name="AudioPath">Absolute path of the audio file (the manifest's <c>path</c> resolved against the corpus folder).</param>
/// <param name="DurationSeconds">Duration measured from the audio file, in seconds.</param>
/// <param name="Corpus">Corpus folder name, e.g. <c>ravdess</c>.</param>
/// <param name="Language">ISO 639-1 code.</param>
/// <param name="Speaker">Speaker id with corpus prefix, e.g. <c>ravdess/12</c>.</param>
/// <param name="Emotion">Normalised label, one of <see cref="EmotionLabels.Normalised"/>.</param>
/// <param name="EmotionRaw">The corpus's own emotion code.</param>
/// <param name="Intensity">The corpus's own intensity scale (RAVDESS: <c>normal</c>/<c>strong</c>).</param>
/// <param name="Transcript">Spoken text.</param>
/// <param name="Caption">Free-text emotion description.</param>
/// <param name="TextId">Sentence id where the text itself is unknown.</param>
/// <param name="ArousalLevel">Ordinal arousal (BAVED's <c>arousal_level</c>), where the manifest has one.</param>
/// <param name="Arousal">Rated arousal in [0, 1] (MSP-Podcast-style dimensional labels), where the manifest has one.</param>
/// <param name="Valence">Rated valence in [0, 1].</param>
/// <param name="Dominance">Rated dominance in [0, 1].</param>
public sealed record Utterance(
    string Id,
    string AudioPath,
    double DurationSeconds,
    string Corpus,
    string Language,
    string? Speaker = null,
    Gender? Gender = null,
    string? Emotion = null,
    string? EmotionRaw = null,
    string? Intensity = null,
    string? Transcript = null,
    string? Caption = null,
    string? TextId = null,
    ArousalLevel? ArousalLevel = null,
    double? Arousal = null,
    double? Valence = null,
    double? Dominance = null);

/// <summary>The normalised emotion vocabulary of the manifests.</summary>
public static class EmotionLabels
{
    public static IReadOnlyList<string> Normalised { get; } =
        ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised", "bored"];
}
