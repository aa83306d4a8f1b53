using System.CommandLine;
using Sentire.Audio.Corpus;
using Sentire.Evaluation.Emotion;
using Sentire.Models;
using Sentire.Models.Analysis;
using Sentire.Models.Clap;
using Sentire.Training;
using Sentire.Training.Clap;
using Sentire.Training.Data;
using Sentire.Training.Recipes;
using Spectre.Console;

namespace Sentire.Cli.Commands;

/// <summary>
/// <c>sentire eval --model M --corpora ROOT --corpus ravdess[,emovo..] --split ravdess-17-20|fold:K/N|ravdess-17-20+fold:K/N|all [--labels ..] [--out DIR] [--feature-cache DIR]</c>:
/// zero-shot emotion recognition of the test speakers of a split, scored by <see cref="EmotionEvaluator"/>. Prints WAR,
/// UAR, macro-F1 overall, per corpus and per gender, and the confusion matrix; <c>--out</c> writes report.md,
/// confusion.svg and report.json.
/// </summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var model = CommonOptions.EmotionModel();
        var corpora = CommonOptions.Corpora();
        var corpus = new Option<string>("--corpus") { Description = "Comma-separated corpus folders, e.g. ravdess,emovo.", DefaultValueFactory = _ => "ravdess" };
        var split = new Option<string>("--split") { Description = "Test speakers: ravdess-17-20, fold:K/N (speaker-disjoint within each corpus, as training) or all.", DefaultValueFactory = _ => "ravdess-17-20" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the fold assignment (the recipes' seed).", DefaultValueFactory = _ => 1234UL };
        var labels = new Option<string?>("--labels") { Description = "Comma-separated labels (default: the model's); clips with other labels are left out." };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Folder for report.md, confusion.svg and report.json." };
        var featureCache = new Option<DirectoryInfo?>("--feature-cache") { Description = "Read each corpus's log-mel frames from this cache (the training recipes' data.feature_cache, e.g. cache/emotion-features; filled on first use) instead of decoding every clip: the same frames, minutes less for the Ogg Opus corpora." };
        var align = new Option<string>("--align")
        {
            Description = "Score each recording set-up's clips with its mean embedding moved onto the model's reference (reads the test clips' audio, never their labels): " +
                "none, corpus (one set-up per corpus) or speaker (one per speaker). CLAP models with a reference embedding (`sentire train reference`).",
            DefaultValueFactory = _ => "none",
        };
        align.AcceptOnlyFromAmong("none", "corpus", "speaker");
        var command = new Command("eval", "Evaluate an emotion model on corpus speakers (WAR, UAR, macro-F1, confusion matrix).") { model, corpora, corpus, split, seed, labels, output, featureCache, align };
        command.SetAction(parse =>
        {
            var root = parse.GetValue(corpora)!.FullName;
            var names = parse.GetValue(corpus)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (names.Length == 0) return Usage("--corpus is empty: name at least one corpus folder, e.g. --corpus ravdess");
            var missing = names.Where(n => !File.Exists(Path.Combine(root, n, ManifestReader.FileName))).ToList();
            if (missing.Count > 0) return Usage($"no {ManifestReader.FileName} in {string.Join(", ", missing.Select(n => Path.Combine(root, n)))} (--corpora, --corpus)");
            IReadOnlyList<string>? labelList = null;
            if (parse.GetValue(labels) is { } l)
            {
                labelList = LabelList.Parse(l, out var repeated);
                if (labelList.Count == 0) return Usage("--labels is empty: give at least one label");
                if (repeated.Count > 0)
                    Console.Error.WriteLine($"sentire eval: warning: --labels repeats {string.Join(", ", repeated)} (labels are compared ignoring case); using {string.Join(",", labelList)}");
            }

            IEmotionAnalyzer recognizer;   // the teacher, the student or a published model, as analyze takes them
            try { recognizer = EmotionModels.Load(ModelLocator.Resolve(parse.GetValue(model))); }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or NotSupportedException) { return Usage(e.Message); }
            IReadOnlyList<string> evaluated = labelList ?? recognizer.Labels;
            if (recognizer.RequestProblem(evaluated, null) is { } requestProblem) return Usage(requestProblem);

            var utterances = CorpusSet.Load(names.Select(n => Path.Combine(root, n))).Utterances;
            var splitName = parse.GetValue(split)!;
            IReadOnlyList<Utterance> test;
            try { test = splitName == "all" ? utterances : ClapTrainer.Split(utterances, splitName, parse.GetValue(seed)).Test; }
            catch (Exception e) when (e is RecipeException or ArgumentException)
            {
                return Usage($"--split must be ravdess-17-20, fold:K/N with 1 <= K <= N, ravdess-17-20+fold:K/N or all; got '{splitName}'");
            }

            if (parse.GetValue(featureCache) is not null && recognizer is not EmotionRecognizer)
                return Usage($"--feature-cache holds the log-mel frames of a CLAP model's front end; {recognizer.Name} does not read them");
            Func<Utterance, string>? alignBy = parse.GetValue(align) switch { "corpus" => u => u.Corpus, "speaker" => u => u.Speaker ?? u.Corpus, _ => null };
            if (alignBy is not null && recognizer is not EmotionRecognizer { Reference: not null })
                return Usage($"--align moves clip embeddings onto the model's reference embedding; {recognizer.Name} has none" +
                    (recognizer is EmotionRecognizer r ? $": {r.ReferenceProblem}" : " (a CLAP model's)"));
            ItemPredictions predictions = null!;
            AnsiConsole.Progress().Start(ctx =>
            {
                var task = ctx.AddTask($"scoring {test.Count} clips", maxValue: Math.Max(1, test.Count));
                var report = new SynchronousProgress<int>(n => task.Value = n);
                if (recognizer is EmotionRecognizer teacher && (parse.GetValue(featureCache) is not null || alignBy is not null))
                {
                    // Whole corpora go through the cache (one file per corpus, shared with training); the test clips are scored.
                    // Without a cache (--align alone) only the test clips are decoded.
                    var cache = parse.GetValue(featureCache)?.FullName;
                    var tested = test.Select(u => u.Corpus).ToHashSet(StringComparer.Ordinal);
                    var frames = EmotionClipSet.Frames(cache is null ? test : utterances.Where(u => tested.Contains(u.Corpus)).ToList(), new Models.Speech.LogMelFrontEnd(teacher.Config.FrontEnd), null, cache);
                    predictions = EmotionEvaluator.Predict(teacher, test.Select(u => (u, frames[u.Id])).ToList(), evaluated, report, alignBy);
                }
                else predictions = EmotionEvaluator.Predict(recognizer, test, evaluated, progress: report);
            });
            var title = $"{recognizer.Name} on {string.Join("+", names)}, split {splitName}{(alignBy is null ? "" : $", aligned per {parse.GetValue(align)}")}";
            var report = new EmotionReport(title, predictions, evaluated, predictions.Skipped);
            Console.Write(report.ToMarkdown());
            if (parse.GetValue(output) is { } dir)
            {
                report.WriteTo(dir.FullName);
                Console.WriteLine($"wrote {Path.Combine(dir.FullName, EmotionReport.MarkdownFile)}, {EmotionReport.SvgFile}, {EmotionReport.JsonFile}");
            }
            return 0;
        });
        return command;
    }

    static int Usage(string message)
    {
        Console.Error.WriteLine($"sentire eval: {message}");
        return 2;
    }
}
