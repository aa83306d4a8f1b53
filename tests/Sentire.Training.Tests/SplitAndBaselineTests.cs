using Sentire.Audio.Corpus;
using Sentire.Training.Baselines;
using Sentire.Training.Clap;
using Sentire.Training.Recipes;

namespace Sentire.Training.Tests;

public sealed class SplitAndBaselineTests
{
    static IReadOnlyList<Utterance> Corpora()
    {
        var list = new List<Utterance>();
        string[] emotions = ["happy", "sad", "angry"];
        foreach (var (corpus, speakers) in new[] { ("ravdess", 10), ("emovo", 5), ("urdu", 15) })
            for (int s = 0; s < speakers; s++)
                for (int e = 0; e < 6; e++)
                    list.Add(new Utterance($"{corpus}/{s}-{e}", "", 1, corpus, "en", $"{corpus}/{s}", Gender.Male, emotions[e % 3]));
        return list;
    }

    [Fact]
    public void FoldsHoldOutAFifthOfTheSpeakersOfEveryCorpus()
    {
        var all = Corpora();
        var tested = new HashSet<string>();
        for (int k = 1; k <= 5; k++)
        {
            var split = ClapTrainer.Split(all, $"fold:{k}/5", 1234);
            var testSpeakers = split.Test.Select(u => u.Speaker!).ToHashSet();
            Assert.DoesNotContain(split.Train, u => testSpeakers.Contains(u.Speaker!));
            Assert.Equal(all.Count, split.Train.Count + split.Test.Count);
            // 10, 5 and 15 speakers: exactly 2, 1 and 3 of them in every fold.
            Assert.Equal(2, testSpeakers.Count(s => s.StartsWith("ravdess/")));
            Assert.Equal(1, testSpeakers.Count(s => s.StartsWith("emovo/")));
            Assert.Equal(3, testSpeakers.Count(s => s.StartsWith("urdu/")));
            foreach (var u in split.Test) Assert.True(tested.Add(u.Id), $"{u.Id} tested twice");
        }
        Assert.Equal(all.Count, tested.Count);
        Assert.Throws<RecipeException>(() => ClapTrainer.Split(all, "fold:0/5", 1));
        Assert.Null(HeldOutSpeakers.ParseFold("fold:3"));
    }

    [Fact]
    public void RavdessActorsPlusFoldsHoldOutSpeakersOfEveryCorpus()
    {
        // RAVDESS with 20 actors, EMOVO with 5 speakers, TESS with only 2 (fewer than the 5 folds).
        var all = new List<Utterance>();
        foreach (var (corpus, speakers) in new[] { ("ravdess", 20), ("emovo", 5), ("tess", 2) })
            for (int s = 1; s <= speakers; s++)
                for (int e = 0; e < 3; e++)
                    all.Add(new Utterance($"{corpus}/{s:00}-{e}", "", 1, corpus, "en", $"{corpus}/{s:00}", Gender.Female, new[] { "happy", "sad", "angry" }[e]));
        var split = ClapTrainer.Split(all, "ravdess-17-20+fold:1/5", 1234);
        var test = split.Test.Select(u => u.Speaker!).Distinct().Order().ToList();
        Assert.Equal(["ravdess/17", "ravdess/18", "ravdess/19", "ravdess/20"], test.Where(s => s.StartsWith("ravdess/")));
        Assert.Single(test, s => s.StartsWith("emovo/"));
        Assert.Single(test, s => s.StartsWith("tess/"));
        Assert.DoesNotContain(split.Train, u => test.Contains(u.Speaker!));
        Assert.Equal(all.Count, split.Train.Count + split.Test.Count);
        // TESS's two folds alternate: folds 1, 3, 5 hold out one voice, folds 2 and 4 the other.
        string TessHeldOut(int k) => ClapTrainer.Split(all, $"fold:{k}/5", 1234).Test.Single(u => u.Corpus == "tess" && u.Emotion == "happy").Speaker!;
        Assert.NotEqual(TessHeldOut(1), TessHeldOut(2));
        Assert.Equal(TessHeldOut(1), TessHeldOut(3));
        var sample = ClapTrainer.ValidationSample(split.Test, 2, 1234);
        Assert.Equal([2, 2, 2], sample.GroupBy(u => u.Corpus).Select(g => g.Count()));
        Assert.Equal(sample, ClapTrainer.ValidationSample(split.Test, 2, 1234));
        Assert.Same(split.Test, ClapTrainer.ValidationSample(split.Test, 0, 1234));
        Assert.NotNull(HeldOutSpeakers.Parse("ravdess-17-20+fold:2/5"));
        Assert.Null(HeldOutSpeakers.Parse("ravdess-17-20+fold:6/5"));
        // Leave one corpus out: every EMOVO clip tested, every other clip trained on; a corpus not loaded is named.
        var loco = ClapTrainer.Split(all, "without:emovo", 1234);
        Assert.Equal(15, loco.Test.Count);
        Assert.All(loco.Test, u => Assert.Equal("emovo", u.Corpus));
        Assert.Equal(all.Count - 15, loco.Train.Count);
        Assert.DoesNotContain(loco.Train, u => u.Corpus == "emovo");
        Assert.Contains("data.validation 'without:nemo': leaving out corpus 'nemo' needs clips of it and of another corpus; the 81 clips given are of emovo, ravdess, tess", Assert.Throws<RecipeException>(() => ClapTrainer.Split(all, "without:nemo", 1)).Message);
        Assert.Null(HeldOutSpeakers.Parse("without:"));
        var lone = all.Append(new Utterance("solo/1", "", 1, "solo", "en", "solo/1", Gender.Male, "sad")).ToList();
        Assert.Contains("corpus 'solo' has 1 speaker(s)", Assert.Throws<RecipeException>(() => ClapTrainer.Split(lone, "fold:1/5", 1)).Message);
    }

    [Fact]
    public void DurationBaselineTakesTheMajorityLabelOfTheNearestDuration()
    {
        (double, string)[] train = [(2.4, "angry"), (2.4, "angry"), (2.4, "sad"), (2.9, "happy"), (3.5, "sad"), (3.9, "fearful")];
        var predicted = DurationBaseline.Predict(train, [2.41, 2.9, 3.2, 3.7, 5.0, 2.65]);
        // 3.2 is 0.3 from 2.9 and 3.5: nearer neither, the shorter wins; 3.7 ties 3.5 and 3.9 the same way; 2.65 ties 2.4 and 2.9.
        Assert.Equal(["angry", "happy", "happy", "sad", "fearful", "angry"], predicted);
    }
}
