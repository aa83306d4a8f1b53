using Sentire.Tests.Common;
using Sentire.Training.Dimensions;
using Sentire.Training.Distillation;
using Sentire.Training.Recipes;
using Sentire.Training.Secap;

namespace Sentire.Training.Tests;

/// <summary>Every recipe that feeds an LrSchedule reports a schedule it cannot build as a RecipeException naming the
/// recipe file and the field, before any training starts (not as the schedule's ArgumentException).</summary>
public sealed class RecipeScheduleValidationTests
{
    static RecipeException Invalid<T>(string file, Action<T, string> validate, params string[] sets) where T : new()
    {
        var path = Path.Combine(RepoPaths.Root, "recipes", file);
        validate(RecipeLoader.Load<T>(path, []), path);                          // the shipped recipe is valid
        var e = Assert.Throws<RecipeException>(() => validate(RecipeLoader.Load<T>(path, sets), path));
        Assert.Contains(path, e.Message);
        return e;
    }

    [Fact]
    public void SecapStage2WarmupLongerThanTheRun()
    {
        var e = Invalid<SecapRecipe>("secap-small.yaml", (r, p) => r.Validate(p), "stage2.steps_per_epoch=1", "stage2.epochs=2", "stage2.warmup_steps=3");
        Assert.Contains("stage2.warmup_steps 3 exceeds the run's 2 steps", e.Message);
        Assert.Contains("stage2.steps_per_epoch must be positive",
            Invalid<SecapRecipe>("secap-small.yaml", (r, p) => r.Validate(p), "stage2.steps_per_epoch=0").Message);
        Assert.Contains("stage1.steps_per_epoch must be positive",
            Invalid<SecapRecipe>("secap-small.yaml", (r, p) => r.Validate(p), "stage1.steps_per_epoch=0").Message);
    }

    [Fact]
    public void SecapLmWarmupLongerThanTheRun()
    {
        var e = Invalid<SecapLmRecipe>("secap-lm.yaml", (r, p) => r.Validate(p), "optim.epochs=1", "optim.steps_per_epoch=10", "optim.warmup_steps=11");
        Assert.Contains("optim.warmup_steps 11 exceeds the run's 10 steps", e.Message);
        Assert.Contains("optim.min_learning_rate must be in [0, optim.learning_rate",
            Invalid<SecapLmRecipe>("secap-lm.yaml", (r, p) => r.Validate(p), "optim.learning_rate=0.001", "optim.min_learning_rate=0.01").Message);
        Assert.Contains("prefix_hint 'echo' is not one of copy, paraphrase", Invalid<SecapLmRecipe>("secap-lm.yaml", (r, p) => r.Validate(p), "prefix_hint=echo").Message);
    }

    [Theory]
    [InlineData("stage2.input_modality=audio", "stage2.input_modality 'audio' is not one of q, t, transcript, transcript+q, t+q")]
    [InlineData("language_model_precision=f16", "language_model_precision 'f16' is not one of f32, bf16")]
    public void SecapClosedOptionSetsNameEveryAllowedValue(string set, string error) =>
        Assert.Contains(error, Invalid<SecapRecipe>("secap-small.yaml", (r, p) => r.Validate(p), set).Message);

    [Fact]
    public void ClapWarmupLongerThanTheRun()
    {
        var e = Invalid<ClapRecipe>("emotion-clap-small.yaml", (r, p) => r.Validate(p), "optim.epochs=2", "optim.steps_per_epoch=5", "optim.warmup_steps=11");
        Assert.Contains("optim.warmup_steps 11 exceeds the run's 10 steps", e.Message);
    }

    [Fact]
    public void ClapAugmentAndAveragingSettingsOutOfRange()
    {
        Assert.Contains("augment.speed_range must be in [0, 0.5), got 0.5",
            Invalid<ClapRecipe>("emotion-clap-small.yaml", (r, p) => r.Validate(p), "augment.speed_range=0.5").Message);
        Assert.Contains("augment.speed_probability must be in [0, 1], got 2",
            Invalid<ClapRecipe>("emotion-clap-small.yaml", (r, p) => r.Validate(p), "augment.speed_probability=2").Message);
        Assert.Contains("optim.ema_decay must be in [0, 1), got 1",
            Invalid<ClapRecipe>("emotion-clap-small.yaml", (r, p) => r.Validate(p), "optim.ema_decay=1").Message);
        Assert.Contains("optim.encoder_learning_rate_scale must be in (0, 1], got 0",
            Invalid<ClapRecipe>("emotion-clap-small.yaml", (r, p) => r.Validate(p), "optim.encoder_learning_rate_scale=0").Message);
        Assert.Contains("optim.encoder_learning_rate_scale must be in (0, 1], got 1.5",
            Invalid<ClapRecipe>("emotion-clap-small.yaml", (r, p) => r.Validate(p), "optim.encoder_learning_rate_scale=1.5").Message);
        Assert.Contains("augment.eq_db must be a number >= 0, got -1",
            Invalid<ClapRecipe>("emotion-clap-small.yaml", (r, p) => r.Validate(p), "augment.eq_db=-1").Message);
        Assert.Contains("augment.eq_points must be at least 2 (a curve from the first mel bin to the last), got 1",
            Invalid<ClapRecipe>("emotion-clap-small.yaml", (r, p) => r.Validate(p), "augment.eq_db=6", "augment.eq_points=1").Message);
        Assert.Contains("augment.speed_probability perturbs our log-mel frames",
            Invalid<ClapRecipe>("emotion-pretrained-example.yaml", (r, p) => r.Validate(p), "augment.speed_probability=0.5").Message);
    }

    [Fact]
    public void DimensionsNegativeWarmupAndMinAbovePeak()
    {
        Assert.Contains("optim.warmup_steps must be >= 0",
            Invalid<DimensionsRecipe>("dimensions-small.yaml", (r, p) => r.Validate(p), "optim.warmup_steps=-1").Message);
        Assert.Contains("optim.min_learning_rate must be in",
            Invalid<DimensionsRecipe>("dimensions-small.yaml", (r, p) => r.Validate(p), "optim.min_learning_rate=1").Message);
    }

    [Fact]
    public void StudentNegativeWarmupAndMinAbovePeak()
    {
        Assert.Contains("optim.warmup_steps must be >= 0",
            Invalid<StudentRecipe>("student-tiny.yaml", (r, p) => r.Validate(p), "optim.warmup_steps=-1").Message);
        Assert.Contains("optim.min_learning_rate must be in",
            Invalid<StudentRecipe>("student-tiny.yaml", (r, p) => r.Validate(p), "optim.min_learning_rate=1").Message);
    }

    [Fact]
    public void Stage1ScheduleDefaultsAreTheFormerConstantsAndCanBeSet()
    {
        var path = Path.Combine(RepoPaths.Root, "recipes", "secap-small.yaml");
        var shipped = RecipeLoader.Load<SecapRecipe>(path).Stage1;                           // 10 epochs x 50 steps
        Assert.Equal(50, shipped.Warmup);                                                    // min(50, 500 / 10)
        Assert.Equal(3e-4 / 20, shipped.MinLearningRateOrDefault);
        var small = RecipeLoader.Load<SecapRecipe>(path, ["stage1.epochs=2", "stage1.steps_per_epoch=30"]).Stage1;
        Assert.Equal(6, small.Warmup);                                                       // min(50, 60 / 10)
        var set = RecipeLoader.Load<SecapRecipe>(path, ["stage1.warmup_steps=7", "stage1.min_learning_rate=1e-6"]);
        Assert.Equal(7, set.Stage1.Warmup);
        Assert.Equal(1e-6, set.Stage1.MinLearningRateOrDefault);
        Assert.Contains("stage1.warmup_steps", Invalid<SecapRecipe>("secap-small.yaml", (r, p) => r.Validate(p), "stage1.warmup_steps=501").Message);
    }
}
