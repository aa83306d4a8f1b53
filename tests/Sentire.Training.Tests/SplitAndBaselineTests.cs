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
        Assert.Null(ClapTrainer.ParseFold("fold:3"));
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
