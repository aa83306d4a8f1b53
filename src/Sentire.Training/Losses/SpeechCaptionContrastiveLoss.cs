using Sentire.Tensors;

namespace Sentire.Training.Losses;

/// <summary>
/// Speech-Caption Contrastive Learning (SCCL), SECap eq. 5 (Xu et al., AAAI 2024). A batch holds K pairs from
/// each of N emotion categories. For the pooled Q-Embedding e_i of clip i, with S the cosine similarity,
/// d_i its own caption's C-Embedding, p_ij the K-1 other captions of its category and u_ij the NK-K captions
/// of the other categories:
///   L_i = w1 (1 - S(e_i, d_i)) + w2 sum_j (1 - S(e_i, p_ij)) + w3 sum_j ReLU(S(e_i, u_ij) - m),
/// and the loss is the mean of L_i over the batch. It pulls speech towards every caption of its emotion and
/// pushes it from other emotions only while they are closer than the margin m.
/// </summary>
public sealed record SpeechCaptionContrastiveLoss(float W1 = 1f, float W2 = 1f, float W3 = 1f, float Margin = 0.2f)
{
    /// <param name="speech">(B, D) pooled Q-Embeddings.</param>
    /// <param name="captions">(B, D) pooled C-Embeddings; row i is the caption of clip i.</param>
    /// <param name="categories">emotion category of each pair (B entries).</param>
    public Tensor Compute(Tensor speech, Tensor captions, IReadOnlyList<int> categories)
    {
        if (speech.Rank != 2 || !speech.Shape.SequenceEqual(captions.Shape))
            throw new ArgumentException($"speech {speech.ShapeString} and caption {captions.ShapeString} embeddings must both be (B, D)");
        int b = speech.Dim(0);
        if (categories.Count != b) throw new ArgumentException($"{categories.Count} categories for a batch of {b}");

        var similarity = speech.Normalize(dim: -1).MatMul(captions.Normalize(dim: -1), transB: true);   // S (B, B)
        // Weights that select each term: w1 on the diagonal, w2 on same-category pairs, w3 on the rest.
        var own = Tensor.Zeros(b, b);
        var sameCategory = Tensor.Zeros(b, b);
        var otherCategory = Tensor.Zeros(b, b);
        for (int i = 0; i < b; i++)
            for (int j = 0; j < b; j++)
            {
                if (i == j) own[i, j] = W1;
                else if (categories[i] == categories[j]) sameCategory[i, j] = W2;
                else otherCategory[i, j] = W3;
            }
        var pull = similarity.RSub(1f) * (own + sameCategory);                 // w1 (1 - S_ii) + w2 (1 - S_ij)
        var push = similarity.Sub(Margin).Relu() * otherCategory;              // w3 ReLU(S_ij - m)
        return (pull + push).Sum() * (1f / b);
    }

    /// <summary>Category-balanced batches for SCCL: each batch takes K items from each of N categories
    /// (categories drawn without replacement among those with at least K items; items shuffled per epoch).</summary>
    public static IEnumerable<int[]> Batches(IReadOnlyList<int> categories, int n, int k, Generator rng)
    {
        if (n < 2 || k < 1) throw new ArgumentException($"SCCL batches need N >= 2 categories and K >= 1 samples (got N = {n}, K = {k})");
        var pools = categories.Select((c, i) => (c, i)).GroupBy(x => x.c).ToDictionary(g => g.Key, g => g.Select(x => x.i).ToArray());
        foreach (var pool in pools.Values) rng.Shuffle(pool.AsSpan());
        var cursor = pools.Keys.ToDictionary(c => c, _ => 0);
        while (true)
        {
            var available = cursor.Where(kv => pools[kv.Key].Length - kv.Value >= k).Select(kv => kv.Key).OrderBy(c => c).ToArray();
            if (available.Length < n) yield break;
            rng.Shuffle(available.AsSpan());
            var batch = new List<int>(n * k);
            foreach (var c in available.Take(n))
            {
                batch.AddRange(pools[c].Skip(cursor[c]).Take(k));
                cursor[c] += k;
            }
            yield return [.. batch];
        }
    }
}
