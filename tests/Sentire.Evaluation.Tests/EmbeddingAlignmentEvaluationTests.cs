using Sentire.Audio.Decoding;
using Sentire.Evaluation.Emotion;
using Sentire.Models.Clap;
using Sentire.Tensors;
using Sentire.Tests.Common;

namespace Sentire.Evaluation.Tests;

/// <summary>Test-time alignment to a recording set-up through a package's reference embedding (reference.safetensors).</summary>
public sealed class EmbeddingAlignmentEvaluationTests
{
    static readonly float[] Mu = [0.5f, -0.25f, 0.125f, 0f, 0.75f, -0.5f, 0.25f, 0.1f];   // the tiny model's P = 8

    static string PackageWithReference()
    {
        var folder = TinyEmotionModel.Save(Directory.CreateTempSubdirectory("sentire-aligned").FullName);
        EmotionModelPackage.SaveReference(folder, new ReferenceEmbedding(Mu, 12, ["ravdess", "emovo"]));
        return folder;
    }

    static float[] Normalize(float[] v)
    {
        double n = Math.Sqrt(v.Sum(x => (double)x * x));
        return v.Select(x => (float)(x / n)).ToArray();
    }

    [Fact]
    public void The_reference_round_trips_and_is_refused_beside_other_weights()
    {
        var folder = PackageWithReference();
        var loaded = EmotionRecognizer.Load(folder);
        Assert.Equal(Mu, loaded.Reference!.Mean);
        Assert.Equal(12, loaded.Reference.Clips);
        Assert.Equal(["ravdess", "emovo"], loaded.Reference.Corpora);

        TinyEmotionModel.Save(folder, seed: 8);   // new weights: the reference beside them was made with others
        var retrained = EmotionRecognizer.Load(folder);
        Assert.Null(retrained.Reference);
        Assert.Contains("made with other weights", retrained.ReferenceProblem);
        Assert.Contains("sentire train reference", retrained.ReferenceProblem);
        var e = Assert.Throws<InvalidOperationException>(() => retrained.AlignedTo([new Tensor(Mu, 1, 8)]));
        Assert.Contains("cannot align", e.Message);
        var none = EmotionRecognizer.Load(TinyEmotionModel.Save(Directory.CreateTempSubdirectory("sentire-unaligned").FullName));
        Assert.Null(none.Reference);
        Assert.Contains("has no reference.safetensors", none.ReferenceProblem);
    }

    [Fact]
    public void An_aligned_recognizer_scores_normalize_of_a_minus_the_set_mean_plus_the_reference()
    {
        var recognizer = EmotionRecognizer.Load(PackageWithReference());
        var (_, utterances) = TinyEmotionModel.Corpus(("ravdess", "01", "female", "happy"), ("ravdess", "02", "male", "sad"), ("ravdess", "03", "male", "angry"));
        var embeddings = utterances.Select(u => recognizer.EmbedClip(AudioFile.Read(u.AudioPath))).ToList();
        var aligned = recognizer.AlignedTo(embeddings);
        var template = recognizer.Config.PromptTemplate;
        var mean = Enumerable.Range(0, 8).Select(i => embeddings.Average(e => e.Data[i])).ToArray();
        for (int k = 0; k < embeddings.Count; k++)
        {
            var byHand = Normalize(Enumerable.Range(0, 8).Select(i => embeddings[k].Data[i] - mean[i] + Mu[i]).ToArray());
            var expected = recognizer.Score(new Tensor(byHand, 1, 8), TinyEmotionModel.Labels, template);
            Assert.Equal(expected, aligned.Score(embeddings[k], TinyEmotionModel.Labels, template), (x, y) => Math.Abs(x - y) < 1e-5);
            Assert.NotEqual(expected, recognizer.Score(embeddings[k], TinyEmotionModel.Labels, template), (x, y) => Math.Abs(x - y) < 1e-5);
        }
        // a set of one clip moves that clip onto the reference itself
        var alone = recognizer.AlignedTo([embeddings[0]]);
        Assert.Equal(recognizer.Score(new Tensor(Normalize(Mu), 1, 8), TinyEmotionModel.Labels, template),
            alone.Score(embeddings[0], TinyEmotionModel.Labels, template), (x, y) => Math.Abs(x - y) < 1e-5);
    }

    [Fact]
    public void The_evaluator_aligns_each_corpus_to_its_own_clips()
    {
        var recognizer = EmotionRecognizer.Load(PackageWithReference());
        var (_, utterances) = TinyEmotionModel.Corpus(("ravdess", "01", "female", "happy"), ("emovo", "m1", "male", "angry"), ("ravdess", "02", "male", "sad"),
            ("emovo", "f1", "female", "neutral"), ("emovo", "f2", "female", "sad"));
        var frontEnd = new Models.Speech.LogMelFrontEnd(recognizer.Config.FrontEnd);
        var items = utterances.Select(u => (u, frontEnd.LogMel(AudioFile.Read(u.AudioPath)))).ToList();
        var predictions = EmotionEvaluator.Predict(recognizer, items, TinyEmotionModel.Labels, alignBy: u => u.Corpus);
        foreach (var corpus in new[] { "ravdess", "emovo" })
        {
            var members = items.Where(x => x.u.Corpus == corpus).ToList();
            var aligned = recognizer.AlignedTo(members.Select(x => recognizer.EmbedFeatures(x.Item2)).ToList());
            foreach (var (u, logMel) in members)
            {
                var expected = aligned.Score(recognizer.EmbedFeatures(logMel), TinyEmotionModel.Labels, recognizer.Config.PromptTemplate);
                var got = predictions.Single(p => p.Utterance.Id == u.Id).Prediction;
                foreach (var (label, i) in TinyEmotionModel.Labels.Select((l, i) => (l, i)))
                    Assert.Equal(expected[i], got.Emotions.Single(s => s.Label == label).Probability, 5);
            }
        }
    }
}
