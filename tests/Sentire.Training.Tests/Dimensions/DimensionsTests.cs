using Sentire.Audio.Corpus;
using Sentire.Models.Clap;
using Sentire.Tests.Common;
using Sentire.Training.Dimensions;
using Sentire.Training.Recipes;

namespace Sentire.Training.Tests.Dimensions;

public sealed class DerivedDimensionsTests
{
    static Utterance U(string? emotion, string? intensity = null, double? a = null, double? v = null, double? d = null) =>
        new("ravdess/x", "", 1, "ravdess", "en", Emotion: emotion, Intensity: intensity, Arousal: a, Valence: v, Dominance: d);

    [Fact]
    public void Neutral_is_the_middle_and_intensity_scales_the_placement()
    {
        Assert.Equal(new(0.5, 0.5, 0.5), DerivedDimensions.For(U("neutral", "strong")));
        // angry (P -0.51, A 0.59, D 0.25): d = 0.5 + 0.5 k x, k = 0.6 normal / unknown, 0.9 strong
        var normal = DerivedDimensions.For(U("angry", "normal"))!;
        Assert.Equal(0.5 + 0.3 * 0.59, normal.Arousal, 12);
        Assert.Equal(0.5 - 0.3 * 0.51, normal.Valence, 12);
        Assert.Equal(0.5 + 0.3 * 0.25, normal.Dominance, 12);
        Assert.Equal(normal, DerivedDimensions.For(U("angry")));
        Assert.Equal(0.5 + 0.45 * 0.59, DerivedDimensions.For(U("angry", "strong"))!.Arousal, 12);
    }

    [Fact]
    public void Manifest_ratings_override_the_derived_value_of_their_dimension()
    {
        var partly = DerivedDimensions.For(U("sad", a: 0.9))!;
        Assert.Equal(0.9, partly.Arousal);
        Assert.Equal(0.5 - 0.3 * 0.63, partly.Valence, 12);
        Assert.True(DerivedDimensions.IsDerived(U("sad", a: 0.9)));
        Assert.Equal(new(0.1, 0.2, 0.3), DerivedDimensions.For(U(null, a: 0.1, v: 0.2, d: 0.3)));
        Assert.False(DerivedDimensions.IsDerived(U(null, a: 0.1, v: 0.2, d: 0.3)));
        Assert.Null(DerivedDimensions.For(U(null, a: 0.1)));
    }

    [Fact]
    public void Every_normalised_category_has_a_placement_inside_the_unit_cube()
    {
        foreach (var label in EmotionLabels.Normalised)
        {
            var d = DerivedDimensions.For(U(label, "strong"))!;
            foreach (var v in new[] { d.Arousal, d.Valence, d.Dominance }) Assert.InRange(v, 0, 1);
        }
    }
}

public sealed class DimensionsTrainerTests
{
    [Fact]
    public void Trains_writes_the_head_into_the_package_and_resumes()
    {
        var (root, _) = TinyEmotionModel.Corpus(
            ("ravdess", "01", "male", "happy"), ("ravdess", "01", "male", "sad"), ("ravdess", "02", "female", "angry"),
            ("ravdess", "02", "female", "neutral"), ("ravdess", "03", "male", "sad"), ("ravdess", "03", "male", "happy"),
            ("ravdess", "04", "female", "angry"), ("ravdess", "04", "female", "sad"));
        var model = TinyEmotionModel.Save(Directory.CreateTempSubdirectory("sentire-tiny-model").FullName);
        var run = Directory.CreateTempSubdirectory("sentire-dims-run").FullName;
        DimensionsTrainer Trainer(int epochs)
        {
            var recipe = RecipeLoader.Parse<DimensionsRecipe>("name: t\ndata: {corpora: [ravdess], validation: fold:1/2}\nhead: {hidden_size: 4}\noptim: {batch_size: 2, warmup_steps: 1}", "test",
                [$"optim.epochs={epochs}"]);
            recipe.Validate("test");
            return new DimensionsTrainer(recipe, RecipeLoader.ToYaml(recipe), root, model, run);
        }

        var first = Trainer(2).Run(null, CancellationToken.None);
        Assert.Equal(2, first.Epoch);
        var recognizer = EmotionRecognizer.Load(model);
        Assert.Equal(4, recognizer.Config.Dimensions!.HiddenSize);
        Assert.Equal(Models.Dimensions.DimensionTargets.Derived, recognizer.Config.Dimensions.Targets);
        Assert.NotNull(recognizer.DimensionalHead);
        var metrics = File.ReadAllLines(Path.Combine(run, DimensionsTrainer.MetricsFile));
        Assert.Equal(3, metrics.Length);

        // Same folder, more epochs: continues after epoch 2 and keeps the earlier rows.
        var third = Trainer(3).Run(null, CancellationToken.None);
        Assert.Equal(3, third.Epoch);
        var resumed = File.ReadAllLines(Path.Combine(run, DimensionsTrainer.MetricsFile));
        Assert.Equal(metrics, resumed.Take(3));
        Assert.Equal(4, resumed.Length);
    }

    [Fact]
    public void Fine_tuning_writes_a_new_package_and_leaves_the_input_untouched()
    {
        var (root, _) = TinyEmotionModel.Corpus(
            ("ravdess", "01", "male", "happy"), ("ravdess", "01", "male", "sad"), ("ravdess", "02", "female", "angry"),
            ("ravdess", "02", "female", "neutral"), ("ravdess", "03", "male", "sad"), ("ravdess", "04", "female", "happy"));
        var model = TinyEmotionModel.Save(Directory.CreateTempSubdirectory("sentire-tiny-model").FullName);
        var before = File.ReadAllBytes(Path.Combine(model, EmotionModelPackage.WeightsFile));
        var run = Directory.CreateTempSubdirectory("sentire-dims-run").FullName;
        var recipe = RecipeLoader.Parse<DimensionsRecipe>(
            "data: {corpora: [ravdess], validation: fold:1/2}\nhead: {hidden_size: 4}\nencoder: {fine_tune: true, steps_per_epoch: 2}\noptim: {batch_size: 3, epochs: 1, warmup_steps: 1}", "test");
        var trainer = new DimensionsTrainer(recipe, RecipeLoader.ToYaml(recipe), root, model, run);
        trainer.Run(null, CancellationToken.None);

        Assert.Equal(before, File.ReadAllBytes(Path.Combine(model, EmotionModelPackage.WeightsFile)));
        Assert.False(File.Exists(Path.Combine(model, EmotionModelPackage.DimensionsFile)));
        Assert.Equal(Path.Combine(run, DimensionsTrainer.FineTunedFolder), trainer.OutputModelFolder);
        var tuned = EmotionRecognizer.Load(trainer.OutputModelFolder);
        Assert.NotNull(tuned.DimensionalHead);
        Assert.NotEqual(before, File.ReadAllBytes(Path.Combine(trainer.OutputModelFolder, EmotionModelPackage.WeightsFile)));
    }

    [Fact]
    public void Recipe_errors_name_every_bad_value()
    {
        var recipe = RecipeLoader.Parse<DimensionsRecipe>("optim: {batch_size: 1, epochs: 0}\ntargets: {strong_factor: 1.5}", "r.yaml");
        var e = Assert.Throws<RecipeException>(() => recipe.Validate("r.yaml"));
        Assert.Contains("optim.batch_size", e.Message);
        Assert.Contains("optim.epochs", e.Message);
        Assert.Contains("targets.strong_factor", e.Message);
    }
}
