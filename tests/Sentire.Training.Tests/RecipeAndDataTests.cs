using Sentire.Audio.Dsp;
using Sentire.Models.Clap;
using Sentire.Models.Speech;
using Sentire.Tensors;
using Sentire.Training.Data;
using Sentire.Training.Recipes;

namespace Sentire.Training.Tests;

public sealed class RecipeLoaderTests
{
    const string Yaml = """
        name: test
        variant: sl-gemo-clap
        alpha: 0.8
        optim:
          epochs: 3
          learning_rate: 0.002
        data:
          labels: [happy, sad]
        """;

    [Fact]
    public void ReadsNestedSnakeCaseKeysAndKeepsDefaults()
    {
        var r = RecipeLoader.Parse<ClapRecipe>(Yaml, "t.yaml");
        Assert.Equal(ClapVariant.SlGemoClap, r.Variant);
        Assert.Equal(0.8f, r.Alpha);
        Assert.Equal(3, r.Optim.Epochs);
        Assert.Equal(0.002, r.Optim.LearningRate);
        Assert.Equal(32, r.Optim.BatchSize);               // default kept
        Assert.Equal(["happy", "sad"], r.Data.Labels);
    }

    [Fact]
    public void OverridesReplaceValuesListsAndCreateSections()
    {
        var r = RecipeLoader.Parse<ClapRecipe>(Yaml, "t.yaml", ["optim.epochs=7", "data.corpora=[ravdess, urdu]", "head.temperature=0.05"]);
        Assert.Equal(7, r.Optim.Epochs);
        Assert.Equal(["ravdess", "urdu"], r.Data.Corpora);
        Assert.Equal(0.05f, r.Head.Temperature);
    }

    [Fact]
    public void UnknownKeysAndBadValuesAreErrorsNamingTheSource()
    {
        var unknown = Assert.Throws<RecipeException>(() => RecipeLoader.Parse<ClapRecipe>("optim:\n  epoch: 3\n", "bad.yaml"));
        Assert.Contains("bad.yaml", unknown.Message);
        Assert.Contains("epoch", unknown.Message);
        var invalid = Assert.Throws<RecipeException>(() => RecipeLoader.Parse<ClapRecipe>(Yaml, "t.yaml", ["alpha=2", "optim.batch_size=1"]).Validate("t.yaml"));
        Assert.Contains("alpha must be in [0, 1]", invalid.Message);
        Assert.Contains("optim.batch_size must be at least 2", invalid.Message);
        // closed option sets are checked as the file is read, naming the key, the value and every allowed spelling
        var option = Assert.Throws<RecipeException>(() => RecipeLoader.Parse<ClapRecipe>(Yaml, "t.yaml", ["variant=clip", "encoder.subsampling=pool", "encoder.architecture=resnet"]));
        Assert.StartsWith("t.yaml: ", option.Message);
        Assert.Contains("variant 'clip' is not one of emo-clap, sl-gemo-clap, ml-gemo-clap", option.Message);
        Assert.Contains("encoder.subsampling 'pool' is not one of stack, conv", option.Message);
        Assert.Contains("encoder.architecture 'resnet' is not one of transformer, mobilenet", option.Message);
        // the MobileNet is our own encoder: not beside a frozen pretrained one, and a width in (0, 4]
        var mobileNet = Assert.Throws<RecipeException>(() => RecipeLoader.Parse<ClapRecipe>(Yaml, "t.yaml",
            ["encoder.architecture=mobilenet", "encoder.pretrained=some/wavlm", "encoder.width_multiplier=0"]).Validate("t.yaml"));
        Assert.Contains("encoder.architecture mobilenet trains our own encoder; encoder.pretrained names a frozen one", mobileNet.Message);
        Assert.Contains("encoder.width_multiplier must be in (0, 4], got 0", mobileNet.Message);
        Assert.Contains("architecture: mobilenet", RecipeLoader.ToYaml(RecipeLoader.Parse<ClapRecipe>(Yaml, "t.yaml", ["encoder.architecture=mobilenet"])));
        // and written back in the same spelling
        Assert.Contains("variant: sl-gemo-clap", RecipeLoader.ToYaml(RecipeLoader.Parse<ClapRecipe>(Yaml, "t.yaml")));
        Assert.Throws<RecipeException>(() => RecipeLoader.Parse<ClapRecipe>(Yaml, "t.yaml", ["no-equals-sign"]));
        // Prosody channels widen our log-mel encoder's input; a pretrained encoder reads the waveform.
        var both = Assert.Throws<RecipeException>(() => RecipeLoader.Parse<ClapRecipe>(Yaml, "t.yaml", ["encoder.prosody=true", "encoder.pretrained=/m/hubert"]).Validate("t.yaml"));
        Assert.Contains("encoder.prosody", both.Message);
        RecipeLoader.Parse<ClapRecipe>(Yaml, "t.yaml", ["encoder.prosody=true"]).Validate("t.yaml");
    }

    /// <summary>Every recipe in recipes/, the class that reads it and the name it declares (a new recipe is added here).</summary>
    static readonly (string File, Func<string, string> LoadAndValidate, string Name)[] ShippedRecipes =
    [
        ("dimensions-small.yaml", Load<Sentire.Training.Dimensions.DimensionsRecipe>(r => r.Name, (r, p) => r.Validate(p)), "dimensions-small"),
        ("dimensions-small-v2.yaml", Load<Sentire.Training.Dimensions.DimensionsRecipe>(r => r.Name, (r, p) => r.Validate(p)), "dimensions-small-v2"),
        ("emotion-clap-small.yaml", Load<ClapRecipe>(r => r.Name, (r, p) => r.Validate(p)), "emotion-clap-small"),
        ("emotion-clap-mobilenet.yaml", Load<ClapRecipe>(r => r.Name, (r, p) => r.Validate(p)), "emotion-clap-mobilenet"),
        ("emotion-clap-small-distil.yaml", Load<ClapRecipe>(r => r.Name, (r, p) => r.Validate(p)), "emotion-clap-small-distil"),
        ("emotion-clap-small-v2.yaml", Load<ClapRecipe>(r => r.Name, (r, p) => r.Validate(p)), "emotion-clap-small-v2"),
        ("emotion-pretrained-example.yaml", Load<ClapRecipe>(r => r.Name, (r, p) => r.Validate(p)), "emotion-pretrained-example"),
        ("emotion-results.yaml", Load<ClapRecipe>(r => r.Name, (r, p) => r.Validate(p)), "emotion-results"),
        ("secap-lm.yaml", Load<Sentire.Training.Secap.SecapLmRecipe>(r => r.Name, (r, p) => r.Validate(p)), "secap-lm"),
        ("secap-small.yaml", Load<Sentire.Training.Secap.SecapRecipe>(r => r.Name, (r, p) => r.Validate(p)), "secap-small"),
        ("student-tiny.yaml", Load<Sentire.Training.Distillation.StudentRecipe>(r => r.Name, (r, p) => r.Validate(p)), "emotion-student-tiny"),
    ];

    static Func<string, string> Load<T>(Func<T, string> name, Action<T, string> validate) where T : new() => path =>
    {
        var recipe = RecipeLoader.Load<T>(path);
        validate(recipe, path);
        return name(recipe);
    };

    static string RecipesFolder => Path.Combine(Sentire.Tests.Common.RepoPaths.Root, "recipes");

    [Fact]
    public void ShippedRecipesLoadAndValidate()
    {
        foreach (var (file, loadAndValidate, name) in ShippedRecipes)
            Assert.Equal(name, loadAndValidate(Path.Combine(RecipesFolder, file)));
    }

    [Fact]
    public void EveryRecipeFileIsListedInShippedRecipes()
    {
        // .yaml or .yml, at any depth: a recipe cannot hide from the list by its extension or a sub-folder
        var onDisk = Directory.GetFiles(RecipesFolder, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetExtension(f) is ".yaml" or ".yml")
            .Select(f => Path.GetRelativePath(RecipesFolder, f).Replace(Path.DirectorySeparatorChar, '/')).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(onDisk, ShippedRecipes.Select(r => r.File).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void AShippedRecipeThatNoLongerValidatesFailsTheCheck()
    {
        // The check above can fail: the same loader on a copy of a shipped recipe with a broken value throws.
        var path = Path.Combine(RecipesFolder, "emotion-clap-small.yaml");
        var broken = RecipeLoader.Parse<ClapRecipe>(File.ReadAllText(path), path, ["alpha=2"]);
        Assert.Contains("alpha must be in [0, 1]", Assert.Throws<RecipeException>(() => broken.Validate(path)).Message);
    }
}

public sealed class BalancedSamplerTests
{
    [Fact]
    public void CorporaAndLabelsAreDrawnEquallyOften()
    {
        // corpus a: 6 x label 0, 2 x label 1; corpus b: 2 x label 0
        var items = Enumerable.Repeat(("a", 0), 6).Concat(Enumerable.Repeat(("a", 1), 2)).Concat(Enumerable.Repeat(("b", 0), 2)).ToList();
        var sampler = new BalancedSampler(items);
        Assert.Equal(0.5 * 0.5 / 6, sampler.Probability(0), 12);
        Assert.Equal(0.5 * 0.5 / 2, sampler.Probability(6), 12);
        Assert.Equal(0.5 / 2, sampler.Probability(8), 12);
        var draws = sampler.Sample(20000, new Generator(3));
        double corpusB = draws.Count(i => i >= 8) / 20000.0;
        Assert.InRange(corpusB, 0.48, 0.52);
    }

    [Fact]
    public void CorpusWeightsScaleACorpusShare()
    {
        // corpus a: 3 x label 0; corpus b: 2 x label 0, 2 x label 1; b weighs half of a: shares 2/3 and 1/3.
        var items = Enumerable.Repeat(("a", 0), 3).Concat(Enumerable.Repeat(("b", 0), 2)).Concat(Enumerable.Repeat(("b", 1), 2)).ToList();
        var sampler = new BalancedSampler(items, new Dictionary<string, double> { ["b"] = 0.5 });
        Assert.Equal(2.0 / 3 / 3, sampler.Probability(0), 12);
        Assert.Equal(1.0 / 3 / 2 / 2, sampler.Probability(3), 12);
        Assert.Equal(1.0, Enumerable.Range(0, items.Count).Sum(sampler.Probability), 12);
        var error = Assert.Throws<ArgumentException>(() => new BalancedSampler(items, new Dictionary<string, double> { ["b"] = 0 }));
        Assert.Contains("corpus weight of 'b' must be a positive number, found 0", error.Message);
    }
}

public sealed class FixedLengthWindowTests
{
    [Fact]
    public void WindowsCoverLongClipsAndTileShortOnes()
    {
        Assert.Equal([0, 50, 100, 120], FixedLengthWindows.Starts(220, 100, 50));
        Assert.Equal([0], FixedLengthWindows.Starts(60, 100, 50));
        var short3 = new FeatureMatrix(3, 1, [1, 2, 3]);
        var window = new float[7];
        FixedLengthWindows.Copy(short3, 0, 7, window);
        Assert.Equal([1f, 2, 3, 1, 2, 3, 1], window);
    }
}
