using Sentire.Evaluation.Captioning;

namespace Sentire.Evaluation.Tests.Captioning;

/// <summary>The malformed captions of issue 15 are each caught, by the rule that names their fault; well-formed
/// captions of the derived grammar and human Chinese captions pass.</summary>
public sealed class CaptionWellFormednessTests
{
    static readonly IReadOnlySet<string> Lexicon = new HashSet<string>(StringComparer.Ordinal)
    {
        "a", "man", "male", "speaker", "is", "neutral", "speaks", "in", "sad", "tone", "with", "low", "varied", "pitch", "sounds",
        "woman", "her", "voice", "soft", "and", "slow", "flat", "speaking", "loudly",
    };

    [Theory]
    [InlineData("A man speaks in a sad tone, with a low,.", "',.'")]
    [InlineData("A male speaker is neutral, with a low, variede", "does not end")]
    [InlineData("A male speaker is neutral, with a low, variede.", "unknown word 'variede'")]
    [InlineData("A man sounds sad, with a low, in one sentence. A male speaker sounds sad.", "instruction text")]
    [InlineData("Describe the speaker's emotion in one sentence.", "instruction text")]
    [InlineData("A male speaker is neutral, with a low, variede语调就上扬，愉悦的感受。", "outside English")]
    [InlineData("a man sounds sad.", "capital")]
    [InlineData("A man sounds sad , with a low pitch.", "space before")]
    [InlineData("A man sounds sad, with a.", "dangling word 'a'")]
    [InlineData("A man sounds sad, speaking loudly and.", "dangling word 'and'")]
    [InlineData("A man sounds sad. A man sounds sad. A man sounds sad.", "3 sentences")]
    [InlineData("", "empty")]
    public void EnglishFaultsAreNamed(string caption, string fault)
    {
        var problems = CaptionWellFormedness.Problems(caption, "en", Lexicon);
        Assert.Contains(problems, p => p.Contains(fault, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("A man sounds sad; his voice is soft and slow, with a low, flat pitch.")]
    [InlineData("A woman speaks in a neutral tone, with a varied pitch, speaking loudly.")]
    [InlineData("A man is neutral. A man sounds sad.")]
    public void WellFormedEnglishPasses(string caption) =>
        Assert.Empty(CaptionWellFormedness.Problems(caption, "en", new HashSet<string>(Lexicon) { "his" }));

    [Theory]
    [InlineData("心情快乐舒畅", "does not end")]
    [InlineData("心情快乐舒畅，。", "'，。'")]
    [InlineData("请用一句话描述说话人的情感。", "instruction text")]
    [InlineData("心情 happy 舒畅。", "Latin")]
    public void ChineseFaultsAreNamed(string caption, string fault) =>
        Assert.Contains(CaptionWellFormedness.Problems(caption, "zh"), p => p.Contains(fault, StringComparison.Ordinal));

    [Fact]
    public void WellFormedChinesePasses() => Assert.Empty(CaptionWellFormedness.Problems("伤心难过，声音颤抖，情绪激动失望。", "zh"));
}
