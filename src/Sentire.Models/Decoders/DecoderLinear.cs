using Sentire.Tensors;
using Sentire.Tensors.Nn;

namespace Sentire.Models.Decoders;

/// <summary>
/// nn.Linear of a decoder whose weight is either a float32 parameter "weight" (out, in) or, for a model loaded in
/// half precision, a <see cref="HalfMatrix"/> that is not a parameter (it is constant). "bias" stays float32.
/// </summary>
public sealed class DecoderLinear : Module
{
    readonly HalfFormat? halfFormat;
    HalfMatrix? half;

    public int InFeatures { get; }
    public int OutFeatures { get; }
    /// <summary>The float32 weight, or null when the weight is kept in half precision.</summary>
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }

    public DecoderLinear(int inFeatures, int outFeatures, bool bias, HalfFormat? halfFormat, Generator? rng, float initStd)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        this.halfFormat = halfFormat;
        if (halfFormat is null)
        {
            Weight = RegisterParameter("weight", Tensor.Zeros(outFeatures, inFeatures));
            if (rng is not null) Init.Normal(Weight, rng, 0, initStd);
        }
        else if (rng is not null)
        {
            half = HalfMatrix.FromTensor(Tensor.Normal(rng, 0, initStd, outFeatures, inFeatures), halfFormat.Value);
        }
        if (bias) Bias = RegisterParameter("bias", Tensor.Zeros(outFeatures));
    }

    /// <summary>The half-precision weight's format, or null for float32.</summary>
    public HalfFormat? HalfFormat => halfFormat;

    /// <summary>Sets the weight from a float32 tensor (rounded when kept in half precision).</summary>
    internal void SetWeight(Tensor weight)
    {
        if (Weight is not null) weight.Data.CopyTo(Weight.Data);
        else half = HalfMatrix.FromTensor(weight, halfFormat!.Value);
    }

    public Tensor Forward(Tensor x) => Weight is not null ? x.Linear(Weight, Bias)
        : x.Linear(half ?? throw new InvalidOperationException("this half-precision projection has no weight loaded yet"), Bias);
}

/// <summary>nn.Embedding of a decoder ("weight" (vocab, dim)), float32 or half precision as <see cref="DecoderLinear"/>;
/// <see cref="Project"/> reads it as the LM head of a model with tied embeddings.</summary>
public sealed class DecoderEmbedding : Module
{
    readonly HalfFormat? halfFormat;
    HalfMatrix? half;

    public int NumEmbeddings { get; }
    public int EmbeddingDim { get; }
    public Tensor? Weight { get; }

    public DecoderEmbedding(int numEmbeddings, int embeddingDim, HalfFormat? halfFormat, Generator? rng, float initStd)
    {
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        this.halfFormat = halfFormat;
        if (halfFormat is null)
        {
            Weight = RegisterParameter("weight", Tensor.Zeros(numEmbeddings, embeddingDim));
            if (rng is not null) Init.Normal(Weight, rng, 0, initStd);
        }
        else if (rng is not null)
        {
            half = HalfMatrix.FromTensor(Tensor.Normal(rng, 0, initStd, numEmbeddings, embeddingDim), halfFormat.Value);
        }
    }

    HalfMatrix Half => half ?? throw new InvalidOperationException("this half-precision embedding has no weight loaded yet");

    internal void SetWeight(Tensor weight)
    {
        if (Weight is not null) weight.Data.CopyTo(Weight.Data);
        else half = HalfMatrix.FromTensor(weight, halfFormat!.Value);
    }

    /// <summary>ids laid out as <paramref name="idsShape"/> -> idsShape + (dim).</summary>
    public Tensor Forward(int[] ids, params int[] idsShape)
    {
        foreach (int id in ids)
            if ((uint)id >= (uint)NumEmbeddings) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} is outside the vocabulary of {NumEmbeddings}");
        return Weight is not null ? Tensor.Embedding(Weight, ids, idsShape) : Tensor.Embedding(Half, ids, idsShape);
    }

    /// <summary>x W^T: scores against every row (the output layer of a tied model).</summary>
    public Tensor Project(Tensor x) => Weight is not null ? x.Linear(Weight) : x.Linear(Half);
}
