using Sentire.Training.Recipes;

namespace Sentire.Training.Dimensions;

/// <summary>
/// Everything that defines the training of an arousal/valence/dominance head on a packaged model's speech encoder
/// (one YAML file in recipes/, <c>sentire train dims</c>). Defaults are those of recipes/dimensions-small.yaml.
/// </summary>
public sealed class DimensionsRecipe
{
    public string Name { get; init; } = "dimensions-small";
    public ulong Seed { get; init; } = 1234;
    public DimensionsDataRecipe Data { get; init; } = new();
    public DimensionsTargetRecipe Targets { get; init; } = new();
    public DimensionsHeadRecipe Head { get; init; } = new();
    public DimensionsEncoderRecipe Encoder { get; init; } = new();
    public DimensionsOptimRecipe Optim { get; init; } = new();

    public void Validate(string source) => RecipeErrors.Check(source, errors =>
    {
        errors.If(Data.Corpora.Count == 0, "data.corpora is empty");
        errors.If(Targets.NormalFactor is <= 0 or > 1 || Targets.StrongFactor is <= 0 or > 1,
            $"targets.normal_factor and targets.strong_factor must be in (0, 1], got {Targets.NormalFactor} and {Targets.StrongFactor}");
        errors.If(Targets.OrdinalWeight < 0, $"targets.ordinal_weight must be >= 0, got {Targets.OrdinalWeight}");
        errors.If(!(Targets.OrdinalScale > 0), $"targets.ordinal_scale must be positive, got {Targets.OrdinalScale}");
        errors.If(Targets.OrdinalBatchSize < 2, $"targets.ordinal_batch_size must be at least 2 (pairs), got {Targets.OrdinalBatchSize}");
        errors.HeldOut("data.validation", Data.Validation);
        errors.If(Head.HiddenSize <= 0, $"head.hidden_size must be positive, got {Head.HiddenSize}");
        errors.If(Head.Dropout is < 0 or >= 1, $"head.dropout must be in [0, 1), got {Head.Dropout}");
        errors.If(Optim.BatchSize < 2, $"optim.batch_size must be at least 2 (CCC is a batch statistic), got {Optim.BatchSize}");
        // steps per epoch follow from the data (or encoder.steps_per_epoch), and the trainer caps the warm-up at the total
        errors.Schedule("optim", Optim.Epochs, null, Optim.WarmupSteps, Optim.LearningRate, Optim.MinLearningRate);
        errors.If(Encoder.FineTune && Encoder.LearningRate <= 0, $"encoder.learning_rate must be positive when fine-tuning, got {Encoder.LearningRate}");
        errors.If(Encoder.FineTune && Encoder.StepsPerEpoch <= 0, $"encoder.steps_per_epoch must be positive when fine-tuning, got {Encoder.StepsPerEpoch}");
    });
}

public sealed class DimensionsDataRecipe
{
    /// <summary>Corpus folders under the corpora root; every utterance with a known category or ratings is used.</summary>
    public List<string> Corpora { get; init; } = ["ravdess", "emovo", "ased", "urdu"];
    /// <summary>Held-out speakers, reported every epoch but never used to pick an epoch: "ravdess-17-20", "fold:K/N" or
    /// "ravdess-17-20+fold:K/N" (as the CLAP recipes; the last also holds out speakers of BAVED).</summary>
    public string Validation { get; init; } = "ravdess-17-20";
    /// <summary>Folder of the decoded frames shared with the CLAP trainer (data.feature_cache there); null decodes every run.</summary>
    public string? FeatureCache { get; init; }
}

/// <summary>Derived-target settings (<see cref="DerivedDimensions"/>): how far a portrayal sits from the middle.</summary>
public sealed class DimensionsTargetRecipe
{
    public double NormalFactor { get; init; } = DerivedDimensions.NormalFactor;
    public double StrongFactor { get; init; } = DerivedDimensions.StrongFactor;
    /// <summary>Weight of the ranking loss on clips with an ordinal arousal level (BAVED: low &lt; normal &lt; high) beside the
    /// CCC loss (<see cref="Losses.OrdinalRankLoss"/>); 0 leaves such clips out.</summary>
    public double OrdinalWeight { get; init; }
    /// <summary>Width of the ranking loss's logistic in arousal units ([0, 1]).</summary>
    public double OrdinalScale { get; init; } = 0.1;
    /// <summary>Clips with an ordinal level drawn per step for the ranking loss.</summary>
    public int OrdinalBatchSize { get; init; } = 32;
}

public sealed class DimensionsHeadRecipe
{
    public int HiddenSize { get; init; } = 128;
    public float Dropout { get; init; } = 0.1f;
}

public sealed class DimensionsEncoderRecipe
{
    /// <summary>false: the speech encoder is frozen and each clip's pooled output is computed once and cached.
    /// true: the encoder is trained too, on random windows, and a whole new package is written to the run folder.</summary>
    public bool FineTune { get; init; }
    /// <summary>Peak learning rate of the encoder when fine-tuning (the head uses optim.learning_rate).</summary>
    public double LearningRate { get; init; } = 1e-4;
    /// <summary>Steps per epoch when fine-tuning (frozen training makes one pass over the cached outputs per epoch).</summary>
    public int StepsPerEpoch { get; init; } = 50;
}

public sealed class DimensionsOptimRecipe
{
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 0.01;
    public int BatchSize { get; init; } = 64;
    public int Epochs { get; init; } = 60;
    public int WarmupSteps { get; init; } = 50;
    public double MinLearningRate { get; init; } = 1e-5;
    public double GradClip { get; init; } = 1.0;
}
