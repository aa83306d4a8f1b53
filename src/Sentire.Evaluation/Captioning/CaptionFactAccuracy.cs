namespace Sentire.Evaluation.Captioning;

/// <summary>
/// The words that tell a caption's facts apart: the phrases naming each emotion category and the words naming each
/// gender. Matching is on <see cref="CaptionTokenizer"/>'s English words (lower-cased, punctuation split off), and
/// emotion phrases are matched longest first without overlap, so a phrase that contains another category's word
/// ("calm and matter-of-fact", a neutral phrase) counts only for its own category.
/// </summary>
public sealed class CaptionFactLexicon
{
    readonly List<(string[] Words, string Category)> phrases;
    readonly HashSet<string> female, male;

    /// <param name="emotionPhrases">category to the phrases that name it; a phrase may belong to one category only.</param>
    /// <param name="femaleWords">single words naming a woman (woman, female, her, ...).</param>
    /// <param name="maleWords">single words naming a man.</param>
    public CaptionFactLexicon(IReadOnlyDictionary<string, IReadOnlyList<string>> emotionPhrases, IReadOnlyList<string> femaleWords, IReadOnlyList<string> maleWords)
    {
        var owner = new Dictionary<string, string>(StringComparer.Ordinal);
        phrases = [];
        foreach (var (category, list) in emotionPhrases)
            foreach (var phrase in list)
            {
                var words = CaptionTokenizer.Tokenize(phrase, CaptionLanguage.English).ToArray();
                if (words.Length == 0) throw new ArgumentException($"emotion phrase '{phrase}' of '{category}' has no words");
                var key = string.Join(' ', words);
                if (owner.TryGetValue(key, out var other) && other != category)
                    throw new ArgumentException($"emotion phrase '{phrase}' names both '{other}' and '{category}'");
                if (owner.TryAdd(key, category)) phrases.Add((words, category));
            }
        phrases.Sort((a, b) => b.Words.Length.CompareTo(a.Words.Length));
        female = [.. femaleWords.Select(w => w.ToLowerInvariant())];
        male = [.. maleWords.Select(w => w.ToLowerInvariant())];
        if (female.Overlaps(male)) throw new ArgumentException($"gender words name both genders: {string.Join(", ", female.Intersect(male))}");
        Categories = new HashSet<string>(emotionPhrases.Keys, StringComparer.Ordinal);
    }

    public IReadOnlySet<string> Categories { get; }

    /// <summary>"female" or "male" when the text names exactly one gender, else null (none or both).</summary>
    public string? GenderOf(string text)
    {
        var words = CaptionTokenizer.Tokenize(text, CaptionLanguage.English);
        bool f = words.Any(female.Contains), m = words.Any(male.Contains);
        return f == m ? null : f ? "female" : "male";
    }

    /// <summary>The categories whose phrases occur in <paramref name="text"/> (longest match first, no overlaps).</summary>
    public IReadOnlySet<string> EmotionsNamed(string text)
    {
        var words = CaptionTokenizer.Tokenize(text, CaptionLanguage.English);
        var found = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < words.Count;)
        {
            int matched = 0;
            foreach (var (phrase, category) in phrases)
                if (i + phrase.Length <= words.Count && Enumerable.Range(0, phrase.Length).All(k => words[i + k] == phrase[k]))
                {
                    found.Add(category);
                    matched = phrase.Length;
                    break;
                }
            i += Math.Max(matched, 1);
        }
        return found;
    }
}

/// <summary>How often candidates state the reference's facts, over the clips that have them: gender over the clips
/// whose reference names one gender (<paramref name="GenderClips"/>), emotion over the clips whose category the
/// lexicon knows (<paramref name="EmotionClips"/>). Null accuracy where no clip qualifies.</summary>
public sealed record CaptionFactScores(int GenderClips, double? GenderAccuracy, int EmotionClips, double? EmotionAccuracy);

/// <summary>
/// Fact accuracy of captions against references with a known emotion category (the derived English captions, whose
/// grammar states the clip's emotion and the speaker's gender): a candidate's gender is right when it names the
/// reference's gender and not the other; its emotion is right when it names the reference's category and no other.
/// Unlike n-gram scores these do not reward a fluent but wrong or always-the-same caption.
/// </summary>
public static class CaptionFactAccuracy
{
    public static CaptionFactScores Score(IReadOnlyList<(string Candidate, string Reference, string? Category)> set, CaptionFactLexicon lexicon)
    {
        int genderClips = 0, genderRight = 0, emotionClips = 0, emotionRight = 0;
        foreach (var (candidate, reference, category) in set)
        {
            if (lexicon.GenderOf(reference) is { } gender)
            {
                genderClips++;
                if (lexicon.GenderOf(candidate) == gender) genderRight++;
            }
            if (category is not null && lexicon.Categories.Contains(category))
            {
                emotionClips++;
                var named = lexicon.EmotionsNamed(candidate);
                if (named.Count == 1 && named.Contains(category)) emotionRight++;
            }
        }
        return new CaptionFactScores(genderClips, genderClips == 0 ? null : (double)genderRight / genderClips,
            emotionClips, emotionClips == 0 ? null : (double)emotionRight / emotionClips);
    }
}
