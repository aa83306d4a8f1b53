using System.Text.Json;
using Sentire.Audio.Decoding;
using Sentire.Evaluation.Emotion;
using Sentire.Models.Clap;
using Sentire.Tensors;
using Sentire.Tests.Common;

namespace Sentire.Cli.Tests;

/// <summary>`sentire train reference` and `sentire eval --align` on a tiny model and the corpora of <see cref="EvalAndResultsCommandTests"/>.</summary>
public sealed class AlignmentCommandTests
{
    [Fact]
    public void Reference_is_the_corpus_balanced_mean_of_the_training_clips_and_eval_aligns_with_it()
    {
        var (root, utterances) = EvalAndResultsCommandTests.TwoCorpora();
        var model = TinyEmotionModel.Save(Directory.CreateTempSubdirectory("sentire-tiny-model").FullName);
        var recipe = Path.Combine(Directory.CreateTempSubdirectory("sentire-reference").FullName, "tiny.yaml");
        File.WriteAllText(recipe, EvalAndResultsCommandTests.TinyRecipe);

        var (exit, _, error) = CliRunner.Run("eval", "--model", model, "--corpora", root, "--corpus", "ravdess,ased", "--split", "all", "--align", "corpus");
        Assert.Equal(2, exit);
        Assert.Contains("has none", error);
        Assert.Contains("sentire train reference", error);

        (exit, var output, error) = CliRunner.Run("train", "reference", "--model", model, "--recipe", recipe, "--corpora", root);
        Assert.True(exit == 0, error);
        // training clips: ravdess 01 and 02 (17-20 are the test speakers; the "calm" clip is not a recipe label) and the four of ased
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
