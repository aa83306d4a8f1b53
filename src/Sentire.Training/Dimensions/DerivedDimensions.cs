using Sentire.Audio.Corpus;
using Sentire.Models.Dimensions;

namespace Sentire.Training.Dimensions;

/// <summary>
/// Derived targets: weak arousal/valence/dominance labels for corpora that only have emotion categories.
/// 1) Each category gets a published pleasure-arousal-dominance placement on [-1, 1]: Russell &amp; Mehrabian (1977),
///    "Evidence for a three-factor theory of emotions", J. Research in Personality 11, 273-294, Table of 151 emotion
///    terms, as reproduced in the affective-computing literature (e.g. Gebhard 2005, ALMA). Pleasure is read as
///    valence. "calm" uses the term "relaxed"; "fearful" "afraid"; "disgust" "disgusted"; "neutral" is the origin
///    (no term in the table: neither pleasant nor unpleasant, aroused nor sleepy, dominant nor submissive).
/// 2) A portrayal is weaker than the adjective's prototype, so the placement is shrunk toward the middle by an
///    intensity factor k: <see cref="StrongFactor"/> for RAVDESS <c>strong</c>, <see cref="NormalFactor"/> for
///    <c>normal</c> and for corpora without an intensity field.
/// 3) Mapped to [0, 1]: d = 0.5 + 0.5 k x, so neutral is 0.5 on every dimension.
/// 4) A manifest's own <c>arousal</c>/<c>valence</c>/<c>dominance</c> numbers replace the derived value of that
///    dimension (rated targets win).
/// Derived targets carry no within-category variation beyond intensity: a model trained on them learns where a
/// category lies, and CCC against them measures agreement with that placement, not with human ratings.
/// </summary>
public static class DerivedDimensions
{
    /// <summary>k for RAVDESS strong intensity and for normal or unknown intensity: strong moves 1.5 times as far from the middle.</summary>
    public const double StrongFactor = 0.9, NormalFactor = 0.6;

    /// <summary>(pleasure = valence, arousal, dominance) on [-1, 1] per normalised category, Russell &amp; Mehrabian (1977).</summary>
    public static IReadOnlyDictionary<string, (double Valence, double Arousal, double Dominance)> Placement { get; } =
        new Dictionary<string, (double, double, double)>(StringComparer.Ordinal)
        {
            ["neutral"] = (0.00, 0.00, 0.00),
            ["calm"] = (0.68, -0.46, 0.06),       // "relaxed"
            ["happy"] = (0.81, 0.51, 0.46),
            ["sad"] = (-0.63, -0.27, -0.33),
            ["angry"] = (-0.51, 0.59, 0.25),
            ["fearful"] = (-0.64, 0.60, -0.43),   // "afraid"
            ["disgust"] = (-0.60, 0.35, 0.11),    // "disgusted"
            ["surprised"] = (0.40, 0.67, -0.13),
            ["bored"] = (-0.65, -0.62, -0.33),
        };

    /// <summary>The intensity factor k of an utterance.</summary>
    public static double IntensityFactor(Utterance utterance, double normalFactor = NormalFactor, double strongFactor = StrongFactor) =>
        string.Equals(utterance.Intensity, "strong", StringComparison.Ordinal) ? strongFactor : normalFactor;

    /// <summary>Targets of one utterance in [0, 1], or null when it has neither a known category nor all three ratings.</summary>
    public static EmotionDimensions? For(Utterance utterance, double normalFactor = NormalFactor, double strongFactor = StrongFactor)
    {
        EmotionDimensions? derived = null;
        if (utterance.Emotion is { } emotion && Placement.TryGetValue(emotion, out var p))
        {
            double k = IntensityFactor(utterance, normalFactor, strongFactor);
            derived = new EmotionDimensions(Map(p.Arousal, k), Map(p.Valence, k), Map(p.Dominance, k));
        }
        if (derived is null)
            return utterance is { Arousal: { } a, Valence: { } v, Dominance: { } d } ? new EmotionDimensions(a, v, d) : null;
        return new EmotionDimensions(utterance.Arousal ?? derived.Arousal, utterance.Valence ?? derived.Valence, utterance.Dominance ?? derived.Dominance);
    }

    /// <summary>Whether any of the utterance's three targets is derived rather than rated.</summary>
    public static bool IsDerived(Utterance utterance) => utterance.Arousal is null || utterance.Valence is null || utterance.Dominance is null;

    static double Map(double x, double k) => 0.5 + 0.5 * k * x;
}
