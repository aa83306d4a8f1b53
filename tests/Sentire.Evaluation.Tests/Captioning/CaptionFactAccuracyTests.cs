using Sentire.Evaluation.Captioning;

namespace Sentire.Evaluation.Tests.Captioning;

/// <summary>Gender and emotion accuracy and distinct captions on hand-made sets with known answers.</summary>
public sealed class CaptionFactAccuracyTests
{
    static readonly CaptionFactLexicon Lexicon = new(
        new Dictionary<string, IReadOnlyList<string>>
        {
            ["happy"] = ["happy", "cheerful"],
            ["sad"] = ["sad", "very sad"],
            ["neutral"] = ["calm and matter-of-fact", "neutral"],
            ["calm"] = ["calm"],
        },
        ["woman", "her"], ["man", "his"]);

    [Fact]
    public void GenderIsRightWhenTheCandidateNamesTheReferencesGenderOnly()
    {
        (string, string, string?)[] set =
        [
            ("A woman sounds sad.", "The woman is sad.", null),                 // right
            ("The man is happy.", "A man sounds cheerful.", null),              // right
            ("Her voice is soft.", "A woman speaks softly.", null),             // right
            ("A man or a woman speaks.", "The man is calm.", null),             // both genders: wrong
            ("The woman is calm.", "The speaker is calm.", null),               // reference names none: not counted
        ];
        var scores = CaptionFactAccuracy.Score(set, Lexicon);
        Assert.Equal(4, scores.GenderClips);
        Assert.Equal(0.75, scores.GenderAccuracy);
        Assert.Equal(0, scores.EmotionClips);
        Assert.Null(scores.EmotionAccuracy);
    }

    [Fact]
    public void EmotionIsRightWhenTheCandidateNamesTheCategoryAndNoOther()
    {
        (string, string, string?)[] set =
        [
            ("A woman sounds happy.", "", "happy"),                             // right
            ("A man is very sad, speaking slowly.", "", "sad"),                 // right
            ("A man is sad and happy.", "", "sad"),                             // two categories: wrong
            ("The man speaks.", "", "happy"),                                   // none: wrong
            ("She is calm and matter-of-fact.", "", "neutral"),                 // the longer neutral phrase, not "calm": right
            ("She is calm.", "", "neutral"),                                    // calm is another category: wrong
            ("She is calm.", "", "other"),                                      // unknown category: not counted
        ];
        var scores = CaptionFactAccuracy.Score(set, Lexicon);
        Assert.Equal(6, scores.EmotionClips);
        Assert.Equal(3 / 6.0, scores.EmotionAccuracy);
        Assert.Equal(0, scores.GenderClips);
        Assert.Null(scores.GenderAccuracy);
    }

    [Fact]
    public void APhraseOfTwoCategoriesIsRejected() =>
        Assert.Throws<ArgumentException>(() => new CaptionFactLexicon(
            new Dictionary<string, IReadOnlyList<string>> { ["a"] = ["calm"], ["b"] = ["Calm!"] }, ["her"], ["his"]));

    [Fact]
    public void ReportCountsDistinctCandidatesAndPrintsFactColumns()
    {
        (string, IReadOnlyList<string>)[] set =
        [
            ("A woman is happy.", ["A woman is happy."]),
            ("A woman is happy.", ["A man is sad."]),
            ("A man is sad.", ["A man is sad."]),
            ("A woman is happy.", ["A woman is calm."]),
        ];
        var facts = CaptionFactAccuracy.Score([.. set.Select((s, i) => (s.Item1, s.Item2[0], (string?)new[] { "happy", "sad", "sad", "calm" }[i]))], Lexicon);
        Assert.Equal(0.75, facts.GenderAccuracy);
        Assert.Equal(0.5, facts.EmotionAccuracy);
        var report = CaptionReport.Score(set, CaptionLanguage.English, null, facts);
        Assert.Equal(2, report.DistinctCaptions);
        Assert.EndsWith("| - | 0.750 | 0.500 | 2/4 |", report.ToMarkdownRow("x"));
        Assert.Contains("distinct  2 of 4", report.ToText());
        Assert.Contains("gender    0.7500", report.ToText());
        Assert.Equal(CaptionReport.MarkdownHeader.Split('\n')[0].Count(ch => ch == '|'), report.ToMarkdownRow("x").Count(ch => ch == '|'));

        var chinese = CaptionReport.Score([("开心", ["开心"]), ("难过", ["伤心"])], CaptionLanguage.Chinese, null);
        Assert.EndsWith("| - | - | - | 2/2 |", chinese.ToMarkdownRow("zh"));
    }
}
