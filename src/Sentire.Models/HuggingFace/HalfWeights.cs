using Sentire.Tensors;
using Sentire.Tensors.Serialization;

namespace Sentire.Models.HuggingFace;

/// <summary>What a loader does with a checkpoint whose weight matrices are all stored in 16 bits (F16 or BF16).</summary>
public enum HalfWeights
{
    /// <summary>Widen them to float32 parameters: trainable, twice the memory (an encoder that is fine-tuned).</summary>
    Widen,
    /// <summary>Keep the matrices of the linear layers in their stored format; products widen tiles of them to float32 and
    /// accumulate in float32 (inference: the published emotion models). Convolutions, norms, biases and embeddings stay float32.</summary>
    Keep,
}

/// <summary>The in-memory format a loader gives the linear layers of a checkpoint.</summary>
public static class HalfWeightsPolicy
{
    /// <summary>The checkpoint's 16-bit format when <paramref name="policy"/> keeps it and every matrix has it, else null (float32).</summary>
    public static HalfFormat? FormatFor(this HalfWeights policy, ITensorStore store) => policy == HalfWeights.Keep ? store.MatrixHalfFormat() : null;
}
