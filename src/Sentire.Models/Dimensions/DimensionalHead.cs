using System.Text.Json.Serialization;
using Sentire.IO;
using Sentire.Tensors;
using Sentire.Tensors.Nn;

namespace Sentire.Models.Dimensions;

/// <summary>Arousal, valence and dominance of one stretch of audio, each in [0, 1] (0.5 is the middle of the scale).</summary>
public sealed record EmotionDimensions(double Arousal, double Valence, double Dominance)
{
    /// <summary>Order of the three outputs of <see cref="DimensionalHead"/> and of every (N, 3) target tensor.</summary>
    public static IReadOnlyList<string> Names { get; } = ["arousal", "valence", "dominance"];

    public double this[int index] => index switch
    {
        0 => Arousal,
        1 => Valence,
        2 => Dominance,
        _ => throw new ArgumentOutOfRangeException(nameof(index), index, "dimension index must be 0 (arousal), 1 (valence) or 2 (dominance)"),
    };
}

/// <summary>How a dimensional head's training targets were made: derived from categories (docs/dimensions.md), or
/// rated by annotators. config.json spells it "derived" or "rated".</summary>
[JsonConverter(typeof(OptionNamesJsonConverter))]
public enum DimensionTargets { Derived, Rated }

/// <summary>Sizes of <see cref="DimensionalHead"/>; stored in the model package's config.json under <c>dimensions</c>.</summary>
/// <param name="InputSize">width of the pooled speech-encoder output</param>
/// <param name="HiddenSize">width of the hidden layer</param>
/// <param name="Dropout">dropout before each linear layer while training</param>
/// <param name="Targets">how the training targets were made: derived (from categories, see docs/dimensions.md) or rated</param>
public sealed record DimensionalHeadConfig(int InputSize = 192, int HiddenSize = 128, float Dropout = 0.1f, DimensionTargets Targets = DimensionTargets.Derived);

/// <summary>
/// Regression head for arousal, valence and dominance on a shared speech encoder, after the audEERING study
/// (Wagner et al., 2023, "Dawn of the transformer era in speech emotion recognition"), whose RegressionHead is
/// dropout -> dense -> tanh -> dropout -> out_proj on the pooled hidden states:
///   h = tanh(W_1 dropout(pool(H)) + b_1),   y = sigmoid(W_2 dropout(h) + b_2)    (B, 3): arousal, valence, dominance.
/// The sigmoid keeps each output in [0, 1], the range of the targets. Parameter names follow that head
/// (<c>dense</c>, <c>out_proj</c>).
/// </summary>
public sealed class DimensionalHead : Module<Tensor, Tensor>
{
    public DimensionalHeadConfig Config { get; }
    public Linear Dense { get; }
    public Linear OutProj { get; }
    readonly Dropout dropout;

    public DimensionalHead(DimensionalHeadConfig config, Generator rngForDropout, Generator? rngForInit)
    {
        if (config.InputSize <= 0 || config.HiddenSize <= 0)
            throw new ArgumentException($"dimensional head sizes must be positive (got input_size: {config.InputSize}, hidden_size: {config.HiddenSize})");
        Config = config;
        dropout = RegisterModule("dropout", new Dropout(config.Dropout, rngForDropout));   // registered so Eval() turns it off
        Dense = RegisterModule("dense", new Linear(config.InputSize, config.HiddenSize, rngForInit));
        OutProj = RegisterModule("out_proj", new Linear(config.HiddenSize, EmotionDimensions.Names.Count, rngForInit));
    }

    /// <param name="pooled">(B, D) pooled encoder output</param>
    /// <returns>(B, 3) arousal, valence, dominance in [0, 1]</returns>
    public override Tensor Forward(Tensor pooled)
    {
        if (pooled.Rank != 2 || pooled.Dim(1) != Config.InputSize)
            throw new ArgumentException($"dimensional head expects (B, {Config.InputSize}) pooled features, got {pooled.ShapeString}");
        var h = Dense.Forward(dropout.Forward(pooled)).Tanh();   // (B, H)
        return OutProj.Forward(dropout.Forward(h)).Sigmoid();      // (B, 3)
    }
}
