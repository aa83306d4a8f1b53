using System.Xml.Linq;
using Sentire.Audio.Corpus;
using Sentire.Audio.Decoding;
using Sentire.Audio.Perturbations;
using Sentire.Evaluation.Emotion;
using Sentire.Evaluation.Reports;
using Sentire.Evaluation.Tests.Charts;
using Sentire.Models.Analysis;
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
    public void Every_chart_of_the_page_fits_its_box_and_shows_uar_in_percent_as_the_tables()
    {
        // 8 RAVDESS classes, 4 speakers with long names, a condition that drives valence CCC below zero
        string[] labels = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"];
        var random = new Random(7);
        var clean = new List<ItemPrediction>();
        var noisy = new List<ItemPrediction>();
        for (int s = 0; s < 4; s++)
            foreach (var truth in labels)
            {
                var u = new Utterance($"r/{s}/{truth}", "", 1, "ravdess", "en", $"ravdess/speaker-with-a-long-name-{s}", s % 2 == 0 ? Gender.Female : Gender.Male, truth);
                string guess = random.NextDouble() < 0.6 ? truth : labels[random.Next(labels.Length)];
                clean.Add(new(u, new EmotionPrediction(0, 1, [new EmotionScore(guess, 0.9)], new EmotionDimensions(random.NextDouble(), random.NextDouble(), random.NextDouble()))));
                noisy.Add(new(u, new EmotionPrediction(0, 1, [new EmotionScore(labels[random.Next(labels.Length)], 0.9)], new EmotionDimensions(0.5, 1 - Target(u).Valence, 0.5))));
            }
        static EmotionDimensions Target(Utterance u) => new(u.Emotion is "angry" or "happy" ? 0.8 : 0.3, u.Emotion is "happy" or "calm" ? 0.8 : 0.2, 0.5);
        var (cleanScores, noisyScores) = (Scores.Of(clean, labels, Target), Scores.Of(noisy, labels, Target));
        Assert.True(noisyScores.Dimensions[1].Ccc < 0);
        var report = new ModelReport
        {
            ModelName = "a-model-with-a-long-name", TestSet = "synthetic", Labels = labels, Clean = clean, HasDimensions = true,
            Conditions = [new("clean", cleanScores, 0, [0, 0, 0]), new("white-noise-at-minus-5db-snr", noisyScores, noisyScores.Uar - cleanScores.Uar, [0, 0, 0])],
            Groups = [.. clean.GroupBy(p => p.Utterance.Speaker!).Select(g => new GroupResult("speaker", g.Key, g.Count(), Scores.Of([.. g], labels, Target)))],
        };
        var page = new ReportPage(report, "derived");
        Assert.Equal(5, page.Charts.Count);
        foreach (var (file, svg) in page.Charts)
        {
            try { SvgGeometry.AssertFits(svg); }
            catch (Exception e) { throw new Xunit.Sdk.XunitException($"{file}: {e.Message}"); }
        }

        // UAR is a percentage in the charts as in the tables, on an axis that says so
        var uar = XDocument.Parse(page.Charts["robustness-uar.svg"]);
        string Pct(double v) => (100 * v).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(report.Conditions.Select(c => Pct(c.Scores.Uar)), Texts(uar, "value"));
        Assert.Equal(["UAR (%)"], Texts(uar, "axis x"));
        Assert.Equal("100", Texts(uar, "tick x")[^1]);
        foreach (var c in report.Conditions) Assert.Contains($"| {c.Condition} | {Pct(c.Scores.Uar)} |", page.ToMarkdown());
        var speakers = XDocument.Parse(page.Charts["speakers-uar.svg"]);
        Assert.Equal(report.Groups.Select(g => Pct(g.Scores.Uar)), Texts(speakers, "value"));
        Assert.Equal(["UAR (%)"], Texts(speakers, "axis x"));
        // mean CCC below zero: the axis reaches below zero
        Assert.StartsWith("-", Texts(XDocument.Parse(page.Charts["robustness-ccc.svg"]), "tick x")[0]);
        var scatter = XDocument.Parse(page.Charts["arousal-valence.svg"]);
        Assert.Equal(6, Texts(scatter, "tick x").Count);
        Assert.Equal(6, Texts(scatter, "tick y").Count);
        // the page scales charts to a phone's width and lets wide tables scroll
        var html = page.ToHtml();
        Assert.Contains("name=\"viewport\"", html);
        Assert.Contains("figure svg{max-width:100%;height:auto}", html);
    }

    static List<string> Texts(XDocument doc, string role) =>
        doc.Descendants(SvgGeometry.Svg + "text").Where(t => (string?)t.Attribute("class") == role).Select(t => t.Value).ToList();

    [Fact]
    public void Clip_seed_is_stable_and_depends_on_id_and_run_seed()
    {
        Assert.Equal(ModelReport.ClipSeed(1, "ravdess/a"), ModelReport.ClipSeed(1, "ravdess/a"));
        Assert.NotEqual(ModelReport.ClipSeed(1, "ravdess/a"), ModelReport.ClipSeed(1, "ravdess/b"));
        Assert.NotEqual(ModelReport.ClipSeed(1, "ravdess/a"), ModelReport.ClipSeed(2, "ravdess/a"));
    }
}
