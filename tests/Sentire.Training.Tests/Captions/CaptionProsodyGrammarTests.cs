using Sentire.Audio.Corpus;
using Sentire.Audio.Prosody;
using Sentire.Models.Secap;
using Sentire.Tensors;
using Sentire.Training.Captions;

namespace Sentire.Training.Tests.Captions;

/// <summary>The captioner's prosody vocabulary (Sentire.Models' <see cref="CaptionProsodyWords"/> and
/// <see cref="CaptionProsodyPhrases"/>) is the grammar's: every derived caption ends with one of the phrases of its
/// levels, states exactly its non-medium levels, and contradicts none.</summary>
public sealed class CaptionProsodyGrammarTests
{
    [Fact]
    public void EveryDerivedCaptionEndsWithAPhraseOfItsLevelsAndStatesThemExactly()
    {
        var levels = Enum.GetValues<ProsodyLevel>();
        var rng = new Generator(4);
        int checkedCaptions = 0;
        foreach (var gender in new Gender?[] { Gender.Female, Gender.Male, null })
            foreach (var emotion in DerivedCaptionGrammar.KnownEmotions)
                for (int k = 0; k < 81; k++)
                    for (int draw = 0; draw < 4; draw++)
                    {
                        var prosody = new ProsodyLevels(levels[k % 3], levels[k / 3 % 3], levels[k / 9 % 3], levels[k / 27 % 3], ProsodyLevel.Medium);
                        var caption = DerivedCaptionGrammar.Generate(new CaptionFacts(emotion, "normal", gender, prosody), rng);
                        string possessive = gender switch { Gender.Female => "Her", Gender.Male => "His", _ => "Their" };
                        var phrases = CaptionProsodyPhrases.English(prosody, possessive);
                        Assert.True(phrases.Any(p => caption.EndsWith(p + ".", StringComparison.Ordinal)), $"'{caption}' ends with none of the phrases of {prosody}");
                        Assert.Empty(CaptionProsodyWords.Contradictions(caption, prosody));
                        Assert.Empty(CaptionProsodyWords.Omissions(caption, prosody));
                        checkedCaptions++;
                    }
        Assert.Equal(3 * DerivedCaptionGrammar.KnownEmotions.Count * 81 * 4, checkedCaptions);
    }

    [Fact]
    public void ThePossessiveFollowsTheSubject()
    {
        Assert.Equal("His", CaptionProsodyPhrases.Possessive("A male speaker sounds calm"));
        Assert.Equal("Her", CaptionProsodyPhrases.Possessive("The woman's voice conveys joy"));
        Assert.Equal("Their", CaptionProsodyPhrases.Possessive("The speaker is sad"));
    }

    [Fact]
    public void StatedLevelsAreReadFromTheWords()
    {
        var measured = new ProsodyLevels(ProsodyLevel.Low, ProsodyLevel.Medium, ProsodyLevel.High, ProsodyLevel.Medium, ProsodyLevel.Medium);
        // the contradiction: "a high, varied pitch" beside a low, medium-variation pitch
        var contradictions = CaptionProsodyWords.Contradictions("A man speaks in a joyful tone, with a high, varied pitch.", measured);
        Assert.Equal([(ProsodyMeasure.Pitch, ProsodyLevel.High, (ProsodyLevel?)ProsodyLevel.Low), (ProsodyMeasure.PitchVariation, ProsodyLevel.High, ProsodyLevel.Medium)], contradictions);
        // a pitch that could not be measured is never stated
        var unvoiced = measured with { Pitch = null, PitchVariation = null };
        Assert.Equal([(ProsodyMeasure.Pitch, ProsodyLevel.Low, (ProsodyLevel?)null)], CaptionProsodyWords.Contradictions("A man sounds calm, with a low pitch.", unvoiced));
        Assert.Equal([""], CaptionProsodyPhrases.English(unvoiced with { Loudness = ProsodyLevel.Medium }, "His"));
        Assert.Equal([ProsodyMeasure.Pitch, ProsodyMeasure.Loudness], CaptionProsodyWords.Omissions("A man sounds calm.", measured));
        // emotion phrases with a prosody word state no prosody
        Assert.Empty(CaptionProsodyWords.Stated("A woman is flat and unemotional."));
    }
}
