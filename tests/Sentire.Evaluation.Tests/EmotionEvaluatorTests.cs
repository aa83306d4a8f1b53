using Sentire.Audio.Corpus;
using Sentire.Audio.Decoding;
using Sentire.Evaluation.Emotion;
using Sentire.Models.Analysis;
using Sentire.Models.Clap;
using Sentire.Tests.Common;

namespace Sentire.Evaluation.Tests;

public sealed class EmotionEvaluatorTests
{
    static Utterance U(string id, string corpus, Gender gender, string? emotion) => new(id, "", 1, corpus, "en", corpus + "/1", gender, emotion);

    static ItemPrediction P(Utterance u, string top, params string[] rest) =>
        new(u, new EmotionPrediction(0, 1, new[] { new EmotionScore(top, 0.7) }.Concat(rest.Select(r => new EmotionScore(r, 0.3 / rest.Length))).ToList()));

    [Fact]
    public void ConfusionAndGroupsMatchHandCounts()
    {
        // ravdess: (happy->happy, sad->happy, sad->sad), emovo: (happy->sad, angry->angry); one clip labelled "calm"
        // is outside the label list and must not count.
        string[] labels = ["happy", "sad", "angry"];
        var predictions = new[]
        {
            P(U("r1", "ravdess", Gender.Female, "happy"), "happy", "sad", "angry"),
            P(U("r2", "ravdess", Gender.Male, "sad"), "happy", "sad", "angry"),
            P(U("r3", "ravdess", Gender.Female, "sad"), "sad", "happy", "angry"),
            P(U("e1", "emovo", Gender.Male, "happy"), "sad", "happy", "angry"),
            P(U("e2", "emovo", Gender.Male, "angry"), "angry", "happy", "sad"),
            P(U("e3", "emovo", Gender.Male, "calm"), "angry", "happy", "sad"),
        };
        var all = EmotionEvaluator.Confusion(predictions, labels);
        Assert.Equal(5, all.Total);
        Assert.Equal(3 / 5.0, all.War, 12);
        Assert.Equal((1 / 2.0 + 1 / 2.0 + 1.0) / 3, all.Uar, 12);     // happy 1/2, sad 1/2, angry 1/1
        Assert.Equal(1, all["sad", "happy"]);

        var byCorpus = EmotionEvaluator.By(predictions, u => u.Corpus, labels);
        Assert.Equal(["emovo", "ravdess"], byCorpus.Keys);
        Assert.Equal(2 / 3.0, byCorpus["ravdess"].War, 12);
        Assert.Equal(1 / 2.0, byCorpus["emovo"].War, 12);
        Assert.Equal(2, byCorpus["emovo"].Total);

        var byGender = EmotionEvaluator.By(predictions, EmotionEvaluator.GenderOf, labels);
        Assert.Equal(1.0, byGender["female"].War, 12);                  // r1, r3 right
        Assert.Equal(1 / 3.0, byGender["male"].War, 12);                // r2 wrong, e1 wrong, e2 right
    }

    [Fact]
    public void PredictKeepsOrderSkipsUnknownLabelsAndMatchesTheRecognizerClipByClip()
    {
        var (_, utterances) = TinyEmotionModel.Corpus(
            ("ravdess", "01", "female", "happy"), ("ravdess", "02", "male", "sad"), ("ravdess", "01", "female", "calm"),
            ("emovo", "f1", "female", "angry"), ("emovo", "m1", "male", "neutral"), ("emovo", "m1", "male", "disgust"),
            ("emovo", "m2", "male", "happy"), ("ravdess", "03", "male", "angry"));
        var recognizer = TinyEmotionModel.Build();
        var done = new List<int>();
        var predictions = EmotionEvaluator.Predict(recognizer, utterances, TinyEmotionModel.Labels, progress: new SyncProgress(done));

        var expected = utterances.Where(u => u.Emotion is not ("calm" or "disgust")).ToList();
        Assert.Equal(expected.Select(u => u.Id), predictions.Select(p => p.Utterance.Id));
        Assert.Equal(2, predictions.Skipped);
        Assert.Equal(expected.Count, done.Count);
        foreach (var p in predictions)
        {
            var reference = recognizer.Analyze(AudioFile.Read(p.Utterance.AudioPath), TinyEmotionModel.Labels);
            Assert.Equal(reference.Emotions, p.Prediction.Emotions);
        }
        // The tones differ, so a random model does not give every clip the same answer: the test can see a mix-up of items.
        Assert.True(predictions.Select(p => p.Prediction.Emotions[0].Probability).Distinct().Count() > 1);
    }

    [Fact]
    public void TransformChangesWhatIsScored()
    {
        var (_, utterances) = TinyEmotionModel.Corpus(("ravdess", "01", "female", "happy"), ("ravdess", "02", "male", "sad"));
        var recognizer = TinyEmotionModel.Build();
        var quiet = new float[16000];
        for (int n = 0; n < quiet.Length; n++) quiet[n] = 0.05f * MathF.Sin(2 * MathF.PI * 440 * n / 16000);
        var seen = new List<string>();
        var predictions = EmotionEvaluator.Predict(recognizer, utterances, TinyEmotionModel.Labels, (clip, u) =>
        {
            lock (seen) seen.Add(u.Id);
            return AudioClip.FromMono(quiet, 16000);
        });
        var reference = recognizer.Analyze(AudioClip.FromMono(quiet, 16000), TinyEmotionModel.Labels);
        Assert.All(predictions, p => Assert.Equal(reference.Emotions, p.Prediction.Emotions));
        Assert.Equal(utterances.Select(u => u.Id).Order(), seen.Order());
    }

    [Fact]
    public void FeaturePathAgreesWithAudioPath()
    {
        var (_, utterances) = TinyEmotionModel.Corpus(("ravdess", "01", "female", "happy"), ("emovo", "m1", "male", "angry"), ("ravdess", "02", "male", "sad"));
        var recognizer = TinyEmotionModel.Build();
        var frontEnd = new Models.Speech.LogMelFrontEnd(recognizer.Config.FrontEnd);
        var fromAudio = EmotionEvaluator.Predict(recognizer, utterances, TinyEmotionModel.Labels);
        var fromFeatures = EmotionEvaluator.Predict(recognizer, utterances.Select(u => (u, frontEnd.LogMel(AudioFile.Read(u.AudioPath)))).ToList(), TinyEmotionModel.Labels);
        Assert.Equal(fromAudio.Count, fromFeatures.Count);
        for (int i = 0; i < fromAudio.Count; i++)
            for (int j = 0; j < TinyEmotionModel.Labels.Length; j++)
            {
                Assert.Equal(fromAudio[i].Prediction.Emotions[j].Label, fromFeatures[i].Prediction.Emotions[j].Label);
                Assert.Equal(fromAudio[i].Prediction.Emotions[j].Probability, fromFeatures[i].Prediction.Emotions[j].Probability, 6);
            }
    }

    sealed class SyncProgress(List<int> values) : IProgress<int>
    {
        public void Report(int value) { lock (values) values.Add(value); }
    }
}
