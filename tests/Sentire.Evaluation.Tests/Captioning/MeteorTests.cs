using Sentire.Evaluation.Captioning;

namespace Sentire.Evaluation.Tests.Captioning;

public sealed class MeteorTests
{
    static string[] W(string s) => s.Split(' ');

    [Fact]
    public void IdenticalSentenceLosesOnlyTheOneChunkPenalty()
    {
        // m = 6, P = R = 1, F_mean = 1, one chunk: penalty 0.5 (1/6)^3.
        Assert.Equal(1 - 0.5 * Math.Pow(1.0 / 6, 3), Meteor.Sentence(W("the man sounds very angry today"), W("the man sounds very angry today"), stem: false), 10);
    }

    [Fact]
    public void MatchesHandComputedFragmentation()
    {
        // candidate a b c d, reference a b x c d: m = 4, P = 1, R = 0.8, F_mean = 10 * 0.8 / (0.8 + 9) = 8 / 9.8,
        // chunks "a b" and "c d" = 2: penalty 0.5 (2/4)^3 = 0.0625.
        Assert.Equal(8 / 9.8 * (1 - 0.0625), Meteor.Sentence(W("a b c d"), W("a b x c d"), stem: false), 10);
    }

    [Fact]
    public void StemModuleMatchesInflections()
    {
        // "speaks" ~ "speak", "angrily" does not stem to "angry": exact gives 1 match, stems give 2.
        Assert.True(Meteor.Sentence(W("she speaks"), W("she speak"), stem: true) > Meteor.Sentence(W("she speaks"), W("she speak"), stem: false));
        Assert.Equal(0, Meteor.Sentence(W("happy"), W("sad"), stem: true));
    }

    [Theory]
    [InlineData("caresses", "caress")]
    [InlineData("ponies", "poni")]
    [InlineData("cats", "cat")]
    [InlineData("agreed", "agre")]
    [InlineData("plastered", "plaster")]
    [InlineData("motoring", "motor")]
    [InlineData("sing", "sing")]
    [InlineData("conflated", "conflat")]
    [InlineData("hopping", "hop")]
    [InlineData("filing", "file")]
    [InlineData("happy", "happi")]
    [InlineData("relational", "relat")]
    [InlineData("generalization", "gener")]
    [InlineData("electrical", "electr")]
    [InlineData("adjustment", "adjust")]
    [InlineData("roll", "roll")]
    public void PorterStemsThePaperExamples(string word, string stem) => Assert.Equal(stem, PorterStemmer.Stem(word));
}

public sealed class SentenceSimilarityTests
{
    sealed class Fixed(Dictionary<string, float[]> vectors) : ISentenceEncoder
    {
        public string Name => "fixed";
        public float[] Encode(string text) => vectors[text];
    }

    [Fact]
    public void IsMeanBestCosineTimesHundred()
    {
        var encoder = new Fixed(new() { ["a"] = [1, 0], ["b"] = [0, 1], ["c"] = [1, 1] });
        // caption 1: cos(a, b) = 0, cos(a, c) = 0.7071 -> best 0.7071; caption 2: cos(b, b) = 1.
        var sim = SentenceSimilarity.Corpus([("a", ["b", "c"]), ("b", ["b"])], encoder);
        Assert.Equal(100 * (Math.Sqrt(0.5) + 1) / 2, sim, 4);
    }
}
