namespace Sentire.Evaluation.Captioning;

/// <summary>
/// A blind baseline for caption metrics: one caption for every clip, the training caption most like the others
/// (highest mean CIDEr-D against the rest of the pool). A captioner that listens should beat it; n-gram metrics
/// reward generic wording, and this row shows how much of a score that alone earns.
/// </summary>
public static class CentralCaption
{
    /// <summary>The most central caption of <paramref name="pool"/> (the first on ties) and its mean CIDEr-D against the others,
    /// tokenised as <paramref name="language"/> is scored.</summary>
    public static (string Caption, double MeanCiderD) Select(IReadOnlyList<string> pool, CaptionLanguage language)
    {
        if (pool.Count < 2) throw new ArgumentException($"a central caption needs a pool of at least 2 captions, got {pool.Count}");
        var scores = CiderD.Centrality(pool.Select(c => CaptionTokenizer.Tokenize(c, language)).ToList());
        int best = 0;
        for (int i = 1; i < scores.Length; i++)
            if (scores[i] > scores[best]) best = i;
        return (pool[best], scores[best]);
    }
}
