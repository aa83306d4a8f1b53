namespace Sentire.Evaluation.Captioning;

/// <summary>
/// Corpus BLEU (Papineni et al., 2002) with pycocoevalcap's conventions: clipped n-gram matches
/// against the per-n-gram maximum over references, the reference length closest to the candidate's
/// (ties to the shorter) for the brevity penalty, sums over the whole set before the geometric mean,
/// and its smoothing constants (tiny = 1e-15 added to matches, small = 1e-9 to guesses).
///   BLEU-N = BP * (prod_{k<=N} (correct_k + tiny) / (guess_k + small))^(1/N),
///   BP = exp(1 - r/c) when c < r.
/// </summary>
internal static class Bleu
{
    const double Tiny = 1e-15, Small = 1e-9;

    public static double[] Corpus(IReadOnlyList<ScoredCaption> set, int maxOrder)
    {
        var correct = new double[maxOrder];
        var guess = new double[maxOrder];
        double candidateLength = 0, referenceLength = 0;
        foreach (var item in set)
        {
            int c = item.Candidate.Count;
            candidateLength += c;
            referenceLength += ClosestReferenceLength(item.References, c);

            var maxRef = new Dictionary<string, int>[maxOrder];
            for (int k = 0; k < maxOrder; k++) maxRef[k] = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var reference in item.References)
            {
                var counts = CaptionMetrics.NGramCounts(reference, maxOrder);
                for (int k = 0; k < maxOrder; k++)
                    foreach (var (gram, n) in counts[k])
                        maxRef[k][gram] = Math.Max(maxRef[k].GetValueOrDefault(gram), n);
            }
            var candidate = CaptionMetrics.NGramCounts(item.Candidate, maxOrder);
            for (int k = 0; k < maxOrder; k++)
            {
                guess[k] += Math.Max(c - k, 0);
                foreach (var (gram, n) in candidate[k]) correct[k] += Math.Min(maxRef[k].GetValueOrDefault(gram), n);
            }
        }

        var scores = new double[maxOrder];
        double product = 1;
        for (int k = 0; k < maxOrder; k++)
        {
            product *= (correct[k] + Tiny) / (guess[k] + Small);
            scores[k] = Math.Pow(product, 1.0 / (k + 1));
        }
        double ratio = (candidateLength + Tiny) / (referenceLength + Small);
        if (ratio < 1)
            for (int k = 0; k < maxOrder; k++) scores[k] *= Math.Exp(1 - 1 / ratio);
        return scores;
    }

    static int ClosestReferenceLength(IReadOnlyList<IReadOnlyList<string>> references, int candidateLength) =>
        references.Select(r => r.Count).OrderBy(len => Math.Abs(len - candidateLength)).ThenBy(len => len).First();
}
