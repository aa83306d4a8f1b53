using Sentire.Models.Secap;

namespace Sentire.Models.Tests.Secap;

/// <summary>The words a caption held to an analysis's emotion may not use (<see cref="CaptionEmotionWords.OtherEmotionWords"/>):
/// every phrase of every other emotion holds one of them, so none can be written in full, while the emotion's own name
/// and its phrases that name no other emotion stay open.</summary>
public sealed class CaptionEmotionWordsTests
{
    [Fact]
    public void EveryPhraseOfAnotherEmotionHoldsAForbiddenWord()
    {
        foreach (var emotion in CaptionEmotionWords.English.Keys)
        {
            var forbidden = CaptionEmotionWords.OtherEmotionWords(emotion);
            foreach (var (other, phrases) in CaptionEmotionWords.Phrases)
            {
                if (other == emotion) continue;
                foreach (var phrase in phrases)
                    Assert.True(CaptionText.Words(phrase).Any(forbidden.Contains), $"held to {emotion}, a caption could still write {other}'s '{phrase}'");
            }
        }
    }

    [Fact]
    public void TheEmotionsOwnWordsStayOpen()
    {
        foreach (var (emotion, wording) in CaptionEmotionWords.English)
        {
            var forbidden = CaptionEmotionWords.OtherEmotionWords(emotion);
            Assert.DoesNotContain(wording.Plain[0], forbidden);
            Assert.DoesNotContain(wording.Nouns[0].Split(' ')[^1], forbidden);
            foreach (var modifier in CaptionEmotionWords.Modifiers) Assert.DoesNotContain(modifier, forbidden);
        }
        var neutral = CaptionEmotionWords.OtherEmotionWords("neutral");
        // "calm" is calm's own name, though neutral's "calm and matter-of-fact" holds it; the rest of that phrase is open
        Assert.Contains("calm", neutral);
        Assert.DoesNotContain("matter-of-fact", neutral);
        Assert.Contains("joy", neutral);
        Assert.Contains("particular", CaptionEmotionWords.OtherEmotionWords("happy"));   // "no particular emotion" is neutral
        Assert.DoesNotContain("particular", neutral);
    }

    [Fact]
    public void ALabelWithoutEnglishWordingHoldsNothing()
    {
        Assert.Empty(CaptionEmotionWords.OtherEmotionWords("excited"));
        Assert.Equal(9, CaptionEmotionWords.English.Count);
    }

    [Fact]
    public void ClausesFollowTheGrammarsFormsAfterTheSubjectOfTheLmsClause()
    {
        Assert.Equal("A female speaker", CaptionEmotionWords.Subject("A female speaker sounds tense"));
        Assert.Equal("The man", CaptionEmotionWords.Subject("The man's voice conveys anger"));
        Assert.Equal("A person", CaptionEmotionWords.Subject("A person is calm"));
        Assert.Equal("The speaker", CaptionEmotionWords.Subject("Somebody talking"));
        Assert.Equal("A man speaks in an irritated tone", CaptionEmotionWords.Clause(1, "A man", "irritated", "rage"));
        Assert.Equal("A man speaks in a furious tone", CaptionEmotionWords.Clause(1, "A man", "furious", "rage"));
        var angry = CaptionEmotionWords.Clauses("A man", "angry");
        Assert.Equal(15, angry.Count);   // 3 forms x 3 plain adjectives + 2 forms x 3 nouns
        Assert.Contains("A man's voice conveys rage", angry);
        Assert.Contains("A man is annoyed", angry);
        Assert.All(angry, c => Assert.DoesNotContain(CaptionText.Words(c), CaptionEmotionWords.OtherEmotionWords("angry").Contains));
        Assert.Throws<ArgumentOutOfRangeException>(() => CaptionEmotionWords.Clause(5, "A man", "angry", "anger"));
    }
}
