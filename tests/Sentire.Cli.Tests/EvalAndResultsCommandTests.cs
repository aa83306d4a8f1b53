using System.Text.Json;
using Sentire.Audio.Corpus;
using Sentire.Evaluation.Emotion;
using Sentire.Tests.Common;

namespace Sentire.Cli.Tests;

/// <summary>`sentire eval` and `sentire results emotion` on a tiny model and synthetic corpora built in the test.</summary>
public sealed class EvalAndResultsCommandTests
{
    internal static (string Root, IReadOnlyList<Utterance> Utterances) TwoCorpora() => TinyEmotionModel.Corpus(
        ("ravdess", "01", "male", "happy"), ("ravdess", "02", "female", "sad"), ("ravdess", "17", "male", "angry"),
        ("ravdess", "18", "female", "happy"), ("ravdess", "19", "male", "neutral"), ("ravdess", "20", "female", "sad"),
        ("ravdess", "18", "female", "calm"),
        ("ased", "01", "female", "angry"), ("ased", "03", "female", "happy"), ("ased", "39", "male", "sad"), ("ased", "41", "male", "neutral"));

    [Fact]
    public void EvalWritesReportsThatAgreeWithTheEvaluator()
    {
        var (root, utterances) = TwoCorpora();
        var model = TinyEmotionModel.Save(Directory.CreateTempSubdirectory("sentire-tiny-model").FullName);
        var outDir = Path.Combine(Directory.CreateTempSubdirectory("sentire-eval").FullName, "report");
        var (exit, output, error) = CliRunner.Run("eval", "--model", model, "--corpora", root, "--corpus", "ravdess,ased", "--split", "all", "--out", outDir);
        Assert.True(exit == 0, error);
        Assert.Contains("| corpus ased |", output);

        var predictions = EmotionEvaluator.Predict(TinyEmotionModel.Build(), utterances, TinyEmotionModel.Labels);
        var expected = EmotionEvaluator.Confusion(predictions, TinyEmotionModel.Labels);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, EmotionReport.JsonFile))).RootElement;
        Assert.Equal(1, json.GetProperty("skipped").GetInt32());                                // the "calm" clip
        var overall = json.GetProperty("overall");
        Assert.Equal(10, overall.GetProperty("clips").GetInt32());
        Assert.Equal(expected.War, overall.GetProperty("war").GetDouble(), 5);
        Assert.Equal(expected.Uar, overall.GetProperty("uar").GetDouble(), 5);
        var counts = overall.GetProperty("confusion").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) Assert.Equal(expected[TinyEmotionModel.Labels[i], TinyEmotionModel.Labels[j]], counts[i][j]);
        Assert.Equal(4, json.GetProperty("by_corpus").GetProperty("ased").GetProperty("clips").GetInt32());
        Assert.Equal(5, json.GetProperty("by_gender").GetProperty("female").GetProperty("clips").GetInt32());
        Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(outDir, EmotionReport.SvgFile)));
        Assert.Contains("![confusion matrix](confusion.svg)", File.ReadAllText(Path.Combine(outDir, EmotionReport.MarkdownFile)));

        // The fixed split tests actors 17-20 only.
        var (exit2, output2, _) = CliRunner.Run("eval", "--model", model, "--corpora", root, "--corpus", "ravdess", "--split", "ravdess-17-20");
        Assert.Equal(0, exit2);
        Assert.Contains("4 clips", output2);
    }

    [Fact]
    public void EvalUsageErrorsExitWithTwo()
    {
        var (root, _) = TwoCorpora();
        var model = TinyEmotionModel.Save(Directory.CreateTempSubdirectory("sentire-tiny-model").FullName);
        var (exit, _, error) = CliRunner.Run("eval", "--model", model, "--corpora", root, "--corpus", "iemocap");
        Assert.Equal(2, exit);
        Assert.Contains("iemocap", error);
        (exit, _, error) = CliRunner.Run("eval", "--model", model, "--corpora", root, "--split", "fold:7/5");
        Assert.Equal(2, exit);
        Assert.Contains("fold:7/5", error);
    }

    internal const string TinyRecipe = """
        name: tiny-results
        seed: 5
        variant: emo-clap
        alpha: 0.9
        data:
          corpora: [ased, ravdess]
          labels: [neutral, happy, sad, angry]
          validation: ravdess-17-20
          crop_seconds: 0.5
          max_seconds: 2.0
        encoder: {n_mels: 16, subsampling: conv, stack_frames: 4, hidden_size: 16, heads: 2, layers: 1, ffn_size: 32, dropout: 0.0}
        text: {vocab_size: 300, hidden_size: 16, heads: 2, layers: 1, ffn_size: 32, dropout: 0.0, max_tokens: 16}
        head: {projection_size: 8}
        optim: {batch_size: 4, warmup_steps: 0, epochs: 1, steps_per_epoch: 2}
        """;

    [Fact]
    public void ResultsTrainsEveryModelOnEverySplitAndResumes()
    {
        var (root, _) = TwoCorpora();
        var work = Directory.CreateTempSubdirectory("sentire-results").FullName;
        var recipe = Path.Combine(work, "tiny.yaml");
        File.WriteAllText(recipe, TinyRecipe);
        var runs = Path.Combine(work, "runs");
        var markdown = Path.Combine(work, "results.md");
        string[] args = ["results", "emotion", "--recipe", recipe, "--folds", "2", "--corpora", root, "--runs", runs, "--out", markdown];
        var (exit, _, error) = CliRunner.Run(args);
        Assert.True(exit == 0, error);
        // 4 models x (2 folds + RAVDESS 17-20), each with its result.
        var results = Directory.GetFiles(runs, "result.json", SearchOption.AllDirectories);
        Assert.Equal(12, results.Length);
        var text = File.ReadAllText(markdown);
        foreach (var row in new[] { "| classical baseline", "| Emo-CLAP |", "| SL-GEmo-CLAP |", "| ML-GEmo-CLAP |", "| duration only (no audio) |" })
            Assert.Contains(row, text);
        // Chance levels from the labels each corpus has of the recipe's four (RAVDESS's calm clip is not among them).
        Assert.Contains("baselines' arg max (ased 4, chance UAR 25.0; ravdess 4, chance UAR 25.0).", text);

        // The duration ablation scores the same ASED test clips as the main result.
        var fold = JsonDocument.Parse(File.ReadAllText(Path.Combine(runs, "emo-clap", "fold-1-2", "result.json"))).RootElement;
        Assert.True(fold.GetProperty("corpora").TryGetProperty("ased", out _));
        Assert.Equal(fold.GetProperty("corpora").GetProperty("ased").GetProperty("clips").GetInt64(),
            fold.GetProperty("ased_common_length").GetProperty("clips").GetInt64());

        // A second run finds everything done and only rewrites the table.
        var stamps = results.ToDictionary(p => p, File.GetLastWriteTimeUtc);
        (exit, _, error) = CliRunner.Run(args);
        Assert.True(exit == 0, error);
        Assert.All(stamps, kv => Assert.Equal(kv.Value, File.GetLastWriteTimeUtc(kv.Key)));
    }

    [Fact]
    public void ResultsSkipsARunAnotherProcessHoldsAndFinishesItLater()
    {
        var (root, _) = TwoCorpora();
        var work = Directory.CreateTempSubdirectory("sentire-results-lock").FullName;
        var recipe = Path.Combine(work, "tiny.yaml");
        File.WriteAllText(recipe, TinyRecipe);
        var runs = Path.Combine(work, "runs");
        var markdown = Path.Combine(work, "results.md");
        string[] args = ["results", "emotion", "--recipe", recipe, "--folds", "2", "--corpora", root, "--runs", runs, "--out", markdown, "--models", "baseline"];
        var held = Path.Combine(runs, "baseline", "fold-2-2");
        Directory.CreateDirectory(held);
        int exit;
        string error;
        // Another process (here: this one) holds fold 2's lock, as a second `results emotion` on the same folder would.
        using (new FileStream(Path.Combine(held, Sentire.Training.Clap.EmotionResults.LockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            (exit, _, error) = CliRunner.Run(args);
            Assert.True(exit == 0, error);
            Assert.False(File.Exists(Path.Combine(held, "result.json")));
            Assert.True(File.Exists(Path.Combine(runs, "baseline", "fold-1-2", "result.json")));
            Assert.True(File.Exists(Path.Combine(runs, "baseline", "ravdess-17-20", "result.json")));
            Assert.Contains("**Incomplete: 2 of 3 runs finished.**", File.ReadAllText(markdown));
            Assert.Contains("several processes of the same command on one `--runs` folder share the runs", File.ReadAllText(markdown));
        }
        // Released (its holder ended): the next invocation runs it.
        (exit, _, error) = CliRunner.Run(args);
        Assert.True(exit == 0, error);
        Assert.True(File.Exists(Path.Combine(held, "result.json")));
        Assert.DoesNotContain("Incomplete", File.ReadAllText(markdown));
    }

    [Fact]
    public void ResultsLeavesEachCorpusOutForTheModelsAskedFor()
    {
        var (root, _) = TwoCorpora();
        var work = Directory.CreateTempSubdirectory("sentire-results-loco").FullName;
        var recipe = Path.Combine(work, "tiny.yaml");
        File.WriteAllText(recipe, TinyRecipe);
        var runs = Path.Combine(work, "runs");
        var markdown = Path.Combine(work, "results.md");
        var (exit, _, error) = CliRunner.Run(["results", "emotion", "--recipe", recipe, "--folds", "2", "--corpora", root, "--runs", runs, "--out", markdown,
            "--loco", "--models", "baseline,emo-clap"]);
        Assert.True(exit == 0, error);
        // 2 models x (2 folds + RAVDESS 17-20 + leaving out ased and ravdess).
        var results = Directory.GetFiles(runs, "result.json", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(runs, p)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(10, results.Count);
        Assert.Contains(Path.Combine("emo-clap", "without-ased", "result.json"), results);
        Assert.DoesNotContain(results, p => p.StartsWith("sl-gemo-clap", StringComparison.Ordinal));
        // A LOCO run is tested on the corpus it left out, and on nothing else.
        var left = JsonDocument.Parse(File.ReadAllText(Path.Combine(runs, "emo-clap", "without-ased", "result.json"))).RootElement;
        Assert.Equal(["ased"], left.GetProperty("corpora").EnumerateObject().Select(p => p.Name));
        var text = File.ReadAllText(markdown);
        Assert.Contains("## Leave one corpus out", text);
        Assert.Contains("| model | ased UAR | ravdess UAR | mean |", text);
        Assert.Contains("--loco --models baseline,emo-clap --out", text);
        Assert.DoesNotContain("| SL-GEmo-CLAP |", text);
        Assert.DoesNotContain("Incomplete", text);

        (exit, _, error) = CliRunner.Run(["results", "emotion", "--recipe", recipe, "--corpora", root, "--runs", runs, "--models", "emo-clap,nope"]);
        Assert.Equal(2, exit);
        Assert.Contains("--models: unknown model 'nope'", error);
    }

    [Fact]
    public void ResultsTeacherRowsSplitLikeTheBaselineTableAndOnlyTheDistilledRowDistils()
    {
        var teacher = RepoPaths.Shared is { } shared ? Path.Combine(shared, "teachers", "efficientat-mn04", "mn04_as_mAP_432.pt") : null;
        if (teacher is null || !File.Exists(teacher)) { Assert.Skip("../shared/teachers/efficientat-mn04 not found (set SENTIRE_SHARED)"); return; }
        var (root, utterances) = TwoCorpora();
        var work = Directory.CreateTempSubdirectory("sentire-results-teacher").FullName;
        var recipe = Path.Combine(work, "tiny.yaml");
        File.WriteAllText(recipe, TinyRecipe);
        var runs = Path.Combine(work, "runs");
        var markdown = Path.Combine(work, "results.md");
        var teacherCache = Path.Combine(work, "teacher");
        var baselineCache = Path.Combine(work, "cache", "baseline-features");

        // Without a distill section the teacher rows are refused, naming the recipe.
        var (exit, _, error) = CliRunner.Run(["results", "emotion", "--recipe", recipe, "--corpora", root, "--runs", runs, "--models", "teacher-probe"]);
        Assert.Equal(2, exit);
        Assert.Contains("--models teacher-probe needs the teacher", error);
        Assert.Contains(recipe, error);

        string[] distill = ["--set", "seed=1234", "--set", "distill.embedding_weight=1", "--set", "distill.logits_weight=1",
            "--set", $"distill.teacher_cache={teacherCache}", "--set", $"distill.teacher={teacher}"];
        (exit, _, error) = CliRunner.Run(["results", "emotion", "--recipe", recipe, "--folds", "2", "--corpora", root, "--runs", runs, "--out", markdown,
            "--models", "teacher-probe,emo-clap,emo-clap-distil", "--baseline-features", baselineCache, .. distill]);
        Assert.True(exit == 0, error);
        Assert.Equal(9, Directory.GetFiles(runs, "result.json", SearchOption.AllDirectories).Length);   // 3 models x (2 folds + RAVDESS 17-20)

        // The probe's per-fold UAR is the one `train baseline-table` computes on the same clips and features.
        var labels = new[] { "neutral", "happy", "sad", "angry" };
        var usable = utterances.Where(u => labels.Contains(u.Emotion) && u.Gender is not null).ToList();
        using var targets = Sentire.Training.Distillation.TeacherEmbeddings.Open(teacherCache, teacher,
            CorpusSet.Load([Path.Combine(root, "ased"), Path.Combine(root, "ravdess")]), cancel: TestContext.Current.CancellationToken);
        var features = Sentire.Training.Baselines.BaselineTable.ClipFeatures(usable, baselineCache);
        var table = Sentire.Training.Baselines.BaselineTable.Run(usable, labels, 2, features, id => targets.Embedding(id).ToArray(), TestContext.Current.CancellationToken)
            .Single(s => s.Baseline == Sentire.Training.Baselines.BaselineTable.Probe);
        int compared = 0;
        for (int fold = 1; fold <= 2; fold++)
        {
            var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(runs, "teacher-probe", $"fold-{fold}-2", "result.json"))).RootElement.GetProperty("corpora");
            foreach (var corpus in new[] { "ased", "ravdess" })
                if (result.TryGetProperty(corpus, out var score))
                {
                    Assert.Equal(table.PerFold[corpus][fold - 1], score.GetProperty("uar").GetDouble(), 12);
                    compared++;
                }
        }
        Assert.Equal(4, compared);   // both corpora have test clips in both folds

        // Only the distilled row trains with the distillation weights (they are in its checkpoint's recipe).
        string Trained(string model) => Sentire.Tensors.Optim.Checkpoint.Load(Path.Combine(runs, model, "fold-1-2", "checkpoint.safetensors")).State.Recipe!;
        Assert.Matches(@"embedding_weight: 1\b", Trained("emo-clap-distil"));
        Assert.Matches(@"embedding_weight: 0\b", Trained("emo-clap"));
        var text = File.ReadAllText(markdown);
        Assert.Contains("| teacher probe (AudioSet teacher's embedding + MFCC statistics, logistic regression) |", text);
        Assert.Contains("| Emo-CLAP + distillation from the teacher", text);
        Assert.DoesNotContain("Incomplete", text);
    }

    /// <summary>`results emotion` of the tiny recipe with the real teacher for <paramref name="models"/>, 2 folds, a pre-training
    /// stage of 3 steps: RAVDESS carries the categories, ASED stands in for a corpus without them (distilled on in the
    /// pre-training stage only). Null when ../shared has no teacher.</summary>
    static (string[] Args, string Runs)? TeacherRun(string models)
    {
        var teacher = RepoPaths.Shared is { } shared ? Path.Combine(shared, "teachers", "efficientat-mn04", "mn04_as_mAP_432.pt") : null;
        if (teacher is null || !File.Exists(teacher)) return null;
        var (root, _) = TwoCorpora();
        var work = Directory.CreateTempSubdirectory("sentire-results-teacher").FullName;
        var recipe = Path.Combine(work, "tiny.yaml");
        File.WriteAllText(recipe, TinyRecipe);
        var runs = Path.Combine(work, "runs");
        return (["results", "emotion", "--recipe", recipe, "--folds", "2", "--corpora", root, "--runs", runs, "--out", Path.Combine(work, "results.md"),
            "--models", models, "--set", "data.corpora=[ravdess]", "--set", "distill.pretrain_corpora=[ased]", "--set", "distill.pretrain_steps=3",
            "--set", "distill.embedding_weight=1", "--set", "distill.logits_weight=1", "--set", $"distill.teacher_cache={Path.Combine(work, "teacher")}", "--set", $"distill.teacher={teacher}"], runs);
    }

    [Fact]
    public void ResultsPretrainedRowDistilsTheEncoderFirstThenTrainsClapAlone()
    {
        if (TeacherRun("emo-clap,emo-clap-pretrain,emo-clap-pretrain-distil") is not var (args, runs)) { Assert.Skip("../shared/teachers/efficientat-mn04 not found (set SENTIRE_SHARED)"); return; }
        var (exit, output, error) = CliRunner.Run(args);
        Assert.True(exit == 0, error);
        Assert.Equal(9, Directory.GetFiles(runs, "result.json", SearchOption.AllDirectories).Length);   // 3 models x (2 folds + RAVDESS 17-20)

        var run = Path.Combine(runs, "emo-clap-pretrain", "fold-1-2");
        var stage = Path.Combine(run, Sentire.Training.Clap.ClapTrainer.PretrainFolder);
        Assert.False(Directory.Exists(Path.Combine(runs, "emo-clap", "fold-1-2", Sentire.Training.Clap.ClapTrainer.PretrainFolder)));
        var pretrained = Sentire.Tensors.Optim.Checkpoint.Load(Path.Combine(stage, "checkpoint.safetensors"));
        Assert.Equal(3, pretrained.State.Step);
        Assert.Contains("stage: pretrain", pretrained.State.Recipe);
        Assert.Contains("auxiliary.embedding.weight", pretrained.Weights.Keys);
        Assert.Contains("auxiliary.logits.weight", pretrained.Weights.Keys);
        Assert.Contains(pretrained.Weights.Keys, k => k.StartsWith("audio_encoder.", StringComparison.Ordinal));
        Assert.DoesNotContain(pretrained.Weights.Keys, k => k.StartsWith("text_encoder.", StringComparison.Ordinal));
        // Every ASED clip (4) is in the pre-training pool beside the fold's RAVDESS training clips.
        Assert.Contains("(4 of ased)", output);
        // The CLAP stage trains without the heads, from the pre-trained encoder: same seed and data as the plain row, other weights.
        Dictionary<string, float[]> Weights(string folder) => Sentire.Tensors.Optim.Checkpoint.Load(Path.Combine(folder, "checkpoint.safetensors")).Weights
            .ToDictionary(kv => kv.Key, kv => kv.Value.Data.ToArray(), StringComparer.Ordinal);
        var clap = Weights(run);
        Assert.DoesNotContain(clap.Keys, k => k.StartsWith("auxiliary.", StringComparison.Ordinal));
        var plain = Weights(Path.Combine(runs, "emo-clap", "fold-1-2"));
        Assert.Equal(plain.Keys.Order(StringComparer.Ordinal), clap.Keys.Order(StringComparer.Ordinal));
        Assert.Contains(clap.Keys, k => k.StartsWith("audio_encoder.", StringComparison.Ordinal) && !plain[k].SequenceEqual(clap[k]));
        // Stage both: the same pre-training (the same stage checkpoint), then the CLAP objective with the heads beside it.
        var both = Path.Combine(runs, "emo-clap-pretrain-distil", "fold-1-2");
        Assert.Equal(pretrained.Weights["auxiliary.embedding.weight"].Data.ToArray(),
            Sentire.Tensors.Optim.Checkpoint.Load(Path.Combine(both, Sentire.Training.Clap.ClapTrainer.PretrainFolder, "checkpoint.safetensors")).Weights["auxiliary.embedding.weight"].Data.ToArray());
        Assert.Contains("auxiliary.embedding.weight", Weights(both).Keys);

        // The default rows' table (no --models) leaves out the run folders of a row asked for only on request (stage both).
        int models = Array.IndexOf(args, "--models");
        (exit, output, error) = CliRunner.Run([.. args[..models], .. args[(models + 2)..], "--report-only"]);
        Assert.True(exit == 0, error);
        Assert.Contains("| Emo-CLAP, encoder pre-trained on the teacher's targets (distill.stage pretrain) |", output);
        Assert.DoesNotContain("(distill.stage both)", output);

        // Resuming after the pre-training stage finished restores its weights without training it again: the CLAP stage,
        // run again from there, ends where it ended the first time.
        var stageMetrics = File.ReadAllText(Path.Combine(stage, "metrics.csv"));
        foreach (var name in new[] { "checkpoint.safetensors", "metrics.csv", "result.json" }) File.Delete(Path.Combine(run, name));
        foreach (var name in new[] { "best", "final" }) Directory.Delete(Path.Combine(run, name), recursive: true);
        (exit, _, error) = CliRunner.Run(args);
        Assert.True(exit == 0, error);
        Assert.Equal(stageMetrics, File.ReadAllText(Path.Combine(stage, "metrics.csv")));
        var again = Weights(run);
        foreach (var (key, value) in clap) Assert.Equal(value, again[key]);
    }

    [Fact]
    public void ResultsMobileNetRowTrainsTheTeachersArchitectureAndPackagesIt()
    {
        if (TeacherRun("emo-clap-mobilenet-pretrain") is not var (args, runs)) { Assert.Skip("../shared/teachers/efficientat-mn04 not found (set SENTIRE_SHARED)"); return; }
        var (exit, output, error) = CliRunner.Run(args);
        Assert.True(exit == 0, error);
        Assert.Equal(3, Directory.GetFiles(runs, "result.json", SearchOption.AllDirectories).Length);
        Assert.Contains("| Emo-CLAP, teacher-shaped MobileNet encoder pre-trained on the teacher's targets (encoder.architecture mobilenet) |", output);

        var run = Path.Combine(runs, "emo-clap-mobilenet-pretrain", "fold-1-2");
        var stage = Sentire.Tensors.Optim.Checkpoint.Load(Path.Combine(run, Sentire.Training.Clap.ClapTrainer.PretrainFolder, "checkpoint.safetensors"));
        Assert.Equal(3, stage.State.Step);
        Assert.Contains("architecture: mobilenet", stage.State.Recipe);
        Assert.Equal([384, 64, 1, 1], stage.Weights["audio_encoder.features.16.0.weight"].ShapeArray());   // the teacher's last layer at width 0.4
        // The package: config.json names the MobileNet, the weights are the teacher's layer names under audio_encoder, and batch
        // norm trained (running statistics moved from their initial 0 and 1); it loads with strict key and shape checks.
        var final = Path.Combine(run, Sentire.Training.Clap.ClapTrainer.FinalFolder);
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(final, "config.json"))).RootElement;
        Assert.Equal(0.4, config.GetProperty("mobile_net").GetProperty("width_multiplier").GetDouble(), 6);
        Assert.Equal(16, config.GetProperty("mobile_net").GetProperty("n_mels").GetInt32());
        var (_, model, _) = Sentire.Models.Clap.EmotionModelPackage.Load(final);
        var weights = model.StateDict();
        Assert.DoesNotContain(weights.Keys, k => k.StartsWith("audio_encoder.layers.", StringComparison.Ordinal));
        Assert.Contains(weights["audio_encoder.features.16.1.running_mean"].Data.ToArray(), v => v != 0);
        Assert.Contains(weights["audio_encoder.features.0.1.running_var"].Data.ToArray(), v => v != 1);
        Assert.Contains(weights["audio_encoder.feature_std"].Data.ToArray(), v => v != 1);
        // The CLAP stage went on from the pre-trained encoder.
        Assert.NotEqual(stage.Weights["audio_encoder.features.0.0.weight"].Data.ToArray(), weights["audio_encoder.features.0.0.weight"].Data.ToArray());
    }
}
