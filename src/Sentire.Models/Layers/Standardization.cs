using Sentire.Tensors;

namespace Sentire.Models.Layers;

/// <summary>The per-column input standardisation (x - mean) / std that the encoders keep as buffers next to their
/// weights (so the statistics of the training features travel in the checkpoint under the model's own key names).</summary>
public static class Standardization
{
    /// <summary>Copies training statistics into a model's <paramref name="meanBuffer"/> and <paramref name="stdBuffer"/>;
    /// <paramref name="owner"/> names the model in the error when the column counts differ.</summary>
    public static void SetStatistics(Tensor meanBuffer, Tensor stdBuffer, ReadOnlySpan<float> mean, ReadOnlySpan<float> std, string owner)
    {
        if (mean.Length != meanBuffer.Length || std.Length != stdBuffer.Length)
            throw new ArgumentException($"statistics for {mean.Length}/{std.Length} columns, {owner} reads {meanBuffer.Length}");
        mean.CopyTo(meanBuffer.Data);
        std.CopyTo(stdBuffer.Data);
    }
}
