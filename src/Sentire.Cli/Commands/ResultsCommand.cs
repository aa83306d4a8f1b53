using System.CommandLine;
using Sentire.IO;
using System.Globalization;
using Sentire.Evaluation.Emotion;
using Sentire.Training;
using Sentire.Training.Clap;
using Sentire.Training.Recipes;
using Spectre.Console;

namespace Sentire.Cli.Commands;

/// <summary>
/// <c>sentire results emotion --recipe recipes/emotion-results.yaml --folds 5 --out docs/results.md</c>: trains and tests
/// the classical baseline and Emo-CLAP / SL-GEmo-CLAP / ML-GEmo-CLAP on every fold and the fixed RAVDESS split
/// (<see cref="EmotionResults"/>), then writes the results table. Stopping and running the same command again
/// resumes: finished (model, split) results are kept.
/// </summary>
public static class ResultsCommand
{
    public static Command Create()
    {
        var recipe = new Option<FileInfo>("--recipe") { Description = "CLAP recipe used for every variant (variant and data.validation are set per run).", DefaultValueFactory = _ => new FileInfo(Path.Combine("recipes", "emotion-results.yaml")) };
        var overrides = new Option<string[]>("--set") { Description = "Override a recipe value (repeatable).", AllowMultipleArgumentsPerToken = true };
        var folds = new Option<int>("--folds") { Description = "Speaker-disjoint folds.", DefaultValueFactory = _ => 5 };
        var corpora = CommonOptions.Corpora();
        var runs = new Option<DirectoryInfo>("--runs") { Description = "Folder for the per-run checkpoints and result.json files.", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("runs", "results")) };
        var output = new Option<FileInfo>("--out") { Description = "Markdown file to write.", DefaultValueFactory = _ => new FileInfo(Path.Combine("docs", "results.md")) };
        var shipped = new Option<DirectoryInfo?>("--shipped") { Description = "A packaged model to list on RAVDESS 17-20 beside the table (e.g. models/emotion-clap-mobilenet)." };
        var reportOnly = new Option<bool>("--report-only") { Description = "Write the table from the results finished so far, training nothing." };
        var loco = new Option<bool>("--loco") { Description = "Also leave each corpus of the recipe out in turn (one more run per model and corpus) and add that table." };
        var models = new Option<string?>("--models") { Description = $"Comma-separated rows to train and show (default: the baseline and the three variants; the no-prosody ablation when the recipe turns prosody on; the teacher probe and the distilled rows (auxiliary loss, pre-trained transformer, pre-trained MobileNet) when it has a distill section; any of {string.Join(", ", EmotionResults.Models)})." };
        var baselineFeatures = new Option<DirectoryInfo>("--baseline-features") { Description = "Cache folder of the clips' prosodic functionals and MFCC statistics (the teacher-probe row; shared with `train baseline-table`).", DefaultValueFactory = _ => new DirectoryInfo(Training.Baselines.BaselineTable.DefaultCache) };
        var emotion = new Command("emotion", "Baseline vs Emo-CLAP vs SL-/ML-GEmo-CLAP (and, with a teacher, the teacher probe and distilled Emo-CLAP) on every corpus, k-fold and RAVDESS 17-20.") { recipe, overrides, folds, corpora, runs, output, shipped, reportOnly, loco, models, baselineFeatures };
        emotion.SetAction((parse, cancel) =>
        {
            var recipePath = parse.GetValue(recipe)!.FullName;
            var sets = parse.GetValue(overrides) ?? [];
            int k = parse.GetValue(folds);
            if (k < 2) return Task.FromResult(Usage($"--folds must be at least 2, got {k}"));
            IReadOnlyList<string>? only = parse.GetValue(models)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (only?.FirstOrDefault(m => !EmotionResults.Models.Contains(m)) is { } unknown)
                return Task.FromResult(Usage($"--models: unknown model '{unknown}'; expected a comma-separated list of {string.Join(", ", EmotionResults.Models)}"));
            if (only is { Count: 0 }) return Task.FromResult(Usage($"--models is empty; expected a comma-separated list of {string.Join(", ", EmotionResults.Models)}"));
            if (CommonOptions.LoadRecipe<ClapRecipe>(recipePath, sets, (r, p) => r.Validate(p), m => Usage(m)) is not { } r
                || CommonOptions.CorporaRoot(parse, corpora, m => Usage(m)) is not { } root) return Task.FromResult(2);
            if (EmotionResults.MissingTeacher(r, only, recipePath) is { } missing) return Task.FromResult(Usage(missing));
            var results = new EmotionResults(recipePath, sets, root, parse.GetValue(runs)!.FullName, parse.GetValue(baselineFeatures)!.FullName);
            int status = 0;
            if (!parse.GetValue(reportOnly))
            {
                try
                {
                    AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                        .Start(ctx =>
                        {
                            var task = ctx.AddTask("results");
                            results.Run(k, new SynchronousProgress<TrainingProgress>(p =>
                            {
                                if (p.Phase == "features") { task.Description = $"decoding clips ({p.Step})"; return; }
                                if (p.Phase == "train") { task.Description = $"epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F4}"; task.MaxValue = p.Steps; task.Value = p.Step; return; }
                                AnsiConsole.MarkupLineInterpolated($"{p.Phase}");
                            }), cancel, parse.GetValue(loco), only);
                        });
                }
                catch (OperationCanceledException) { AnsiConsole.MarkupLine("[yellow]stopped; run the same command to resume[/]"); status = 130; }
            }

            var command = $"./sentire results emotion --recipe {Path.GetRelativePath(Environment.CurrentDirectory, recipePath)} --folds {k}"
                + string.Concat(sets.Select(s => $" --set {s}")) + (parse.GetValue(loco) ? " --loco" : "") + (only is null ? "" : $" --models {string.Join(',', only)}") + $" --out {Path.GetRelativePath(Environment.CurrentDirectory, parse.GetValue(output)!.FullName)}";
            var summary = string.Create(CultureInfo.InvariantCulture,
                $"Recipe `{Path.GetRelativePath(Environment.CurrentDirectory, recipePath)}` for every CLAP variant: {OptionNames.Of(r.Encoder.Subsampling)} front end, {r.Encoder.Layers} transformer layers of width {r.Encoder.HiddenSize}, " +
                $"{r.Optim.Epochs * r.Optim.StepsPerEpoch} steps of {r.Optim.BatchSize} windows of {r.Data.CropSeconds} s, alpha {r.Alpha}")
                + (r.Optim.EmaDecay > 0 ? string.Create(CultureInfo.InvariantCulture, $", the scored weights an exponential moving average of the training weights (`optim.ema_decay` {r.Optim.EmaDecay})") : "")
                + (r.Encoder.Prosody ? ", prosody on (`encoder.prosody`, our addition to the paper's audio tower: frame F0 and voicing beside the log-mel, and each window's energy and pitch statistics beside the pooled encoder output in the audio projection)" : "")
                + "; a shipped model has its own recipe, named in its model card.";
            (string, CorpusScore)? shippedScore = null;
            if (parse.GetValue(shipped) is { } shippedDir)
            {
                var recognizer = Models.Clap.EmotionRecognizer.Load(shippedDir.FullName);
                var test = Audio.Corpus.RavdessTestSplit.Split(Audio.Corpus.CorpusSet.Load(Path.Combine(root, "ravdess")).Utterances).Test;
                var matrix = EmotionEvaluator.Confusion(EmotionEvaluator.Predict(recognizer, test, r.Data.Labels), r.Data.Labels);
                var relative = Path.GetRelativePath(Environment.CurrentDirectory, shippedDir.FullName);
                var prosody = recognizer.Config.FrontEnd.Prosody ? "prosody on" : "prosody off";
                var encoder = recognizer.Config.MobileNet is null ? "transformer encoder" : "MobileNet encoder";
                shippedScore = ($"shipped model `{relative}` (Emo-CLAP, {encoder}, its own recipe, {prosody}; this split also chose its epoch)", CorpusScore.Of(matrix));
                command += $" --shipped {relative}";
            }
            var facts = EmotionResults.CorpusFacts(Audio.Corpus.CorpusSet.Load(r.Data.Corpora.Select(c => Path.Combine(root, c))).Utterances, r.Data.Labels);
            // The rows asked for (or the default ones) only: a run folder of another row in --runs does not join the table.
            var shown = EmotionResults.Rows(r, only);
            var markdown = EmotionResults.Markdown(results.Load(k, parse.GetValue(loco) ? r.Data.Corpora : null, shown), k, r.Data.Corpora, command, summary, shippedScore,
                shown, facts, parse.GetValue(loco));
            EmotionReport.WriteText(parse.GetValue(output)!.FullName, markdown);
            Console.Write(markdown);
            return Task.FromResult(status);
        });
        var command = new Command("results", "Generate the results tables of docs/ by training and testing on the corpora.");
        command.Subcommands.Add(emotion);
        return command;
    }

    static int Usage(string message)
    {
        Console.Error.WriteLine($"sentire results: {message}");
        return 2;
    }
}
