using System.Text.Json;
using Sentire.Audio.Decoding;
using Sentire.Evaluation.Emotion;
using Sentire.Models.Clap;
using Sentire.Tensors;
using Sentire.Tests.Common;

namespace Sentire.Cli.Tests;

/// <summary>`sentire train reference` and `sentire eval --align` on a tiny model.</summary>
public sealed class AlignmentCommandTests
{
    const string TinyRecipe = """
        name: tiny-reference
        seed: 5
        variant: emo-clap
        data:
          corpora: [ased, ravdess]
          labels: [neutral, happy, sad, angry]
          validation: ravdess-17-20
          crop_seconds: 0.5
          max_seconds: 2.0
        encoder: {n_mels: 16, subsampling: conv, stack_frames: 4, hidden_size: 16, heads: 2, layers: 1, ffn_size: 32, dropout: 0.0}
        text: {vocab_size: 300, hidden_size: 16, heads: 2, layers: 1, ffn_size: 32, dropout: 0.0, max_tokens: 16}
        head: {projection_size: 8}
        """;

    static (string Root, IReadOnlyList<Sentire.Audio.Corpus.Utterance> Utterances) TwoCorpora() => TinyEmotionModel.Corpus(
        ("ravdess", "01", "male", "happy"), ("ravdess", "02", "female", "sad"), ("ravdess", "03", "female", "calm"), ("ravdess", "17", "male", "angry"),
        ("ravdess", "18", "female", "happy"), ("ravdess", "19", "male", "neutral"), ("ravdess", "20", "female", "sad"),
        ("ased", "01", "female", "angry"), ("ased", "03", "female", "happy"), ("ased", "39", "male", "sad"), ("ased", "41", "male", "neutral"));

    [Fact]
    public void Reference_is_the_corpus_balanced_mean_of_the_training_clips_and_eval_aligns_with_it()
    {
        var (root, utterances) = TwoCorpora();
        var model = TinyEmotionModel.Save(Directory.CreateTempSubdirectory("sentire-tiny-model").FullName);
        var recipe = Path.Combine(Directory.CreateTempSubdirectory("sentire-reference").FullName, "tiny.yaml");
        File.WriteAllText(recipe, TinyRecipe);

        var (exit, _, error) = CliRunner.Run("eval", "--model", model, "--corpora", root, "--corpus", "ravdess,ased", "--split", "all", "--align", "corpus");
        Assert.Equal(2, exit);
        Assert.Contains("has none", error);
        Assert.Contains("sentire train reference", error);

        (exit, var output, error) = CliRunner.Run("train", "reference", "--model", model, "--recipe", recipe, "--corpora", root);
        Assert.True(exit == 0, error);
        // training clips: ravdess 01 and 02 (17-20 are the test speakers; 03's "calm" is not a recipe label) and the four of ased
        Assert.Contains("the mean of 6 training clips of ased, ravdess", output);
        var recognizer = EmotionRecognizer.Load(model);
        var frontEnd = new Models.Speech.LogMelFrontEnd(recognizer.Config.FrontEnd);
        float[] Embed(Sentire.Audio.Corpus.Utterance u) => recognizer.EmbedFeatures(frontEnd.LogMel(AudioFile.Read(u.AudioPath))).Data.ToArray();
        float[] MeanOf(IEnumerable<float[]> rows) { var r = rows.ToList(); return Enumerable.Range(0, 8).Select(i => r.Average(v => v[i])).ToArray(); }
        var ravdess = MeanOf(utterances.Where(u => u.Corpus == "ravdess" && u.Speaker is "ravdess/01" or "ravdess/02").Select(Embed));
        var ased = MeanOf(utterances.Where(u => u.Corpus == "ased").Select(Embed));
        Assert.Equal(ravdess.Zip(ased, (a, b) => (a + b) / 2).ToArray(), recognizer.Reference!.Mean, (x, y) => Math.Abs(x - y) < 1e-5);

        var outDir = Path.Combine(Directory.CreateTempSubdirectory("sentire-eval").FullName, "report");
        (exit, output, error) = CliRunner.Run("eval", "--model", model, "--corpora", root, "--corpus", "ravdess,ased", "--split", "all", "--align", "corpus", "--out", outDir);
        Assert.True(exit == 0, error);
        Assert.Contains("aligned per corpus", output);
        var items = utterances.Select(u => (u, frontEnd.LogMel(AudioFile.Read(u.AudioPath)))).ToList();
        var expected = EmotionEvaluator.Confusion(EmotionEvaluator.Predict(recognizer, items, TinyEmotionModel.Labels, alignBy: u => u.Corpus), TinyEmotionModel.Labels);
        var overall = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, EmotionReport.JsonFile))).RootElement.GetProperty("overall");
        Assert.Equal(expected.Uar, overall.GetProperty("uar").GetDouble(), 5);
        Assert.Equal(expected.War, overall.GetProperty("war").GetDouble(), 5);
    }
}
