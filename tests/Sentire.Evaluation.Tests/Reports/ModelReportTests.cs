using Sentire.Audio.Corpus;
using Sentire.Audio.Decoding;
using Sentire.Audio.Perturbations;
using Sentire.Evaluation.Emotion;
using Sentire.Evaluation.Reports;
using Sentire.Models;
using Sentire.Models.Clap;
using Sentire.Models.Dimensions;
using Sentire.Tensors;
using Sentire.Tests.Common;

namespace Sentire.Evaluation.Tests.Reports;

public sealed class ModelReportTests
{
    static Utterance U(string id, string emotion) => new(id, "", 1, "ravdess", "en", "ravdess/1", Gender.Female, emotion);

    static ItemPrediction P(Utterance u, string top, double a, double v, double d) =>
        new(u, new EmotionPrediction(0, 1, [new EmotionScore(top, 0.8), new EmotionScore(top == "sad" ? "happy" : "sad", 0.2)], new EmotionDimensions(a, v, d)));

    [Fact]
    public void Scores_match_hand_computed_ccc_and_uar()
    {
        var u = new[] { U("r/1", "happy"), U("r/2", "sad"), U("r/3", "sad") };
        // targets: arousal = prediction (CCC 1); valence x = [.1 .2 .3] vs y = [.2 .4 .6] -> 8/22; dominance [0 1 0] vs [1 0 1] -> -0.8
        var targets = new Dictionary<string, EmotionDimensions>
        {
            ["r/1"] = new(0.2, 0.2, 1), ["r/2"] = new(0.4, 0.4, 0), ["r/3"] = new(0.6, 0.6, 1),
        };
        var predictions = new[] { P(u[0], "happy", 0.2, 0.1, 0), P(u[1], "happy", 0.4, 0.2, 1), P(u[2], "sad", 0.6, 0.3, 0) };
        var s = Scores.Of(predictions, ["happy", "sad"], x => targets[x.Id]);
        Assert.Equal(1, s.Dimensions[0].Ccc, 9);
        Assert.Equal(0, s.Dimensions[0].Mae, 9);
        Assert.Equal(8.0 / 22, s.Dimensions[1].Ccc, 9);
        Assert.Equal(-0.8, s.Dimensions[2].Ccc, 9);
        Assert.Equal((1.0 + 0.5) / 2, s.Uar, 12);     // happy 1/1, sad 1/2
    }

    [Fact]
    public void Identity_perturbation_changes_nothing_and_the_pages_hold_every_chart()
    {
        var (_, utterances) = TinyEmotionModel.Corpus(
            ("ravdess", "01", "male", "happy"), ("ravdess", "01", "male", "sad"), ("ravdess", "02", "female", "angry"),
            ("ravdess", "02", "female", "neutral"), ("ravdess", "03", "male", "sad"), ("ravdess", "03", "male", "happy"));
        var folder = TinyEmotionModel.Save(Directory.CreateTempSubdirectory("sentire-tiny-model").FullName);
        EmotionModelPackage.SaveDimensionalHead(folder, new DimensionalHead(new DimensionalHeadConfig(InputSize: 16, HiddenSize: 8), new Generator(1), new Generator(2)));
        var recognizer = EmotionRecognizer.Load(folder);
        EmotionDimensions Target(Utterance u) => new(u.Emotion == "sad" ? 0.3 : 0.7, u.Emotion == "happy" ? 0.8 : 0.3, 0.5 + 0.01 * u.Id.Length);

        var report = ModelReport.Run(recognizer, "tiny", utterances, TinyEmotionModel.Labels, [new Gain(0), new WhiteNoise(0)], Target, seed: 5);
        Assert.Equal(["clean", "gain+0db", "white-0db"], report.Conditions.Select(c => c.Condition));
        var (clean, same) = (report.Conditions[0], report.Conditions[1]);
        Assert.Equal(0, same.DeltaUar);
        Assert.All(same.DeltaCcc, d => Assert.Equal(0, d, 12));
        Assert.Equal(clean.Scores.Uar, same.Scores.Uar);
        Assert.Equal(["corpus ravdess", "gender female", "gender male", "speaker ravdess/01", "speaker ravdess/02", "speaker ravdess/03"],
            report.Groups.Select(g => $"{g.Kind} {g.Group}"));
        Assert.Equal(6, report.Groups.Where(g => g.Kind == "speaker").Sum(g => g.Clips));
        var (spread, worst, best) = report.SpeakerSpread();
        Assert.Equal(best.Scores.Uar - worst.Scores.Uar, spread, 12);

        // Noise seeds are per clip and per run seed: the same run twice gives the same numbers.
        var again = ModelReport.Run(recognizer, "tiny", utterances, TinyEmotionModel.Labels, [new WhiteNoise(0)], Target, seed: 5);
        Assert.Equal(report.Conditions[2].Scores.Dimensions, again.Conditions[1].Scores.Dimensions);

        var page = new ReportPage(report, "derived");
        var markdown = page.ToMarkdown();
        Assert.Contains("| gain+0db |", markdown);
        Assert.Contains("![confusion matrix](confusion.svg)", markdown);
        var html = page.ToHtml();
        Assert.Equal(5, html.Split("<svg").Length - 1);
        var output = Directory.CreateTempSubdirectory("sentire-report").FullName;
        page.WriteTo(output);
        Assert.Equal(["arousal-valence.svg", "confusion.svg", "report.html", "report.md", "robustness-ccc.svg", "robustness-uar.svg", "speakers-uar.svg"],
            Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Model_without_a_head_gets_categories_only()
    {
        var (_, utterances) = TinyEmotionModel.Corpus(("ravdess", "01", "male", "happy"), ("ravdess", "02", "female", "sad"), ("ravdess", "02", "female", "angry"));
        var report = ModelReport.Run(TinyEmotionModel.Build(), "tiny", utterances, TinyEmotionModel.Labels, [new Clipping(6)], _ => new EmotionDimensions(0.5, 0.5, 0.5));
        Assert.False(report.HasDimensions);
        Assert.All(report.Conditions, c => Assert.All(c.Scores.Dimensions, d => Assert.True(double.IsNaN(d.Ccc))));
        var page = new ReportPage(report, "derived");
        Assert.DoesNotContain("CCC arousal", page.ToMarkdown());
        Assert.Contains("no arousal/valence/dominance head", page.ToMarkdown());
        Assert.Equal(["confusion.svg", "robustness-uar.svg", "speakers-uar.svg"], page.Charts.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_student_is_reported_like_the_teacher()
    {
        var (_, utterances) = TinyEmotionModel.Corpus(("ravdess", "01", "male", "happy"), ("ravdess", "02", "female", "sad"),
            ("ravdess", "02", "female", "angry"), ("ravdess", "03", "male", "neutral"));
        var student = EmotionModels.Load(TinyEmotionModel.SaveStudent(Directory.CreateTempSubdirectory("sentire-tiny-student").FullName));
        var report = ModelReport.Run(student, "tiny", utterances, TinyEmotionModel.Labels, [new Gain(0)], _ => new EmotionDimensions(0.5, 0.5, 0.5));
        Assert.Equal("tiny-student", report.ModelName);
        Assert.True(report.HasDimensions);
        // Each clean prediction is the student's own answer for that clip, and gain 0 dB changes nothing.
        for (int i = 0; i < utterances.Count; i++)
            Assert.Equal(student.Analyze(AudioFile.Read(utterances[i].AudioPath), TinyEmotionModel.Labels).Emotions, report.Clean[i].Prediction.Emotions);
        Assert.Equal(report.Conditions[0].Scores.Uar, report.Conditions[1].Scores.Uar);
        Assert.Equal(["corpus ravdess", "gender female", "gender male", "speaker ravdess/01", "speaker ravdess/02", "speaker ravdess/03"],
            report.Groups.Select(g => $"{g.Kind} {g.Group}"));
        Assert.Equal(EmotionEvaluator.Confusion(report.Clean, TinyEmotionModel.Labels).Uar, report.Conditions[0].Scores.Uar, 12);
        Assert.Contains("CCC arousal", new ReportPage(report, "derived").ToMarkdown());
    }

    [Fact]
    public void Clip_seed_is_stable_and_depends_on_id_and_run_seed()
    {
        Assert.Equal(ModelReport.ClipSeed(1, "ravdess/a"), ModelReport.ClipSeed(1, "ravdess/a"));
        Assert.NotEqual(ModelReport.ClipSeed(1, "ravdess/a"), ModelReport.ClipSeed(1, "ravdess/b"));
        Assert.NotEqual(ModelReport.ClipSeed(1, "ravdess/a"), ModelReport.ClipSeed(2, "ravdess/a"));
    }
}
