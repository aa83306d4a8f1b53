using System.CommandLine;
using Sentire.Training.Recipes;

namespace Sentire.Cli;

/// <summary>Options and checks that several commands share, written once so their names, help and defaults agree.</summary>
public static class CommonOptions
{
    /// <summary><c>--corpora</c>: the folder holding the corpus folders (default ../shared/corpora).</summary>
    public static Option<DirectoryInfo> Corpora() =>
        new("--corpora") { Description = "Folder holding the corpus folders.", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("..", "shared", "corpora")) };

    /// <summary><c>--model</c> of a command that scores an emotion model (<see cref="ModelLocator.Resolve"/>).</summary>
    public static Option<string?> EmotionModel() => new("--model") { Description = "Model folder (default: the embedded model, or SENTIRE_MODEL)." };

    /// <summary>The full path of <c>--corpora</c>, or null after <paramref name="fail"/> said that it does not exist.</summary>
    public static string? CorporaRoot(ParseResult parse, Option<DirectoryInfo> corpora, Action<string> fail)
    {
        var root = parse.GetValue(corpora)!.FullName;
        if (Directory.Exists(root)) return root;
        fail($"corpora folder {root} not found (--corpora)");
        return null;
    }

    /// <summary>A recipe with its <c>--set</c> overrides, loaded and validated, or null after <paramref name="fail"/> reported
    /// every problem found.</summary>
    public static T? LoadRecipe<T>(string path, IReadOnlyList<string> sets, Action<T, string> validate, Action<string> fail) where T : class, new()
    {
        try
        {
            var recipe = RecipeLoader.Load<T>(path, sets);
            validate(recipe, path);
            return recipe;
        }
        catch (RecipeException e) { fail(e.Message); return null; }
    }
}
