namespace Sentire.Evaluation.Captioning;

/// <summary>
/// ROUGE-L (Lin, 2004) as pycocoevalcap computes it: per candidate, P = max_r LCS/|c| and R = max_r LCS/|r|
/// over the references, F = (1 + beta^2) P R / (R + beta^2 P) with beta = 1.2; the set's score is the mean F.
/// </summary>
internal static class RougeL
{
    const double Beta = 1.2;

    public static double Corpus(IReadOnlyList<ScoredCaption> set) => set.Average(item => Sentence(item.Candidate, item.References));

    static double Sentence(IReadOnlyList<string> candidate, IReadOnlyList<IReadOnlyList<string>> references)
    {
        if (candidate.Count == 0) return 0;
        double precision = 0, recall = 0;
        foreach (var reference in references)
        {
            if (reference.Count == 0) continue;
            int lcs = LongestCommonSubsequence(reference, candidate);
            precision = Math.Max(precision, lcs / (double)candidate.Count);
            recall = Math.Max(recall, lcs / (double)reference.Count);
        }
        return precision > 0 && recall > 0 ? (1 + Beta * Beta) * precision * recall / (recall + Beta * Beta * precision) : 0;
    }

    static int LongestCommonSubsequence(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var previous = new int[b.Count + 1];
        var current = new int[b.Count + 1];
        for (int i = 1; i <= a.Count; i++)
        {
            for (int j = 1; j <= b.Count; j++)
                current[j] = a[i - 1] == b[j - 1] ? previous[j - 1] + 1 : Math.Max(previous[j], current[j - 1]);
            (previous, current) = (current, previous);
        }
        return previous[b.Count];
    }
}
