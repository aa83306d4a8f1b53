using Sentire.Audio.Corpus;
using Sentire.Audio.Prosody;
using Sentire.Tensors;
using Sentire.Training.Captions;

namespace Sentire.Training.Tests.Captions;

public sealed class CaptionDataTests
{
    [Fact]
    public void ThirtyDistinctInstructionsPerLanguage()
    {
        Assert.Equal(30, CaptionInstructions.English.Distinct().Count());
        Assert.Equal(30, CaptionInstructions.Chinese.Distinct().Count());
        Assert.Equal("Describe the speaker's emotion in one sentence.", CaptionInstructions.English[0]);
        Assert.Throws<ArgumentException>(() => CaptionInstructions.For("fr"));
    }

    [Fact]
    public void DerivedCaptionsStateTheFactsAndVary()
    {
        var facts = new CaptionFacts("angry", "strong", Gender.Female,
            new ProsodyLevels(ProsodyLevel.High, ProsodyLevel.Medium, ProsodyLevel.High, ProsodyLevel.Medium, ProsodyLevel.Medium));
        var rng = new Generator(7);
        var captions = Enumerable.Range(0, 40).Select(_ => DerivedCaptionGrammar.Generate(facts, rng)).ToList();
        Assert.True(captions.Distinct().Count() >= 10, "the grammar should paraphrase");
        Assert.All(captions, c =>
        {
            Assert.EndsWith(".", c);
            Assert.Matches("(?i)woman|female|her", c);
            Assert.Matches("furious|very angry|enraged|anger|irritation|rage", c);
            Assert.DoesNotMatch(@"\b(his|man|male)\b", c);
            Assert.DoesNotMatch("soft|quiet|slow|low pitch", c);       // only what was measured
        });
        Assert.Contains(captions, c => c.Contains("loud", StringComparison.Ordinal) || c.Contains("forcefully", StringComparison.Ordinal));
        Assert.Equal(DerivedCaptionGrammar.Generate(facts, new Generator(3)), DerivedCaptionGrammar.Generate(facts, new Generator(3)));
    }

    [Theory]
    [InlineData("伤心难过，又无能为力", "sad")]
    [InlineData("心里生气，恼怒且气愤", "angry")]
    [InlineData("语调十分欢快，整个人神采飞扬的", "happy")]
    [InlineData("声音微扬，话语中带着焦急", "fearful")]
    [InlineData("语气惊喜，略带兴奋", "surprised")]
    [InlineData("声音平稳", "neutral")]
    [InlineData("悲伤逆流成河", "sad")]
    [InlineData("说得很清楚", "other")]
    public void ChineseCategoriesFollowTheFirstKeyword(string caption, string category) => Assert.Equal(category, ChineseCaptionCategories.Of(caption));
}
