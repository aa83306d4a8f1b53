using System.Globalization;

namespace Sentire.Evaluation.Captioning;

/// <summary>Every caption metric of one set: the COCO ones, METEOR (with the matching modules used) and SIM (with the
/// sentence encoder's name, or null when none was given). SPICE is never estimated.</summary>
public sealed record CaptionReport(int Captions, CaptionLanguage Language, CaptionScores Coco, double Meteor, string MeteorModules, double? Sim, string? SimEncoder)
{
    public const string Spice = CaptionScores.SpiceUnavailable;

    /// <summary>Scores raw strings: Chinese on characters, English on lower-cased words (<see cref="CaptionTokenizer"/>).</summary>
    public static CaptionReport Score(IReadOnlyList<(string Candidate, IReadOnlyList<string> References)> set, CaptionLanguage language, ISentenceEncoder? encoder)
    {
        var tokenized = set.Select(c => new ScoredCaption(CaptionTokenizer.Tokenize(c.Candidate, language),
            c.References.Select(r => CaptionTokenizer.Tokenize(r, language)).ToList())).ToList();
        bool stem = language == CaptionLanguage.English;
        return new CaptionReport(set.Count, language, CaptionMetrics.Score(tokenized), Captioning.Meteor.Corpus(tokenized, stem),
            stem ? "exact + Porter stem (no WordNet synonyms, no paraphrases)" : "exact characters (no stemming, synonyms or paraphrases)",
            encoder is null ? null : SentenceSimilarity.Corpus(set, encoder), encoder?.Name);
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
            Spice,
        };
        return string.Join(Environment.NewLine, lines) + Environment.NewLine;
    }

    /// <summary>One Markdown table row: | label | n | B1 | B2 | B3 | B4 | METEOR | ROUGE-L | CIDEr-D | SIM |.</summary>
    public string ToMarkdownRow(string label) => string.Create(CultureInfo.InvariantCulture,
        $"| {label} | {Captions} | {Coco.Bleu1:F3} | {Coco.Bleu2:F3} | {Coco.Bleu3:F3} | {Coco.Bleu4:F3} | {Meteor:F3} | {Coco.RougeL:F3} | {Coco.CiderD:F3} | {(Sim is { } s ? s.ToString("F1", CultureInfo.InvariantCulture) : "-")} |");

    public const string MarkdownHeader = "| system | clips | BLEU-1 | BLEU-2 | BLEU-3 | BLEU-4 | METEOR | ROUGE-L | CIDEr-D | SIM |\n|---|---|---|---|---|---|---|---|---|---|";
}
