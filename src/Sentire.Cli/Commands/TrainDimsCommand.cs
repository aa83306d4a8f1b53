using System.CommandLine;
using Sentire.Training;
using Sentire.Training.Clap;
using Sentire.Training.Dimensions;
using Sentire.Training.Recipes;
using Spectre.Console;

namespace Sentire.Cli.Commands;

/// <summary><c>sentire train dims --model M --recipe recipes/dimensions-small.yaml</c>: trains an arousal/valence/dominance
/// head on the model's speech encoder (derived targets) and writes it into the model package; resumable like every
/// training command. Re-running it after the encoder was retrained starts afresh.</summary>
public static class TrainDimsCommand
{
    public static Command Create(Option<DirectoryInfo> corpora)
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Model package to add the head to (its encoder stays frozen unless encoder.fine_tune).", Required = true };
        var recipe = new Option<FileInfo>("--recipe") { Description = "Recipe YAML file.", DefaultValueFactory = _ => new FileInfo(Path.Combine("recipes", "dimensions-small.yaml")) };
        var overrides = new Option<string[]>("--set") { Description = "Override a recipe value, e.g. --set optim.epochs=20 (repeatable).", AllowMultipleArgumentsPerToken = true };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Run folder (checkpoint, metrics.csv, pooled-output cache). Default: runs/<recipe name>." };
        var command = new Command("dims", "Arousal/valence/dominance head with a CCC loss on derived targets (and a ranking loss on ordinal arousal levels).") { model, recipe, overrides, corpora, output };
        command.SetAction((parse, cancel) =>
        {
            var recipePath = parse.GetValue(recipe)!.FullName;
            if (CommonOptions.LoadRecipe<DimensionsRecipe>(recipePath, parse.GetValue(overrides) ?? [], (r, p) => r.Validate(p), m => Error(m)) is not { } r
                || CommonOptions.CorporaRoot(parse, corpora, m => Error(m)) is not { } corporaRoot) return Task.FromResult(2);
            var modelFolder = parse.GetValue(model)!.FullName;
            if (!File.Exists(Path.Combine(modelFolder, Models.Clap.EmotionModelPackage.ConfigFile))) return Task.FromResult(Error($"{modelFolder} is not a model package (no config.json)"));
            var runFolder = parse.GetValue(output)?.FullName ?? Path.Combine("runs", r.Name);
            var trainer = new DimensionsTrainer(r, RecipeLoader.ToYaml(r), corporaRoot, modelFolder, runFolder);
            // A console made per run, on the streams of this moment (tests redirect them).
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
            console.MarkupLineInterpolated($"training [bold]{r.Name}[/] (derived targets, encoder {(r.Encoder.FineTune ? "fine-tuned" : "frozen")}) into {runFolder}");
            DimensionsEpochMetrics last;
            try
            {
                last = TrainingProgressView.Run(console, "encoder outputs", p => $"epoch {p.Epoch}/{p.Epochs} CCC loss {p.Loss:F4}", p => trainer.Run(p, cancel));
            }
            catch (OperationCanceledException) { return Task.FromResult(TrainingProgressView.Stopped(console)); }
            catch (RecipeException e) { return Task.FromResult(Error(e.Message)); }
            console.MarkupLineInterpolated($"done: head in {trainer.OutputModelFolder}; held-out CCC (derived targets) arousal {last.CccArousal:F3}, valence {last.CccValence:F3}, dominance {last.CccDominance:F3}; metrics in {Path.Combine(runFolder, DimensionsTrainer.MetricsFile)}");
            if (!double.IsNaN(last.SpearmanArousalLevel))
                console.MarkupLineInterpolated($"held-out ordinal arousal levels (BAVED speakers not trained on): Spearman {last.SpearmanArousalLevel:F3}{(trainer.PreviousHeadSpearmanArousalLevel is { } before ? $" (the model's head before this run: {before:F3})" : "")}");
            return Task.FromResult(0);
        });
        return command;
    }

    static int Error(string message)
    {
        Console.Error.WriteLine($"sentire train dims: error: {message}");
        return 2;
    }
}
