using System.Text.Json;
using Sentire.Evaluation.Captioning;
using Sentire.Tests.Common;

namespace Sentire.Evaluation.Tests;

/// <summary>Checks against ../shared/testvectors/caption-metrics.json: scores computed by the reference
/// COCO caption evaluation code (pycocoevalcap) on real caption sets; they must match to 1e-6.</summary>
public sealed class CaptionMetricsTests
{
    static JsonElement? Vectors()
    {
        if (RepoPaths.Shared is not { } shared) return null;
        var path = Path.Combine(shared, "testvectors", "caption-metrics.json");
        return File.Exists(path) ? JsonDocument.Parse(File.ReadAllText(path)).RootElement : null;
    }

    public static TheoryData<string> SetNames() => ["zh-chars", "en-words"];

    static JsonElement Set(string name) =>
        Vectors()!.Value.GetProperty("sets").EnumerateArray().First(s => s.GetProperty("name").GetString() == name);

    [Theory, MemberData(nameof(SetNames))]
    public void ScoresMatchTheReferenceImplementation(string name)
    {
        if (Vectors() is null) { Assert.Skip("../shared/testvectors is absent"); return; }
        var set = Set(name);
        var items = set.GetProperty("items").EnumerateArray().Select(item => new ScoredCaption(
            item.GetProperty("candidate_tokens").GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            item.GetProperty("reference_tokens").EnumerateArray().Select(r => (IReadOnlyList<string>)r.GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList())).ToList();
        var expected = set.GetProperty("scores");
        var got = CaptionMetrics.Score(items);
        Assert.Equal(expected.GetProperty("bleu1").GetDouble(), got.Bleu1, 1e-6);
        Assert.Equal(expected.GetProperty("bleu2").GetDouble(), got.Bleu2, 1e-6);
        Assert.Equal(expected.GetProperty("bleu3").GetDouble(), got.Bleu3, 1e-6);
        Assert.Equal(expected.GetProperty("bleu4").GetDouble(), got.Bleu4, 1e-6);
        Assert.Equal(expected.GetProperty("rouge_l").GetDouble(), got.RougeL, 1e-6);
        Assert.Equal(expected.GetProperty("cider_d").GetDouble(), got.CiderD, 1e-6);
    }

    [Theory, MemberData(nameof(SetNames))]
    public void TokenizerReproducesTheReferenceTokens(string name)
    {
        if (Vectors() is null) { Assert.Skip("../shared/testvectors is absent"); return; }
        var language = name.StartsWith("zh", StringComparison.Ordinal) ? CaptionLanguage.Chinese : CaptionLanguage.English;
        foreach (var item in Set(name).GetProperty("items").EnumerateArray())
        {
            Assert.Equal(item.GetProperty("candidate_tokens").GetString(), string.Join(' ', CaptionTokenizer.Tokenize(item.GetProperty("candidate").GetString()!, language)));
            var refs = item.GetProperty("references").EnumerateArray().Zip(item.GetProperty("reference_tokens").EnumerateArray());
            foreach (var (text, tokens) in refs)
                Assert.Equal(tokens.GetString(), string.Join(' ', CaptionTokenizer.Tokenize(text.GetString()!, language)));
        }
    }

    [Fact]
    public void IdenticalCaptionsScorePerfectBleuAndRouge()
    {
        string[] a = ["a", "woman", "speaks", "softly", "and", "sadly"];
        var got = CaptionMetrics.Score([new ScoredCaption(a, [a])]);
        Assert.Equal(1.0, got.Bleu4, 1e-9);
        Assert.Equal(1.0, got.RougeL, 1e-9);
    }
}
