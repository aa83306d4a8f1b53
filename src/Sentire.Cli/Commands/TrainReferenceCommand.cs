using System.CommandLine;
using Sentire.Models.Clap;
using Sentire.Training;
using Sentire.Training.Clap;
using Sentire.Training.Recipes;
using Spectre.Console;

namespace Sentire.Cli.Commands;

/// <summary><c>sentire train reference --model M --recipe R [--set ..]</c>: writes the package's reference embedding
/// (reference.safetensors: the mean clip embedding of the recipe's training clips), which <c>eval --align</c> needs.
/// Give the recipe (and overrides) the model was trained with.</summary>
public static class TrainReferenceCommand
{
    public static Command Create(Option<DirectoryInfo> corpora)
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Model package to add the reference embedding to.", Required = true };
        var recipe = new Option<FileInfo>("--recipe") { Description = "The recipe the model was trained with (its corpora, labels, split and seed choose the clips).", Required = true };
        var overrides = new Option<string[]>("--set") { Description = "The overrides it was trained with, e.g. --set data.validation=without:ased (repeatable).", AllowMultipleArgumentsPerToken = true };
        var command = new Command("reference", "Mean clip embedding of the model's training clips, for test-time alignment to a recording set-up (eval --align).")
            { model, recipe, overrides, corpora };
        command.SetAction((parse, cancel) =>
        {
            if (CommonOptions.LoadRecipe<ClapRecipe>(parse.GetValue(recipe)!.FullName, parse.GetValue(overrides) ?? [], (r, p) => r.Validate(p), Terminal.Error) is not { } r
                || CommonOptions.CorporaRoot(parse, corpora, Terminal.Error) is not { } corporaRoot) return Task.FromResult(2);
            var folder = parse.GetValue(model)!.FullName;
            EmotionRecognizer recognizer;
            try { recognizer = EmotionRecognizer.Load(folder); }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException) { Terminal.Error(e.Message); return Task.FromResult(2); }
            try
            {
                ReferenceEmbedding reference = null!;
                AnsiConsole.Progress().Start(ctx =>
                {
                    var task = ctx.AddTask("embedding the training clips", maxValue: 1);
                    reference = ClapReference.Compute(recognizer, r, corporaRoot, new SynchronousProgress<(int Done, int Total)>(p => { task.MaxValue = p.Total; task.Value = p.Done; }));
                });
                EmotionModelPackage.SaveReference(folder, reference);
                Console.WriteLine($"wrote {Path.Combine(folder, EmotionModelPackage.ReferenceFile)}: the mean of {reference.Clips} training clips of {string.Join(", ", reference.Corpora)} (each corpus weighted equally)");
                return Task.FromResult(0);
            }
            catch (RecipeException e) { Terminal.Error(e.Message); return Task.FromResult(2); }
        });
        return command;
    }
}
