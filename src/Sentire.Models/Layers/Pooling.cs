using Sentire.Tensors;

namespace Sentire.Models.Layers;

/// <summary>Sequence pooling used by the heads.</summary>
public static class Pooling
{
    /// <summary>Mean over real frames only: sum_t m_t h_t / sum_t m_t (GEmo-CLAP's audio pooling), (B, T, D) -> (B, D).</summary>
    public static Tensor MaskedMean(Tensor hidden, Tensor? frameMask)
    {
        if (frameMask is null) return hidden.Mean(1);
        int b = hidden.Dim(0), t = hidden.Dim(1);
        if (!frameMask.Shape.SequenceEqual([b, t]))
            throw new ArgumentException($"frame mask {frameMask.ShapeString} does not match hidden states {hidden.ShapeString}");
        var m = frameMask.Reshape(b, t, 1);
        return (hidden * m).Sum(1) / m.Sum(1).Clamp(1f, null);
    }

    /// <summary>The first token's state (RoBERTa/BERT-style [CLS] pooling), (B, T, D) -> (B, D).</summary>
    public static Tensor FirstToken(Tensor hidden) => hidden.Narrow(1, 0, 1).Reshape(hidden.Dim(0), hidden.Dim(2));
}
