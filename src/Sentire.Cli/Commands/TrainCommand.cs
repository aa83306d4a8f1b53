using System.CommandLine;
using Sentire.Training;
using Sentire.Training.Clap;
using Sentire.Training.Recipes;
using Spectre.Console;

namespace Sentire.Cli.Commands;

/// <summary><c>sentire train clap --recipe recipes/X.yaml [--set key=value ...]</c>: trains with progress; Ctrl+C stops
/// after saving nothing half-written, and the same command resumes from the last finished epoch.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var train = new Command("train", "Train a model from a recipe.");
        var recipe = new Option<FileInfo>("--recipe") { Description = "Recipe YAML file (recipes/*.yaml).", Required = true };
        var overrides = new Option<string[]>("--set") { Description = "Override a recipe value, e.g. --set optim.epochs=5 (repeatable).", AllowMultipleArgumentsPerToken = true };
        var corpora = new Option<DirectoryInfo>("--corpora") { Description = "Folder holding the corpus folders.", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("..", "shared", "corpora")) };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Run folder (checkpoint, metrics.csv, best/). Default: runs/<recipe name>." };

        var clap = new Command("clap", "Emo-CLAP / SL-GEmo-CLAP / ML-GEmo-CLAP emotion recognition (recipe variant).");
        foreach (var o in new Option[] { recipe, overrides, corpora, output }) clap.Options.Add(o);
        clap.SetAction((parse, cancel) =>
        {
            var recipePath = parse.GetValue(recipe)!.FullName;
            var sets = parse.GetValue(overrides) ?? [];
            ClapRecipe r;
            try
            {
                r = RecipeLoader.Load<ClapRecipe>(recipePath, sets);
                r.Validate(recipePath);
            }
            catch (RecipeException e) { AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}"); return Task.FromResult(2); }
            var corporaRoot = parse.GetValue(corpora)!.FullName;
            if (!Directory.Exists(corporaRoot)) { AnsiConsole.MarkupLineInterpolated($"[red]error:[/] corpora folder {corporaRoot} not found (--corpora)"); return Task.FromResult(2); }
            var runFolder = parse.GetValue(output)?.FullName ?? Path.Combine("runs", r.Name);
            var trainer = new ClapTrainer(r, RecipeLoader.ToYaml(r), corporaRoot, runFolder);
            AnsiConsole.MarkupLineInterpolated($"training [bold]{r.Name}[/] ({r.Variant}) into {runFolder}");
            try
            {
                AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .Start(ctx =>
                    {
                        var features = ctx.AddTask("features");
                        var epochTask = ctx.AddTask("epoch", autoStart: false);
                        trainer.Run(new SynchronousProgress<TrainingProgress>(p =>
                        {
                            if (p.Phase == "features") { features.MaxValue = p.Steps; features.Value = p.Step; return; }
                            features.Value = features.MaxValue;
                            if (p.Phase == "train")
                            {
                                if (!epochTask.IsStarted) epochTask.StartTask();
                                epochTask.Description = $"epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F4} lr {p.LearningRate:G3}";
                                epochTask.MaxValue = p.Steps;
                                epochTask.Value = p.Step;
                            }
                            else AnsiConsole.MarkupLineInterpolated($"{p.Phase}");
                        }), cancel);
                    });
            }
            catch (OperationCanceledException) { AnsiConsole.MarkupLine("[yellow]stopped; run the same command to resume from the last finished epoch[/]"); return Task.FromResult(130); }
            catch (RecipeException e) { AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}"); return Task.FromResult(2); }
            AnsiConsole.MarkupLineInterpolated($"done: best model in {Path.Combine(runFolder, ClapTrainer.BestFolder)}, metrics in {Path.Combine(runFolder, ClapTrainer.MetricsFile)}");
            return Task.FromResult(0);
        });
        train.Subcommands.Add(clap);
        return train;
    }
}
