using Sentire.Tensors;

namespace Sentire.Models.Decoders;

/// <summary>How a decoder keeps its large matrices (embeddings, projections, LM head) in memory. Norm weights and
/// biases always stay float32.</summary>
public enum WeightPrecision
{
    /// <summary>float32 parameters: trainable, 4 bytes a weight.</summary>
    Float32,
    /// <summary>bfloat16 (2 bytes a weight), widened per block inside each product; inference or frozen use only.</summary>
    BFloat16,
    /// <summary>IEEE half (2 bytes a weight), as <see cref="BFloat16"/>.</summary>
    Float16,
}

/// <summary>Options of <see cref="LlamaForCausalLM.Load(string, LoadOptions)"/>.</summary>
public sealed record LoadOptions
{
    /// <summary>Storage of the large matrices; BFloat16 is exact for the usual bf16 checkpoints and halves memory.</summary>
    public WeightPrecision Precision { get; init; } = WeightPrecision.Float32;

    internal static HalfFormat? HalfFormatOf(WeightPrecision precision) => precision switch
    {
        WeightPrecision.BFloat16 => HalfFormat.BFloat16,
        WeightPrecision.Float16 => HalfFormat.Float16,
        _ => null,
    };
}
