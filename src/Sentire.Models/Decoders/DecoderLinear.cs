using Sentire.Tensors;
using Sentire.Tensors.Nn;

namespace Sentire.Models.Decoders;

/// <summary>The linear layers of a decoder: nn.Linear, float32 or with its weight kept in 16 bits (<see cref="HalfWeight"/>,
/// inference or a frozen model); "bias" stays float32. Weights N(0, initStd) from a generator, or empty until loaded.</summary>
public static class DecoderLinear
{
    public static Linear Create(int inFeatures, int outFeatures, bool bias, HalfFormat? halfFormat, Generator? rng, float initStd)
    {
        var linear = new Linear(inFeatures, outFeatures, null, bias, halfFormat);
        if (rng is not null)
        {
            if (linear.HalfWeight is { } half) half.Load(Tensor.Normal(rng, 0, initStd, outFeatures, inFeatures));
            else Init.Normal(linear.Weight, rng, 0, initStd);
        }
        return linear;
    }
}

/// <summary>nn.Embedding of a decoder ("weight" (vocab, dim)), a float32 parameter or a 16-bit <see cref="HalfWeight"/> as
/// the decoder's linear layers; <see cref="Project"/> reads it as the LM head of a model with tied embeddings.</summary>
public sealed class DecoderEmbedding : Module
{
    readonly HalfWeight? half;

    public int NumEmbeddings { get; }
    public int EmbeddingDim { get; }
    /// <summary>The float32 table, or null when it is kept in 16 bits.</summary>
    public Tensor? Weight { get; }

    public DecoderEmbedding(int numEmbeddings, int embeddingDim, HalfFormat? halfFormat, Generator? rng, float initStd)
    {
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        if (halfFormat is { } format)
        {
            half = RegisterHalfWeight("weight", new HalfWeight(numEmbeddings, embeddingDim, format));
            if (rng is not null) half.Load(Tensor.Normal(rng, 0, initStd, numEmbeddings, embeddingDim));
        }
        else
        {
            Weight = RegisterParameter("weight", Tensor.Zeros(numEmbeddings, embeddingDim));
            if (rng is not null) Init.Normal(Weight, rng, 0, initStd);
        }
    }

    /// <summary>ids laid out as <paramref name="idsShape"/> -> idsShape + (dim).</summary>
    public Tensor Forward(int[] ids, params int[] idsShape)
    {
        foreach (int id in ids)
            if ((uint)id >= (uint)NumEmbeddings) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} is outside the vocabulary of {NumEmbeddings}");
        return Weight is not null ? Tensor.Embedding(Weight, ids, idsShape) : Tensor.Embedding(half!.Value, ids, idsShape);
    }

    /// <summary>x W^T: scores against every row (the output layer of a tied model).</summary>
    public Tensor Project(Tensor x) => Weight is not null ? x.Linear(Weight) : x.Linear(half!.Value);
}
