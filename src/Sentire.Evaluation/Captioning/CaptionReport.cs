using System.Globalization;

namespace Sentire.Evaluation.Captioning;

/// <summary>Every caption metric of one set: the COCO ones, METEOR (with the matching modules used), SIM (with the
/// sentence encoder's name, or null when none was given), the number of distinct candidate strings (a collapsed model
/// says the same thing for every clip) and, for references with known facts, gender and emotion accuracy. SPICE is
/// never estimated.</summary>
public sealed record CaptionReport(int Captions, CaptionLanguage Language, CaptionScores Coco, double Meteor, string MeteorModules, double? Sim, string? SimEncoder,
    int DistinctCaptions, CaptionFactScores? Facts)
{
    public const string Spice = CaptionScores.SpiceUnavailable;

    /// <summary>Scores raw strings: Chinese on characters, English on lower-cased words (<see cref="CaptionTokenizer"/>).
    /// <paramref name="facts"/> (from <see cref="CaptionFactAccuracy"/>) is reported as given.</summary>
    public static CaptionReport Score(IReadOnlyList<(string Candidate, IReadOnlyList<string> References)> set, CaptionLanguage language, ISentenceEncoder? encoder,
        CaptionFactScores? facts = null)
    {
        var tokenized = set.Select(c => new ScoredCaption(CaptionTokenizer.Tokenize(c.Candidate, language),
            c.References.Select(r => CaptionTokenizer.Tokenize(r, language)).ToList())).ToList();
        bool stem = language == CaptionLanguage.English;
        return new CaptionReport(set.Count, language, CaptionMetrics.Score(tokenized), Captioning.Meteor.Corpus(tokenized, stem),
            stem ? "exact + Porter stem (no WordNet synonyms, no paraphrases)" : "exact characters (no stemming, synonyms or paraphrases)",
            encoder is null ? null : SentenceSimilarity.Corpus(set, encoder), encoder?.Name,
            set.Select(c => c.Candidate).Distinct(StringComparer.Ordinal).Count(), facts);
    }

    public string ToText()
    {
        var c = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            string.Create(c, $"captions  {Captions} ({(Language == CaptionLanguage.Chinese ? "Chinese, characters" : "English, lower-cased words")})"),
            string.Create(c, $"BLEU-1    {Coco.Bleu1:F4}"),
            string.Create(c, $"BLEU-2    {Coco.Bleu2:F4}"),
            string.Create(c, $"BLEU-3    {Coco.Bleu3:F4}"),
            string.Create(c, $"BLEU-4    {Coco.Bleu4:F4}"),
            string.Create(c, $"METEOR    {Meteor:F4}  ({MeteorModules})"),
            string.Create(c, $"ROUGE-L   {Coco.RougeL:F4}"),
            string.Create(c, $"CIDEr-D   {Coco.CiderD:F4}"),
            Sim is { } s ? string.Create(c, $"SIM       {s:F2}  (cosine x100, sentence encoder: {SimEncoder})") : "SIM       not computed (no sentence encoder given)",
            string.Create(c, $"distinct  {DistinctCaptions} of {Captions} candidate captions"),
            Facts?.GenderAccuracy is { } g ? string.Create(c, $"gender    {g:F4}  (candidate names the reference's gender; {Facts.GenderClips} clips)") : "gender    not computed (no reference names a gender)",
            Facts?.EmotionAccuracy is { } e ? string.Create(c, $"emotion   {e:F4}  (candidate names the reference's emotion category and no other; {Facts.EmotionClips} clips)") : "emotion   not computed (references carry no known emotion category)",
            Spice,
        };
        return string.Join(Environment.NewLine, lines) + Environment.NewLine;
    }

    /// <summary>One Markdown table row: | label | n | B1 | B2 | B3 | B4 | METEOR | ROUGE-L | CIDEr-D | SIM | gender | emotion | distinct |
    /// ("-" where not computed).</summary>
    public string ToMarkdownRow(string label)
    {
        var c = CultureInfo.InvariantCulture;
        static string Or(double? v, string format) => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "-";
        return string.Create(c, $"| {label} | {Captions} | {Coco.Bleu1:F3} | {Coco.Bleu2:F3} | {Coco.Bleu3:F3} | {Coco.Bleu4:F3} | {Meteor:F3} | {Coco.RougeL:F3} | {Coco.CiderD:F3} | ")
            + $"{Or(Sim, "F1")} | {Or(Facts?.GenderAccuracy, "F3")} | {Or(Facts?.EmotionAccuracy, "F3")} | {string.Create(c, $"{DistinctCaptions}/{Captions}")} |";
    }

    public const string MarkdownHeader = "| system | clips | BLEU-1 | BLEU-2 | BLEU-3 | BLEU-4 | METEOR | ROUGE-L | CIDEr-D | SIM | gender acc. | emotion acc. | distinct |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|";
}
