namespace Sentire.Training.Recipes;

/// <summary>Checks that several recipe classes share; each adds messages naming the field to the caller's error list.</summary>
internal static class RecipeChecks
{
    /// <summary>
    /// What an <see cref="Tensors.Optim.LrSchedule"/> built from a recipe section needs: positive epochs (and steps per
    /// epoch where the recipe fixes them), 0 &lt;= warmup_steps &lt;= epochs * steps_per_epoch, and
    /// 0 &lt;= min_learning_rate &lt;= learning_rate &gt; 0. <paramref name="stepsPerEpoch"/> is null where the data sets it.
    /// </summary>
    public static void Schedule(List<string> errors, string section, int epochs, int? stepsPerEpoch, long warmupSteps, double learningRate, double minLearningRate)
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
}
