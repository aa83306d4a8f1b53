using Sentire.Audio.Prosody;
using Sentire.Models.Generation;

namespace Sentire.Models.Secap;

/// <summary>The four prosody measures a caption can state (<see cref="ProsodyLevels"/> without harmonicity).</summary>
public enum ProsodyMeasure { Pitch, PitchVariation, Loudness, Rate }

/// <summary>
/// The words with which an English caption states a prosody level: the words of the derived-caption grammar
/// (Sentire.Training's DerivedCaptionGrammar, which a test keeps in step with this list), so that the captioner can be
/// held to the levels measured on the same audio and a caption can be checked against them.
/// </summary>
public static class CaptionProsodyWords
{
    /// <summary>(measure, level, word), every word naming exactly one level of one measure.</summary>
    public static IReadOnlyList<(ProsodyMeasure Measure, ProsodyLevel Level, string Word)> English { get; } =
    [
        (ProsodyMeasure.Pitch, ProsodyLevel.High, "high"), (ProsodyMeasure.Pitch, ProsodyLevel.Low, "low"),
        (ProsodyMeasure.PitchVariation, ProsodyLevel.High, "varied"), (ProsodyMeasure.PitchVariation, ProsodyLevel.High, "lively"),
        (ProsodyMeasure.PitchVariation, ProsodyLevel.Low, "flat"), (ProsodyMeasure.PitchVariation, ProsodyLevel.Low, "monotonous"),
        (ProsodyMeasure.Loudness, ProsodyLevel.High, "loud"), (ProsodyMeasure.Loudness, ProsodyLevel.High, "loudly"), (ProsodyMeasure.Loudness, ProsodyLevel.High, "forcefully"),
        (ProsodyMeasure.Loudness, ProsodyLevel.Low, "soft"), (ProsodyMeasure.Loudness, ProsodyLevel.Low, "softly"),
        (ProsodyMeasure.Loudness, ProsodyLevel.Low, "quiet"), (ProsodyMeasure.Loudness, ProsodyLevel.Low, "quietly"),
        (ProsodyMeasure.Rate, ProsodyLevel.High, "fast"), (ProsodyMeasure.Rate, ProsodyLevel.High, "quickly"), (ProsodyMeasure.Rate, ProsodyLevel.High, "rapidly"),
        (ProsodyMeasure.Rate, ProsodyLevel.Low, "slow"), (ProsodyMeasure.Rate, ProsodyLevel.Low, "slowly"), (ProsodyMeasure.Rate, ProsodyLevel.Low, "unhurriedly"),
    ];

    /// <summary>Words the grammar writes only when every measure is medium ("at a moderate pace and volume", "with an
    /// ordinary pitch and pace", "in a steady, moderate voice"): each states all four measures medium.</summary>
    public static IReadOnlyList<string> EnglishAllMedium { get; } = ["moderate", "ordinary", "steady"];

    /// <summary>Emotion phrases that contain a prosody word but state no prosody ("flat and unemotional" is neutral).</summary>
    public static IReadOnlyList<string> EnglishEmotionPhrases { get; } = ["flat and unemotional", "quietly relaxed"];

    /// <summary>The measured level of one measure; null when it could not be measured (no voiced frame: no pitch).</summary>
    public static ProsodyLevel? Level(ProsodyLevels levels, ProsodyMeasure measure) => measure switch
    {
        ProsodyMeasure.Pitch => levels.Pitch,
        ProsodyMeasure.PitchVariation => levels.PitchVariation,
        ProsodyMeasure.Loudness => levels.Loudness,
        _ => levels.Rate,
    };

    /// <summary>The levels an English caption states, one entry per prosody word (lower-cased whole words; the
    /// emotion phrases of <see cref="EnglishEmotionPhrases"/> are skipped).</summary>
    public static IReadOnlyList<(ProsodyMeasure Measure, ProsodyLevel Level)> Stated(string caption)
    {
        var text = caption.ToLowerInvariant();
        foreach (var phrase in EnglishEmotionPhrases) text = text.Replace(phrase, " ", StringComparison.Ordinal);
        var stated = new List<(ProsodyMeasure, ProsodyLevel)>();
        foreach (var word in CaptionText.Words(text))
        {
            foreach (var (measure, level, w) in English)
                if (w == word) stated.Add((measure, level));
            if (EnglishAllMedium.Contains(word))
                stated.AddRange(Enum.GetValues<ProsodyMeasure>().Select(m => (m, ProsodyLevel.Medium)));
        }
        return stated;
    }

    /// <summary>The statements of <paramref name="caption"/> that contradict <paramref name="measured"/>
    /// (a stated level that is not the measured one, or of a measure that could not be measured).</summary>
    public static IReadOnlyList<(ProsodyMeasure Measure, ProsodyLevel Stated, ProsodyLevel? Measured)> Contradictions(string caption, ProsodyLevels measured) =>
        [.. Stated(caption).Distinct().Where(s => Level(measured, s.Measure) != s.Level).Select(s => (s.Measure, s.Level, Level(measured, s.Measure)))];

    /// <summary>The non-medium measured levels <paramref name="caption"/> does not state (the grammar states every one).</summary>
    public static IReadOnlyList<ProsodyMeasure> Omissions(string caption, ProsodyLevels measured)
    {
        var stated = Stated(caption);
        return [.. Enum.GetValues<ProsodyMeasure>().Where(m => Level(measured, m) is { } level && level != ProsodyLevel.Medium && !stated.Contains((m, level)))];
    }
}

/// <summary>How an English caption names one emotion: plain adjectives, milder and stronger ones (RAVDESS's normal and
/// strong intensity), and nouns ("A man's voice conveys anger").</summary>
public sealed record EmotionWording(IReadOnlyList<string> Plain, IReadOnlyList<string> Mild, IReadOnlyList<string> Strong, IReadOnlyList<string> Nouns)
{
    /// <summary>Every phrase, adjectives of every intensity then nouns, each once.</summary>
    public IReadOnlyList<string> Phrases => [.. Plain.Concat(Mild).Concat(Strong).Concat(Nouns).Distinct()];
}

/// <summary>
/// The English wordings of each emotion label: the derived-caption grammar (Sentire.Training's DerivedCaptionGrammar)
/// writes its captions with them (<see cref="Clause"/>), the caption fact check reads a caption's emotion with them, and
/// the captioner holds a caption to the emotion an analysis found with them (<see cref="Clauses"/>, <see cref="OtherEmotionWords"/>).
/// </summary>
public static class CaptionEmotionWords
{
    public static IReadOnlyDictionary<string, EmotionWording> English { get; } = new Dictionary<string, EmotionWording>(StringComparer.Ordinal)
    {
        ["neutral"] = new(["neutral", "calm and matter-of-fact", "emotionally neutral"], ["fairly neutral", "even"], ["completely neutral", "flat and unemotional"], ["no particular emotion", "a neutral mood"]),
        ["calm"] = new(["calm", "relaxed", "peaceful"], ["fairly calm", "quietly relaxed"], ["very calm", "deeply serene"], ["calmness", "a relaxed mood"]),
        ["happy"] = new(["happy", "cheerful", "joyful"], ["pleased", "content", "mildly cheerful"], ["delighted", "very happy", "overjoyed"], ["happiness", "joy", "cheerfulness"]),
        ["sad"] = new(["sad", "unhappy", "sorrowful"], ["a little sad", "downcast", "wistful"], ["very sad", "heartbroken", "deeply sorrowful"], ["sadness", "sorrow", "grief"]),
        ["angry"] = new(["angry", "annoyed", "irritated"], ["irritated", "annoyed", "somewhat angry"], ["furious", "very angry", "enraged"], ["anger", "irritation", "rage"]),
        ["fearful"] = new(["fearful", "scared", "afraid"], ["nervous", "uneasy", "anxious"], ["terrified", "very frightened", "panicked"], ["fear", "anxiety", "fright"]),
        ["disgust"] = new(["disgusted", "repulsed", "revolted"], ["mildly disgusted", "displeased"], ["thoroughly disgusted", "deeply repulsed"], ["disgust", "revulsion", "distaste"]),
        ["surprised"] = new(["surprised", "astonished", "amazed"], ["mildly surprised", "curious"], ["astonished", "stunned", "very surprised"], ["surprise", "astonishment", "amazement"]),
        ["bored"] = new(["bored", "uninterested", "weary"], ["a little bored", "indifferent"], ["very bored", "utterly uninterested"], ["boredom", "indifference"]),
    };

    /// <summary>Every phrase of each emotion (<see cref="EmotionWording.Phrases"/>).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Phrases { get; } =
        English.ToDictionary(e => e.Key, e => e.Value.Phrases, StringComparer.Ordinal);

    /// <summary>Words of the phrases that name no emotion by themselves: articles, conjunctions, degree adverbs.</summary>
    public static IReadOnlySet<string> Modifiers { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "a", "and", "very", "little", "fairly", "mildly", "somewhat", "deeply", "completely", "utterly", "thoroughly",
        "quietly", "emotionally", "mood",
    };

    /// <summary>The five forms of an English emotion clause, <paramref name="form"/> 0-4: "{subject} sounds {adjective}",
    /// "... speaks in a(n) {adjective} tone", "{subject}'s voice conveys {noun}", "... is {adjective}", "... expresses {noun}".</summary>
    public static string Clause(int form, string subject, string adjective, string noun) => form switch
    {
        0 => $"{subject} sounds {adjective}",
        1 => $"{subject} speaks in {("aeiou".Contains(adjective[0]) ? "an" : "a")} {adjective} tone",
        2 => $"{subject}'s voice conveys {noun}",
        3 => $"{subject} is {adjective}",
        4 => $"{subject} expresses {noun}",
        _ => throw new ArgumentOutOfRangeException(nameof(form), form, "an emotion clause has forms 0-4"),
    };

    /// <summary>Every clause of <paramref name="emotion"/>'s plain adjectives and nouns in every form, after <paramref name="subject"/>.</summary>
    public static IReadOnlyList<string> Clauses(string subject, string emotion)
    {
        var wording = English[emotion];
        return [.. from form in Enumerable.Range(0, 5)
                   from word in form is 2 or 4 ? wording.Nouns : wording.Plain
                   select Clause(form, subject, word, word)];
    }

    /// <summary>The subject of an emotion clause: the text before its verb ("A female speaker" of "A female speaker sounds
    /// tense"), or "The speaker" when it has none of the clause forms' verbs.</summary>
    public static string Subject(string clause)
    {
        int verb = new[] { "'s voice ", " sounds ", " speaks ", " is ", " expresses " }
            .Select(v => clause.IndexOf(v, StringComparison.Ordinal)).Where(i => i > 0).DefaultIfEmpty(-1).Min();
        return verb > 0 ? clause[..verb] : "The speaker";
    }

    /// <summary>
    /// The words a caption held to <paramref name="emotion"/> may not use: every one-word phrase of another emotion
    /// ("calm" when the analysis says neutral, though "calm and matter-of-fact" is neutral), and every other word of
    /// another emotion's phrases that is no <see cref="Modifiers"/> word and not in this emotion's phrases. Empty for a
    /// label with no English wording (a zero-shot label of the caller's own): nothing to hold the caption to.
    /// </summary>
    public static IReadOnlySet<string> OtherEmotionWords(string emotion)
    {
        var forbidden = new HashSet<string>(StringComparer.Ordinal);
        if (!English.ContainsKey(emotion)) return forbidden;
        var own = Phrases[emotion].SelectMany(CaptionText.Words).ToHashSet(StringComparer.Ordinal);
        foreach (var (other, phrases) in Phrases)
        {
            if (other == emotion) continue;
            foreach (var phrase in phrases)
            {
                var words = CaptionText.Words(phrase).ToList();
                if (words.Count == 1) forbidden.Add(words[0]);
                else forbidden.UnionWith(words.Where(w => !Modifiers.Contains(w) && !own.Contains(w)));
            }
        }
        return forbidden;
    }
}

/// <summary>Word and sentence helpers shared by the caption constraint and the checks of captions.</summary>
public static class CaptionText
{
    /// <summary>Sentence terminators per language.</summary>
    public static string Terminators(string language) => language == "zh" ? "。！？" : ".!?";

    /// <summary>A letter, or an apostrophe or hyphen inside a word ("speaker's", "matter-of-fact").</summary>
    public static bool IsWordChar(char c) => char.IsLetter(c) || c is '\'' or '-';

    /// <summary>The lower-cased words of <paramref name="text"/> (runs of word characters).</summary>
    public static IEnumerable<string> Words(string text)
    {
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            bool word = i < text.Length && IsWordChar(text[i]);
            if (word && start < 0) start = i;
            else if (!word && start >= 0) { yield return text[start..i].Trim('\'', '-').ToLowerInvariant(); start = -1; }
        }
    }

    /// <summary>Whether <paramref name="c"/> belongs to the CJK scripts (ideographs, CJK and full-width punctuation).</summary>
    public static bool IsCjk(char c) => c is >= '\u2E80' and <= '\u9FFF' or >= '\uF900' and <= '\uFAFF' or >= '\uFF00' and <= '\uFFEF' or >= '\u3000' and <= '\u303F';
}

/// <summary>
/// What each token of a caption LM's vocabulary adds to the text, and which tokens a caption in each language may use.
/// Built once per captioner; the per-language masks are built on first use.
/// </summary>
public sealed class CaptionVocabulary
{
    readonly Lazy<bool[]> english, chinese;

    /// <summary>Text each id appends to a caption (with its leading space; "" for special tokens).</summary>
    public IReadOnlyList<string> Pieces { get; }
    public int EosId { get; }

    /// <summary>Words the vocabulary holds whole ("▁unhappy" -> "unhappy"): a partial word that is a prefix of one of
    /// them is not a dead end.</summary>
    public IReadOnlySet<string> WholeWords { get; }

    public CaptionVocabulary(CaptionTokenizer tokenizer)
    {
        EosId = tokenizer.EosId;
        // A piece is the text after an anchor token: decoding it alone loses a leading space (SentencePiece strips it).
        int anchor = tokenizer.Encode("a")[0];
        string anchorText = tokenizer.Decode([anchor]);
        var pieces = new string[tokenizer.VocabSize];
        for (int id = 0; id < pieces.Length; id++)
        {
            var text = tokenizer.Decode([anchor, id]);
            pieces[id] = text.StartsWith(anchorText, StringComparison.Ordinal) ? text[anchorText.Length..] : text;
        }
        Pieces = pieces;
        WholeWords = pieces.Where(p => p.Length > 1 && p[0] == ' ').Select(p => p[1..].TrimEnd(',', ';', '.', '!', '?'))
            .Where(w => w.Length > 0 && w.All(CaptionText.IsWordChar)).Select(w => w.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        english = new(() => Mask(p => p.All(c => c is >= ' ' and <= '~')));
        // Chinese: ideographs and CJK punctuation only (no Latin letters, no ASCII punctuation, no lone UTF-8 bytes).
        chinese = new(() => Mask(p => p.All(c => c == ' ' || CaptionText.IsCjk(c))));
    }

    bool[] Mask(Func<string, bool> script)
    {
        var allowed = new bool[Pieces.Count];
        for (int id = 0; id < allowed.Length; id++)
            allowed[id] = id == EosId || (Pieces[id].Length > 0 && Pieces[id].IndexOf('\uFFFD') < 0 && script(Pieces[id]));
        return allowed;
    }

    /// <summary>Tokens a caption in <paramref name="language"/> ("en" or "zh") may use, EOS included.</summary>
    public bool[] Allowed(string language) => language switch
    {
        "en" => english.Value,
        "zh" => chinese.Value,
        _ => throw new ArgumentException($"caption language '{language}' is not 'en' or 'zh'"),
    };
}

/// <summary>
/// Keeps a caption well formed and in its language while the LM writes it (issue 15). Per step, for the row's text so
/// far, it forbids:
/// 1) tokens of another script (the language mask of <see cref="CaptionVocabulary"/>);
/// 2) anything but EOS once the text has ended, and EOS before it has. English ends at the first clause mark or full
///    stop: the LM writes the emotion clause ("A man sounds calm") and the captioner adds the prosody phrase of the
///    measured levels (<see cref="CaptionProsodyPhrases"/>). Chinese ends at a full stop or, with EOS, after a complete
///    clause (the captioner adds the full stop);
/// 3) punctuation at the start, after punctuation or after a space; a clause mark right after a word that cannot end a
///    phrase ("with a low,", "speaks in a,"); a lower-case start in English;
/// 4) the instruction's own words ("Describe ... in one sentence" leaking into the caption);
/// 5) English prosody words (<see cref="CaptionProsodyWords"/>) in the emotion clause: prosody is stated by the phrase
///    of the measured levels, never guessed. A partial word of 3 letters or more that can only grow into a forbidden
///    word is forbidden too, unless the vocabulary holds an allowed word it begins.
/// </summary>
public sealed class CaptionConstraint : ILogitsProcessor
{
    /// <summary>English words after which a phrase cannot end (articles, prepositions, conjunctions, verbs that need an object).</summary>
    public static IReadOnlySet<string> EnglishDanglingWords { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "a", "an", "the", "and", "or", "but", "with", "of", "in", "at", "to", "by", "for", "is", "are", "her", "his", "their",
        "its", "speaking", "speaks", "sounds", "expresses", "conveys", "very", "fairly", "somewhat", "deeply", "mildly", "quite",
    };

    /// <summary>Words of the default English instruction that a caption never uses.</summary>
    public static IReadOnlyList<string> EnglishPromptWords { get; } = ["describe", "sentence"];
    /// <summary>Text of the default Chinese instruction that a caption never uses.</summary>
    public static IReadOnlyList<string> ChinesePromptText { get; } = ["请", "描述", "一句话"];

    const string ChineseClauseMarks = "，、；：";
    const string EnglishClauseEnds = ",;.!?";

    readonly CaptionVocabulary vocabulary;
    readonly bool[] allowed;
    readonly bool english;
    readonly string ends;
    readonly HashSet<string> forbiddenWords = new(StringComparer.Ordinal);

    public CaptionConstraint(CaptionVocabulary vocabulary, string language)
    {
        this.vocabulary = vocabulary;
        allowed = vocabulary.Allowed(language);
        english = language == "en";
        ends = english ? EnglishClauseEnds : CaptionText.Terminators(language);
        if (!english) return;
        forbiddenWords.UnionWith(EnglishPromptWords);
        forbiddenWords.UnionWith(CaptionProsodyWords.English.Select(w => w.Word));
        forbiddenWords.UnionWith(CaptionProsodyWords.EnglishAllMedium);
    }

    /// <summary>The text before the first clause end of English (the emotion clause), the whole text of Chinese.</summary>
    public string Clause(string text)
    {
        int end = english ? text.IndexOfAny(EnglishClauseEnds.ToCharArray()) : -1;
        return (end >= 0 ? text[..end] : text).Trim();
    }

    public void Process(Span<float> logits, IReadOnlyList<int> generated)
    {
        var text = string.Concat(generated.Select(id => (uint)id < (uint)vocabulary.Pieces.Count ? vocabulary.Pieces[id] : ""));
        var trimmed = text.TrimEnd();
        char last = trimmed.Length > 0 ? trimmed[^1] : '\0';
        int eos = vocabulary.EosId;
        if (last != '\0' && ends.Contains(last))
        {
            for (int i = 0; i < logits.Length; i++) if (i != eos) logits[i] = float.NegativeInfinity;
            return;
        }
        int wordStart = text.Length;   // the partial word the next token may continue
        while (wordStart > 0 && CaptionText.IsWordChar(text[wordStart - 1])) wordStart--;
        string partial = text[wordStart..];
        for (int id = 0; id < logits.Length; id++)
        {
            if (float.IsNegativeInfinity(logits[id])) continue;
            bool ok = id == eos
                ? !english && trimmed.Any(c => char.IsLetter(c) && CaptionText.IsCjk(c)) && !ChineseClauseMarks.Contains(last)
                : id < allowed.Length && allowed[id] && Fits(text, trimmed, last, partial, vocabulary.Pieces[id]);
            if (!ok) logits[id] = float.NegativeInfinity;
        }
    }

    bool Fits(string text, string trimmed, char last, string partial, string piece)
    {
        if (piece.Length == 0) return false;
        string head = piece.TrimStart();
        if (head.Length == 0) return text.Length == 0 || !char.IsWhiteSpace(text[^1]);   // one space at a time ("▁" then "A")
        bool startsWithSpace = head.Length < piece.Length;
        if (IsPunctuation(head[0]) && (trimmed.Length == 0 || IsPunctuation(last) || startsWithSpace || text.Length > trimmed.Length))
            return false;
        int end = piece.IndexOfAny(ends.ToCharArray());
        if (end >= 0 && end != piece.Length - 1) return false;   // the text ends with the piece that ends it
        if (!english)
        {
            string joined = text + piece;
            return !ChinesePromptText.Any(p => joined.Contains(p, StringComparison.Ordinal) && !text.Contains(p, StringComparison.Ordinal));
        }
        if (trimmed.Length == 0 && !char.IsUpper(head[0])) return false;   // a sentence starts with a capital

        // the words the piece completes or extends, with the partial word before it
        string tail = (startsWithSpace ? "" : partial) + piece;
        int i = 0;
        while (i < tail.Length)
        {
            if (!CaptionText.IsWordChar(tail[i])) { i++; continue; }
            int s = i;
            while (i < tail.Length && CaptionText.IsWordChar(tail[i])) i++;
            string word = tail[s..i].ToLowerInvariant();
            if (i == tail.Length)   // still partial: forbidden when it can only become a forbidden word (prefixes of
                                    // under 3 letters begin too many words to judge)
                return word.Length < 3 || !forbiddenWords.Any(f => f.StartsWith(word, StringComparison.Ordinal))
                    || vocabulary.WholeWords.Any(w => w.StartsWith(word, StringComparison.Ordinal) && !forbiddenWords.Contains(w));
            if (forbiddenWords.Contains(word)) return false;
            if (EnglishClauseEnds.Contains(tail[i]) && EnglishDanglingWords.Contains(word)) return false;
        }
        return true;
    }

    static bool IsPunctuation(char c) => char.IsPunctuation(c) && c is not '\'' and not '-' || c is '，' or '。' or '、' or '；' or '：';
}

/// <summary>
/// The English prosody phrases of the derived-caption grammar for given levels (every wording the grammar could write
/// after the emotion clause, a test keeps them in step): the captioner appends the one its LM finds most probable, so a
/// caption states exactly the measured levels (issue 15: "pitch 121 Hz (low)" is never captioned "a high pitch").
/// </summary>
public static class CaptionProsodyPhrases
{
    public static IReadOnlyList<string> English(ProsodyLevels p, string possessive)
    {
        // choices per measure, in the grammar's order (loudness, then rate; pitch level, then variation)
        var adverbs = new List<string[]>();
        var adjectives = new List<string[]>();
        var pitch = new List<string[]>();
        if (p.Loudness == ProsodyLevel.High) { adverbs.Add(["loudly", "forcefully"]); adjectives.Add(["loud"]); }
        if (p.Loudness == ProsodyLevel.Low) { adverbs.Add(["softly", "quietly"]); adjectives.Add(["soft", "quiet"]); }
        if (p.Rate == ProsodyLevel.High) { adverbs.Add(["quickly", "fast", "rapidly"]); adjectives.Add(["fast"]); }
        if (p.Rate == ProsodyLevel.Low) { adverbs.Add(["slowly", "unhurriedly"]); adjectives.Add(["slow"]); }
        if (p.Pitch == ProsodyLevel.High) pitch.Add(["high"]);
        if (p.Pitch == ProsodyLevel.Low) pitch.Add(["low"]);
        if (p.PitchVariation == ProsodyLevel.High) pitch.Add(["varied", "lively"]);
        if (p.PitchVariation == ProsodyLevel.Low) pitch.Add(["flat", "monotonous"]);
        if (adverbs.Count == 0 && pitch.Count == 0)   // the all-medium wordings state every measure: not when one is unmeasured
            return p is { Pitch: ProsodyLevel.Medium, PitchVariation: ProsodyLevel.Medium, Loudness: ProsodyLevel.Medium, Rate: ProsodyLevel.Medium }
                ? ["", ", at a moderate pace and volume", ", with an ordinary pitch and pace", " in a steady, moderate voice"]
                : [""];
        static string Join(IReadOnlyList<string> w) => w.Count == 1 ? w[0] : string.Join(", ", w.Take(w.Count - 1)) + " and " + w[^1];
        var phrases = new List<string>();
        foreach (var pw in Product(pitch))
        {
            string pitchPhrase = pw.Count == 0 ? "" : $"a {string.Join(", ", pw)} pitch";
            foreach (var adv in Product(adverbs))
            {
                if (adv.Count > 0) phrases.Add($", speaking {Join(adv)}" + (pitchPhrase.Length > 0 ? $" with {pitchPhrase}" : ""));
                phrases.Add(pitchPhrase.Length > 0 ? $", with {pitchPhrase}" + (adv.Count > 0 ? $", speaking {Join(adv)}" : "") : $", speaking {Join(adv)}");
            }
            foreach (var adj in Product(adjectives))
                if (adj.Count > 0) phrases.Add($"; {possessive.ToLowerInvariant()} voice is {Join(adj)}" + (pitchPhrase.Length > 0 ? $", with {pitchPhrase}" : ""));
        }
        return [.. phrases.Distinct()];
    }

    /// <summary>The possessive of the grammar's subject the clause names: "Her", "His", or "Their".</summary>
    public static string Possessive(string clause)
    {
        var words = CaptionText.Words(clause).Select(w => w.EndsWith("'s", StringComparison.Ordinal) ? w[..^2] : w).ToHashSet(StringComparer.Ordinal);
        return words.Overlaps(["woman", "female", "her", "she"]) ? "Her" : words.Overlaps(["man", "male", "his", "he"]) ? "His" : "Their";
    }

    static IEnumerable<IReadOnlyList<string>> Product(IReadOnlyList<string[]> choices)
    {
        IEnumerable<IReadOnlyList<string>> result = [[]];
        foreach (var c in choices) result = result.SelectMany(r => c.Select(w => (IReadOnlyList<string>)[.. r, w])).ToList();
        return result;
    }
}
