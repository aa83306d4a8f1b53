using Sentire.Evaluation.Captioning;

namespace Sentire.Evaluation.Tests.Captioning;

public sealed class CentralCaptionTests
{
    [Fact]
    public void PicksTheCaptionWithTheHighestMeanCiderDAgainstTheOthers()
    {
        // df over the pool: a 3, b 2, "a b" 2, c 1, "a c" 1; idf = ln 3 - ln df, so "a" weighs 0.
        // "a b" vs "a b": cosine 1 for n = 1, 2 and 0 for n = 3, 4 (no such n-grams), equal lengths: 10 * 2/4 = 5.
        // "a b" vs "a c": the only shared gram is "a", weight 0: 0. Means over the other two: 2.5, 2.5, 0.
        var (caption, score) = CentralCaption.Select(["A b", "a b.", "a c"], CaptionLanguage.English);
        Assert.Equal("A b", caption);
        Assert.Equal(2.5, score, 1e-9);
    }

    [Fact]
    public void ChineseIsScoredOnCharacters()
    {
        // as words, each caption is one unshared token and the first would win; as characters 声 and 音 are shared
        var (caption, _) = CentralCaption.Select(["平淡", "声音高", "声音低"], CaptionLanguage.Chinese);
        Assert.Equal("声音高", caption);
    }

    [Fact]
    public void APoolOfOneIsRefused() =>
        Assert.Throws<ArgumentException>(() => CentralCaption.Select(["only one"], CaptionLanguage.English));
}
