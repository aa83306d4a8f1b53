using Sentire.Tensors;

namespace Sentire.Models.Clap;

/// <summary>The mean clip embedding mu_ref (P) of the clips a model was trained on, corpus-balanced (the mean of each
/// corpus's mean, as training samples the corpora), with how many clips of which corpora made it: reference.safetensors.</summary>
public sealed record ReferenceEmbedding(float[] Mean, int Clips, IReadOnlyList<string> Corpora)
{
    /// <summary>mu_ref from the clip embeddings (each (1, P) or (P)) of the training clips, grouped by corpus.</summary>
    public static ReferenceEmbedding FromCorpora(IReadOnlyDictionary<string, IReadOnlyList<float[]>> embeddingsByCorpus)
    {
        if (embeddingsByCorpus.Count == 0 || embeddingsByCorpus.Values.Any(e => e.Count == 0))
            throw new ArgumentException("a reference embedding needs at least one clip of every corpus named");
        var means = embeddingsByCorpus.Values.Select(EmbeddingAlignment.Mean).ToList();
        return new ReferenceEmbedding(EmbeddingAlignment.Mean(means), embeddingsByCorpus.Values.Sum(e => e.Count),
            [.. embeddingsByCorpus.Keys.Order(StringComparer.Ordinal)]);
    }
}

/// <summary>
/// Test-time alignment to a recording set-up. On a corpus never heard (another language, microphone, room) a CLAP model's
/// clip embeddings shift as a whole (docs/teacher.md: on ASED left out, 126 of 146 neutral clips called "sad"), so one
/// label takes most calls. Given unlabelled clips of the set-up, whose mean clip embedding is mu_set, every clip embedding
/// a of that set-up is scored as
/// <code>
///   a' = normalize(a - mu_set + mu_ref)
/// </code>
/// with mu_ref the model's <see cref="ReferenceEmbedding"/>: the set-up's mean is moved onto the training clips' mean
/// before the cosine with the label prompts. It reads audio only, never labels, and assumes the set holds a mix of
/// emotions like the training corpora's (a set of only angry clips would be moved towards the average); on the training
/// set-ups mu_set is about mu_ref and nothing changes. Classic corpus normalisation of cross-corpus emotion recognition,
/// on the embedding. Measured (docs/teacher.md, "Test-time alignment"): +2.6 UAR on the mean of five corpora left out
/// (ASED +9.6) but -2.0 on the default's held-out speakers (URDU -20): an evaluation protocol (<c>eval --align</c>),
/// not part of analysis.
/// </summary>
public sealed class EmbeddingAlignment
{
    readonly float[] shift;   // mu_ref - mu_set, (P)

    /// <param name="setMean">mu_set: the mean of the set-up's clip embeddings (<see cref="Mean"/>).</param>
    /// <param name="setSize">how many clips gave <paramref name="setMean"/> (reported, not used).</param>
    public EmbeddingAlignment(ReferenceEmbedding reference, ReadOnlySpan<float> setMean, int setSize)
    {
        if (setMean.Length != reference.Mean.Length)
            throw new ArgumentException($"the set's mean embedding has {setMean.Length} values, the model's reference {reference.Mean.Length}");
        if (setSize < 1) throw new ArgumentException($"an alignment needs at least one clip of the set, got {setSize}");
        shift = new float[setMean.Length];
        for (int i = 0; i < shift.Length; i++) shift[i] = reference.Mean[i] - setMean[i];
        SetSize = setSize;
    }

    public int SetSize { get; }

    /// <summary>Element-wise mean of equal-length vectors.</summary>
    public static float[] Mean(IReadOnlyList<float[]> vectors)
    {
        if (vectors.Count == 0) throw new ArgumentException("the mean of no vectors");
        var sum = new double[vectors[0].Length];
        foreach (var v in vectors)
        {
            if (v.Length != sum.Length) throw new ArgumentException($"vectors of {sum.Length} and {v.Length} values");
            for (int i = 0; i < sum.Length; i++) sum[i] += v[i];
        }
        return sum.Select(x => (float)(x / vectors.Count)).ToArray();
    }

    /// <summary>a' = normalize(a + mu_ref - mu_set) for each row of <paramref name="embeddings"/> (N, P).</summary>
    public Tensor Apply(Tensor embeddings)
    {
        int p = shift.Length;
        if (embeddings.Rank != 2 || embeddings.Dim(1) != p)
            throw new ArgumentException($"expected clip embeddings (N, {p}), got [{string.Join(", ", embeddings.ShapeArray())}]");
        var source = embeddings.Data;
        var result = new float[source.Length];
        for (int row = 0; row < embeddings.Dim(0); row++)
        {
            var a = result.AsSpan(row * p, p);
            double norm = 0;
            for (int i = 0; i < p; i++) { a[i] = source[row * p + i] + shift[i]; norm += (double)a[i] * a[i]; }
            float scale = norm > 0 ? (float)(1 / Math.Sqrt(norm)) : 0f;
            for (int i = 0; i < p; i++) a[i] *= scale;
        }
        return new Tensor(result, embeddings.Dim(0), p);
    }
}
