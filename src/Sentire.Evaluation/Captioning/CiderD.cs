namespace Sentire.Evaluation.Captioning;

/// <summary>
/// CIDEr-D (Vedantam et al., 2015) as pycocoevalcap computes it. Each sentence becomes, for n = 1..4,
/// a TF-IDF vector g_n(w) = tf(w) * (log |set| - log max(1, df(w))), df counted over the reference sets
/// of the set being scored. For candidate c and reference r:
///   sim_n = sum_w min(g_n^c(w), g_n^r(w)) g_n^r(w) / (|g_n^c| |g_n^r|) * exp(-(l_c - l_r)^2 / (2 sigma^2)),
/// sigma = 6, where the "length" l is, faithfully to the reference code, the number of bigrams.
/// CIDEr-D(c) = 10 * mean_n sum_r sim_n / |refs|; the set's score is the mean over candidates.
/// </summary>
internal static class CiderD
{
    const int MaxOrder = 4;
    const double Sigma = 6.0;

    public static double Corpus(IReadOnlyList<ScoredCaption> set)
    {
        var references = set.Select(item => item.References.Select(r => CaptionMetrics.NGramCounts(r, MaxOrder)).ToList()).ToList();
        var documentFrequency = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var refs in references)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var counts in refs)
                for (int k = 0; k < MaxOrder; k++)
                    foreach (var gram in counts[k].Keys) seen.Add(gram);
            foreach (var gram in seen) documentFrequency[gram] = documentFrequency.GetValueOrDefault(gram) + 1;
        }
        double logSetSize = Math.Log(set.Count);

        double total = 0;
        for (int i = 0; i < set.Count; i++)
        {
            var candidate = TfIdf(CaptionMetrics.NGramCounts(set[i].Candidate, MaxOrder), documentFrequency, logSetSize);
            double sum = 0;
            foreach (var r in references[i]) sum += Similarity(candidate, TfIdf(r, documentFrequency, logSetSize));
            total += sum / references[i].Count;
        }
        return total / set.Count;
    }

    /// <summary>For each sentence of a pool, its mean CIDEr-D against every other sentence of the pool, with document
    /// frequencies counted over the pool (each sentence one document, itself included).</summary>
    public static double[] Centrality(IReadOnlyList<IReadOnlyList<string>> pool)
    {
        var counts = pool.Select(s => CaptionMetrics.NGramCounts(s, MaxOrder)).ToList();
        var documentFrequency = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var c in counts)
            for (int k = 0; k < MaxOrder; k++)
                foreach (var gram in c[k].Keys) documentFrequency[gram] = documentFrequency.GetValueOrDefault(gram) + 1;
        double logSetSize = Math.Log(pool.Count);
        var vectors = counts.Select(c => TfIdf(c, documentFrequency, logSetSize)).ToArray();
        var result = new double[pool.Count];
        for (int i = 0; i < pool.Count; i++)
            for (int j = i + 1; j < pool.Count; j++)
            {
                double s = Similarity(vectors[i], vectors[j]);
                result[i] += s;
                result[j] += s;
            }
        if (pool.Count > 1)
            for (int i = 0; i < pool.Count; i++) result[i] /= pool.Count - 1;
        return result;
    }

    /// <summary>10 * mean_n sim_n(c, r), the length-penalised clipped TF-IDF cosine of one candidate and one reference.</summary>
    static double Similarity(Vector candidate, Vector reference)
    {
        double delta = candidate.Length - reference.Length;
        double penalty = Math.Exp(-(delta * delta) / (2 * Sigma * Sigma));
        double sum = 0;
        for (int k = 0; k < MaxOrder; k++)
        {
            double dot = 0;
            foreach (var (gram, value) in candidate.Vectors[k])
                if (reference.Vectors[k].TryGetValue(gram, out var refValue)) dot += Math.Min(value, refValue) * refValue;
            if (candidate.Norms[k] != 0 && reference.Norms[k] != 0) dot /= candidate.Norms[k] * reference.Norms[k];
            sum += dot * penalty;
        }
        return sum / MaxOrder * 10.0;
    }

    sealed record Vector(Dictionary<string, double>[] Vectors, double[] Norms, int Length);

    static Vector TfIdf(Dictionary<string, int>[] counts, Dictionary<string, int> documentFrequency, double logSetSize)
    {
        var vectors = new Dictionary<string, double>[MaxOrder];
        var norms = new double[MaxOrder];
        int length = 0;
        for (int k = 0; k < MaxOrder; k++)
        {
            vectors[k] = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var (gram, tf) in counts[k])
            {
                double value = tf * (logSetSize - Math.Log(Math.Max(1.0, documentFrequency.GetValueOrDefault(gram))));
                vectors[k][gram] = value;
                norms[k] += value * value;
                if (k == 1) length += tf; // the reference code measures length in bigrams
            }
            norms[k] = Math.Sqrt(norms[k]);
        }
        return new Vector(vectors, norms, length);
    }
}
