namespace Sentire.Tensors.Nn;

/// <summary>nn.Embedding: rows of a (vocab, dim) table by id; key "weight". Initialised N(0, 1) as torch does
/// when a generator is given (zeros with null, for loading).</summary>
public sealed class Embedding : Module
{
    public int NumEmbeddings { get; }
    public int EmbeddingDim { get; }
    public Tensor Weight { get; }

    public Embedding(int numEmbeddings, int embeddingDim, Generator? rng)
    {
        if (numEmbeddings <= 0 || embeddingDim <= 0)
            throw new ArgumentOutOfRangeException(nameof(numEmbeddings), $"Embedding needs positive sizes, got {numEmbeddings} x {embeddingDim}");
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        Weight = RegisterParameter("weight", Tensor.Zeros(numEmbeddings, embeddingDim));
        if (rng is not null) Init.Normal(Weight, rng);
    }

    /// <summary>ids laid out as <paramref name="idsShape"/> (one dimension when empty) -> idsShape + (dim).</summary>
    public Tensor Forward(int[] ids, params int[] idsShape) => Tensor.Embedding(Weight, ids, idsShape);
}
