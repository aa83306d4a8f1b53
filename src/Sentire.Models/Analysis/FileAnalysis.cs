using Sentire.Audio.Decoding;
using Sentire.Audio.Prosody;
using Sentire.Models.Dimensions;

namespace Sentire.Models.Analysis;

// What every emotion model (Emo-CLAP, the student, the published families) reports, in one place that no family owns.

/// <summary>One label's probability.</summary>
public sealed record EmotionScore(string Label, double Probability);

/// <summary>Emotion probabilities of one stretch of audio, most probable first, and its arousal/valence/dominance when
/// the model has a dimensional head.</summary>
public sealed record EmotionPrediction(double StartSeconds, double EndSeconds, IReadOnlyList<EmotionScore> Emotions, EmotionDimensions? Dimensions = null)
{
    public EmotionScore Top => Emotions[0];
}

/// <summary>Why a file got no emotion: too short or silent audio is reported, never given a confident label.</summary>
public enum AnalysisStatus { Ok, TooShort, Silent }

/// <summary>The analysis of one audio file: overall prediction, a timeline of segments for long recordings, and the
/// prosody of the whole file (numbers and plain-language levels relative to the development corpora).</summary>
/// <param name="Truncation">set when the file's header claims more audio than it holds; what is there was analysed.</param>
public sealed record FileAnalysis(string File, double DurationSeconds, AnalysisStatus Status, EmotionPrediction? Overall,
    IReadOnlyList<EmotionPrediction> Segments, ProsodySummary? Prosody = null, ProsodyLevels? ProsodyLevels = null, Truncation? Truncation = null)
{
    /// <summary>Arousal, valence and dominance of the whole file (null without a dimensional head or an overall prediction).</summary>
    public EmotionDimensions? Dimensions => Overall?.Dimensions;

    /// <summary>What was odd about a file that could still be analysed (a truncated file), or null.</summary>
    public string? Warning => Truncation?.Message;
}
