namespace Sentire.Evaluation.Captioning;

/// <summary>A named sentence encoder for SIM: text to a fixed-size vector.</summary>
public interface ISentenceEncoder
{
    /// <summary>Shown next to the SIM score, so a reader knows which encoder produced it.</summary>
    string Name { get; }
    float[] Encode(string text);
}

/// <summary>SIM (SECap's Table 1): mean over captions of the cosine similarity between the sentence embeddings of the
/// candidate and its reference (the best reference when there are several), x100 as the paper reports it.</summary>
public static class SentenceSimilarity
{
    public static double Corpus(IReadOnlyList<(string Candidate, IReadOnlyList<string> References)> set, ISentenceEncoder encoder)
    {
        if (set.Count == 0) throw new ArgumentException("cannot score an empty caption set");
        var cache = new Dictionary<string, float[]>(StringComparer.Ordinal);
        float[] Embed(string s) => cache.TryGetValue(s, out var e) ? e : cache[s] = encoder.Encode(s);
        return 100 * set.Average(c => c.References.Max(r => (double)System.Numerics.Tensors.TensorPrimitives.CosineSimilarity<float>(Embed(c.Candidate), Embed(r))));
    }
}
