namespace Sentire.Training.Recipes;

/// <summary>
/// The one validation path of every recipe class: its <c>Validate(source)</c> hands a collector to
/// <see cref="Check"/>, adds one message per bad field (naming the field, the value found and what is allowed), and
/// gets every problem at once in a <see cref="RecipeException"/> that names the file.
/// </summary>
public sealed class RecipeErrors
{
    readonly List<string> errors = [];

    RecipeErrors() { }

    /// <summary>Runs <paramref name="check"/> and throws one <see cref="RecipeException"/> listing every problem it found.</summary>
    public static void Check(string source, Action<RecipeErrors> check)
    {
        var collector = new RecipeErrors();
        check(collector);
        if (collector.errors.Count > 0) throw new RecipeException($"{source}: " + string.Join("; ", collector.errors));
    }

    public void Add(string message) => errors.Add(message);

    /// <summary>Adds <paramref name="message"/> when <paramref name="failed"/>.</summary>
    public void If(bool failed, string message)
    {
        if (failed) errors.Add(message);
    }

    /// <summary>
    /// What an <see cref="Tensors.Optim.LrSchedule"/> built from a recipe section needs: positive epochs (and steps per
    /// epoch where the recipe fixes them), 0 &lt;= warmup_steps &lt;= epochs * steps_per_epoch, and
    /// 0 &lt;= min_learning_rate &lt;= learning_rate &gt; 0. <paramref name="stepsPerEpoch"/> is null where the data sets it.
    /// </summary>
    public void Schedule(string section, int epochs, int? stepsPerEpoch, long warmupSteps, double learningRate, double minLearningRate)
    {
        if (epochs <= 0) errors.Add($"{section}.epochs must be positive, got {epochs}");
        if (stepsPerEpoch is <= 0) errors.Add($"{section}.steps_per_epoch must be positive, got {stepsPerEpoch}");
        if (warmupSteps < 0) errors.Add($"{section}.warmup_steps must be >= 0, got {warmupSteps}");
        else if (stepsPerEpoch is int steps && epochs > 0 && steps > 0 && warmupSteps > (long)epochs * steps)
            errors.Add($"{section}.warmup_steps {warmupSteps} exceeds the run's {(long)epochs * steps} steps ({section}.epochs {epochs} x {section}.steps_per_epoch {steps})");
        if (!(learningRate > 0)) errors.Add($"{section}.learning_rate must be positive, got {learningRate}");
        else if (!(minLearningRate >= 0 && minLearningRate <= learningRate))
            errors.Add($"{section}.min_learning_rate must be in [0, {section}.learning_rate = {learningRate}], got {minLearningRate}");
    }

    /// <summary>A held-out speaker split (<see cref="HeldOutSpeakers"/>) that <paramref name="field"/> names.</summary>
    public void HeldOut(string field, string value)
    {
        if (HeldOutSpeakers.Parse(value) is null) errors.Add($"{field} '{value}' is not {HeldOutSpeakers.Forms}");
    }
}
