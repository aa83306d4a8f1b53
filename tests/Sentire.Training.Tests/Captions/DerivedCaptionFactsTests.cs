using System.Security.Cryptography;
using System.Text;
using Sentire.Audio.Corpus;
using Sentire.Audio.Prosody;
using Sentire.Evaluation.Captioning;
using Sentire.Tensors;
using Sentire.Training.Captions;

namespace Sentire.Training.Tests.Captions;

/// <summary>The grammar's phrase lists as a <see cref="CaptionFactLexicon"/>: every caption the grammar writes is read
/// back as its own gender and emotion, and exposing the lists left the generated captions unchanged.</summary>
public sealed class DerivedCaptionFactsTests
{
    /// <summary>Captions over every emotion, intensity and gender, with prosody cycling through the levels.</summary>
    static List<(CaptionFacts Facts, string Caption)> Sample()
    {
        var levels = Enum.GetValues<ProsodyLevel>();
        var rng = new Generator(20261122);
        var all = new List<(CaptionFacts, string)>();
        int k = 0;
        foreach (var emotion in DerivedCaptionGrammar.KnownEmotions.Order(StringComparer.Ordinal))
            foreach (var intensity in new string?[] { null, "normal", "strong" })
                foreach (var gender in new Gender?[] { Gender.Female, Gender.Male, null })
                    for (int i = 0; i < 8; i++, k++)
                    {
                        var prosody = new ProsodyLevels(levels[k % 3], levels[k / 3 % 3], levels[k / 9 % 3], levels[k / 27 % 3], ProsodyLevel.Medium);
                        var facts = new CaptionFacts(emotion, intensity, gender, prosody);
                        all.Add((facts, DerivedCaptionGrammar.Generate(facts, rng)));
                    }
        return all;
    }

    [Fact]
    public void GeneratedCaptionsAreUnchanged()
    {
        // SHA-256 of the sample captions as the grammar wrote them before its word lists were exposed.
        var text = string.Join("\n", Sample().Select(s => s.Caption));
        Assert.Equal("a21ad2fe5f4c8a0ace99ff1061f734ef68d3badb081eb55a3e23dce5b30f5568", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))));
    }

    [Fact]
    public void TheLexiconReadsBackEveryGeneratedCaption()
    {
        var lexicon = DerivedCaptionGrammar.FactLexicon;
        foreach (var (facts, caption) in Sample())
        {
            Assert.Equal(facts.Gender switch { Gender.Female => "female", Gender.Male => "male", _ => null }, lexicon.GenderOf(caption));
            Assert.Equal([facts.Emotion], lexicon.EmotionsNamed(caption));
        }
        // a caption scored against itself is right on every fact
        var set = Sample().Select(s => (s.Caption, s.Caption, (string?)s.Facts.Emotion)).ToList();
        var scores = CaptionFactAccuracy.Score(set, lexicon);
        Assert.Equal(1.0, scores.GenderAccuracy);
        Assert.Equal(1.0, scores.EmotionAccuracy);
        Assert.Equal(set.Count * 2 / 3, scores.GenderClips);          // "The speaker"/"A person" name no gender
        Assert.Equal(set.Count, scores.EmotionClips);
    }

    [Fact]
    public void GenderWordsComeFromTheSubjects()
    {
        Assert.Equal(["woman", "her", "female", "she"], DerivedCaptionGrammar.FemaleWords);
        Assert.Equal(["man", "his", "male", "he"], DerivedCaptionGrammar.MaleWords);
        Assert.Contains("calm and matter-of-fact", Models.Secap.CaptionEmotionWords.Phrases["neutral"]);
        Assert.Equal("neutral", Assert.Single(DerivedCaptionGrammar.FactLexicon.EmotionsNamed("She sounds calm and matter-of-fact.")));
        Assert.Equal(["calm", "sad"], DerivedCaptionGrammar.FactLexicon.EmotionsNamed("A calm but sad man.").Order(StringComparer.Ordinal));
    }
}
