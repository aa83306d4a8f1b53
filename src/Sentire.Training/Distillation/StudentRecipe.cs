using Sentire.Training.Recipes;

namespace Sentire.Training.Distillation;

/// <summary>Clips never distilled on: the RAVDESS test actors 17-20 (so the evaluation is held out), or none.</summary>
public enum DistillationExclude { [System.Text.Json.Serialization.JsonStringEnumMemberName("ravdess-17-20")] RavdessActors17To20, None }

/// <summary>
/// Everything that defines a distillation run of <see cref="Models.Student.TinyStudent"/> (recipes/student-tiny.yaml).
/// The student sees only the teacher's outputs, never a corpus label.
/// </summary>
public sealed class StudentRecipe
{
    public string Name { get; init; } = "emotion-student-tiny";
    public ulong Seed { get; init; } = 1234;
    public StudentDataRecipe Data { get; init; } = new();
    public StudentModelRecipe Model { get; init; } = new();
    public StudentLossRecipe Loss { get; init; } = new();
    public StudentOptimRecipe Optim { get; init; } = new();

    public void Validate(string source) => RecipeErrors.Check(source, errors =>
    {
        errors.If(Data.Corpora.Count == 0, "data.corpora is empty");
        errors.If(Data.ValidationFraction is <= 0 or >= 0.5, $"data.validation_fraction must be in (0, 0.5), got {Data.ValidationFraction}");
        errors.If(Data.MaxSeconds <= 0, $"data.max_seconds must be positive, got {Data.MaxSeconds}");
        errors.If(Model.BlockKernel % 2 == 0, $"model.block_kernel must be odd, got {Model.BlockKernel}");
        errors.If(Model.Channels <= 0 || Model.Dilations.Count == 0 || Model.Dilations.Any(d => d <= 0), "model.channels and model.dilations must be positive and non-empty");
        errors.If(Loss.Temperature <= 0, $"loss.temperature must be positive, got {Loss.Temperature}");
        errors.If(Loss.CategoryWeight < 0 || Loss.DimensionMseWeight < 0 || Loss.DimensionCccWeight < 0, "loss weights must be >= 0");
        errors.If(Optim.BatchSize < 2, $"optim.batch_size must be at least 2 (the CCC loss needs a batch), got {Optim.BatchSize}");
        // steps per epoch follow from the data, and the distiller caps the warm-up at the total
        errors.Schedule("optim", Optim.Epochs, null, Optim.WarmupSteps, Optim.LearningRate, Optim.MinLearningRate);
    });
}

public sealed class StudentDataRecipe
{
    /// <summary>Every corpus folder whose audio the teacher labels; labelled or not (SECap has no categories).</summary>
    public List<string> Corpora { get; init; } = ["ravdess", "emovo", "ased", "urdu", "secap"];
    /// <summary>Clips never distilled on: "ravdess-17-20" keeps the RAVDESS test actors out so the evaluation is held out.</summary>
    public DistillationExclude Exclude { get; init; } = DistillationExclude.RavdessActors17To20;
    /// <summary>Random share of the distillation clips held back to pick the best epoch (agreement with the teacher, no labels).</summary>
    public double ValidationFraction { get; init; } = 0.05;
    /// <summary>Longer clips are cut to their first max_seconds for both teacher and student.</summary>
    public double MaxSeconds { get; init; } = 14.0;
    /// <summary>Folder of the teacher-output cache (one file per teacher weights hash).</summary>
    public string TeacherCache { get; init; } = "runs/teacher-cache";
}

public sealed class StudentModelRecipe
{
    public int Channels { get; init; } = 96;
    public int StemKernel { get; init; } = 3;
    public int StemStride { get; init; } = 2;
    public int BlockKernel { get; init; } = 5;
    public List<int> Dilations { get; init; } = [1, 2, 4, 1, 2];
}

public sealed class StudentLossRecipe
{
    /// <summary>Hinton et al. (2015): both distributions softened by T, the KL term scaled by T^2.</summary>
    public float Temperature { get; init; } = 2f;
    public float CategoryWeight { get; init; } = 1f;
    /// <summary>Dimension terms apply only when the teacher gives dimensions.</summary>
    public float DimensionMseWeight { get; init; } = 1f;
    public float DimensionCccWeight { get; init; } = 1f;
}

public sealed class StudentOptimRecipe
{
    public double LearningRate { get; init; } = 0.003;
    public double WeightDecay { get; init; } = 0.01;
    public int BatchSize { get; init; } = 16;
    public long WarmupSteps { get; init; } = 100;
    public int Epochs { get; init; } = 30;
    public double GradClip { get; init; } = 1.0;
    public double MinLearningRate { get; init; } = 0.00003;
}
