using Sentire.Audio.Corpus;
using Sentire.Audio.Prosody;
using Sentire.Evaluation.Captioning;
using Sentire.Models.Secap;
using Sentire.Tensors;

namespace Sentire.Training.Captions;

/// <summary>What we know of a labelled clip: the corpus's emotion label and intensity, the speaker's gender, and the
/// plain-language levels of its measured prosody.</summary>
public sealed record CaptionFacts(string Emotion, string? Intensity, Gender? Gender, ProsodyLevels Prosody);

/// <summary>
/// DERIVED English captions: sentences generated from <see cref="CaptionFacts"/> through a small template grammar
/// (docs/captioning.md), never human annotations. A caption is
///   SENTENCE := SUBJECT-CLAUSE EMOTION-PART [PROSODY-PART] "."
/// where every part has several paraphrases drawn at random, so the decoder learns varied but faithful sentences:
/// the emotion word comes from the label (with a stronger or milder synonym for RAVDESS's strong/normal intensity), the
/// subject from the gender, and the prosody part names only the measures that are low or high against the corpus norms
/// (pitch level, pitch variability, loudness, speaking rate); when everything is medium it says so or says nothing.
/// </summary>
public static class DerivedCaptionGrammar
{
    /// <summary>The wordings per emotion (<see cref="CaptionEmotionWords"/>, which the captioner also holds captions to).</summary>
    static IReadOnlyDictionary<string, EmotionWording> Emotions => CaptionEmotionWords.English;

    /// <summary>Subject and possessive per gender; the subject without a known gender names none.</summary>
    static readonly (string Subject, string Possessive)[] FemaleSubjects = [("A woman", "Her"), ("A female speaker", "Her"), ("The woman", "Her")];
    static readonly (string Subject, string Possessive)[] MaleSubjects = [("A man", "His"), ("A male speaker", "His"), ("The man", "His")];
    static readonly (string Subject, string Possessive)[] UnknownSubjects = [("The speaker", "Their"), ("A person", "Their")];

    public static IReadOnlyCollection<string> KnownEmotions => [.. Emotions.Keys];

    /// <summary>The words of the grammar's female subjects that no other subject uses (woman, female, her), and "she",
    /// which the grammar never writes but a free-form caption would.</summary>
    public static IReadOnlyList<string> FemaleWords { get; } = [.. GenderWords(FemaleSubjects, MaleSubjects), "she"];

    /// <summary>As <see cref="FemaleWords"/> for men (man, male, his, he).</summary>
    public static IReadOnlyList<string> MaleWords { get; } = [.. GenderWords(MaleSubjects, FemaleSubjects), "he"];

    /// <summary>The facts a derived caption states, for <see cref="CaptionFactAccuracy"/>.</summary>
    public static CaptionFactLexicon FactLexicon { get; } = new(CaptionEmotionWords.Phrases, FemaleWords, MaleWords);

    static IEnumerable<string> GenderWords((string Subject, string Possessive)[] own, (string Subject, string Possessive)[] other)
    {
        static IEnumerable<string> Words(IEnumerable<(string Subject, string Possessive)> s) =>
            s.SelectMany(x => $"{x.Subject} {x.Possessive}".ToLowerInvariant().Split(' '));
        return Words(own).Distinct().Except(Words(other.Concat(UnknownSubjects)));
    }

    /// <summary>Every word a derived caption can hold (lower case), the lexicon of the well-formedness check
    /// (<see cref="CaptionWellFormedness"/>): the words of many generated captions over every emotion, intensity, gender
    /// and prosody level, so that it cannot drift from <see cref="Generate"/>.</summary>
    public static IReadOnlySet<string> Lexicon => lexicon.Value;

    static readonly Lazy<IReadOnlySet<string>> lexicon = new(() =>
    {
        var levels = Enum.GetValues<ProsodyLevel>();
        var rng = new Generator(15);
        var words = new HashSet<string>(StringComparer.Ordinal);
        foreach (var emotion in Emotions.Keys)
            foreach (var intensity in new string?[] { null, "normal", "strong" })
                foreach (var gender in new Gender?[] { Gender.Female, Gender.Male, null })
                    for (int k = 0; k < 81; k++)
                        for (int draw = 0; draw < 12; draw++)
                        {
                            var prosody = new ProsodyLevels(levels[k % 3], levels[k / 3 % 3], levels[k / 9 % 3], levels[k / 27 % 3], ProsodyLevel.Medium);
                            words.UnionWith(Models.Secap.CaptionText.Words(Generate(new CaptionFacts(emotion, intensity, gender, prosody), rng)));
                        }
        return words;
    });

    static T Pick<T>(IReadOnlyList<T> items, Generator rng) => items[rng.NextInt(items.Count)];

    /// <summary>One derived caption of <paramref name="facts"/>; different draws of <paramref name="rng"/> give paraphrases.</summary>
    public static string Generate(CaptionFacts facts, Generator rng)
    {
        if (!Emotions.TryGetValue(facts.Emotion, out var words))
            throw new ArgumentException($"no caption wording for emotion '{facts.Emotion}' (known: {string.Join(", ", Emotions.Keys)})");
        IReadOnlyList<string> adjectives = facts.Intensity switch
        {
            "strong" => words.Strong,
            "normal" => [.. words.Mild, .. words.Plain],
            _ => words.Plain,
        };
        string adjective = Pick(adjectives, rng), noun = Pick(words.Nouns, rng);
        var (subject, possessive) = facts.Gender switch
        {
            Gender.Female => Pick(FemaleSubjects, rng),
            Gender.Male => Pick(MaleSubjects, rng),
            _ => Pick(UnknownSubjects, rng),
        };
        var emotionPart = CaptionEmotionWords.Clause(rng.NextInt(5), subject, adjective, noun);
        var prosody = ProsodyPart(facts.Prosody, possessive, rng);
        return emotionPart + prosody + ".";
    }

    /// <summary>", speaking loudly and quickly with a high, varied pitch", "; her voice is soft and slow", or "" .</summary>
    static string ProsodyPart(ProsodyLevels p, string possessive, Generator rng)
    {
        var adverbs = new List<string>();
        var pitch = new List<string>();
        var adjectives = new List<string>();
        if (p.Loudness == ProsodyLevel.High) { adverbs.Add(Pick(new[] { "loudly", "forcefully" }, rng)); adjectives.Add("loud"); }
        if (p.Loudness == ProsodyLevel.Low) { adverbs.Add(Pick(new[] { "softly", "quietly" }, rng)); adjectives.Add(Pick(new[] { "soft", "quiet" }, rng)); }
        if (p.Rate == ProsodyLevel.High) { adverbs.Add(Pick(new[] { "quickly", "fast", "rapidly" }, rng)); adjectives.Add("fast"); }
        if (p.Rate == ProsodyLevel.Low) { adverbs.Add(Pick(new[] { "slowly", "unhurriedly" }, rng)); adjectives.Add("slow"); }
        if (p.Pitch == ProsodyLevel.High) pitch.Add("high");
        if (p.Pitch == ProsodyLevel.Low) pitch.Add("low");
        if (p.PitchVariation == ProsodyLevel.High) pitch.Add(Pick(new[] { "varied", "lively" }, rng));
        if (p.PitchVariation == ProsodyLevel.Low) pitch.Add(Pick(new[] { "flat", "monotonous" }, rng));
        static string Join(IReadOnlyList<string> w) => w.Count switch
        {
            0 => "",
            1 => w[0],
            _ => string.Join(", ", w.Take(w.Count - 1)) + " and " + w[^1],
        };
        string pitchPhrase = pitch.Count == 0 ? "" : $"a {string.Join(", ", pitch)} pitch";
        if (adverbs.Count == 0 && pitch.Count == 0)
            return rng.NextInt(2) == 0 ? "" : Pick(new[] { ", at a moderate pace and volume", ", with an ordinary pitch and pace", " in a steady, moderate voice" }, rng);
        return rng.NextInt(3) switch
        {
            0 when adverbs.Count > 0 => $", speaking {Join(adverbs)}" + (pitchPhrase.Length > 0 ? $" with {pitchPhrase}" : ""),
            1 when adjectives.Count > 0 => $"; {possessive.ToLowerInvariant()} voice is {Join(adjectives)}" + (pitchPhrase.Length > 0 ? $", with {pitchPhrase}" : ""),
            _ => pitchPhrase.Length > 0
                ? $", with {pitchPhrase}" + (adverbs.Count > 0 ? $", speaking {Join(adverbs)}" : "")
                : $", speaking {Join(adverbs)}",
        };
    }
}
