namespace Sentire.Evaluation.Captioning;

/// <summary>One candidate caption and its references, already tokenised.</summary>
public sealed record ScoredCaption(IReadOnlyList<string> Candidate, IReadOnlyList<IReadOnlyList<string>> References);

/// <summary>Corpus-level caption scores, as the COCO caption evaluation reports them.</summary>
public sealed record CaptionScores(double Bleu1, double Bleu2, double Bleu3, double Bleu4, double RougeL, double CiderD)
{
    /// <summary>SPICE needs a scene-graph parser (Stanford CoreNLP) that this toolkit does not have; it is never estimated.</summary>
    public const string SpiceUnavailable = "SPICE: not computed (needs the Stanford scene-graph parser, which Sentire does not ship)";
}

/// <summary>
/// BLEU-1..4, ROUGE-L and CIDEr-D exactly as the reference COCO caption evaluation code
/// (pycocoevalcap) computes them over a whole set, so scores are comparable with published tables.
/// </summary>
public static class CaptionMetrics
{
    public static CaptionScores Score(IReadOnlyList<ScoredCaption> set)
    {
        if (set.Count == 0) throw new ArgumentException("cannot score an empty caption set");
        for (int i = 0; i < set.Count; i++)
            if (set[i].References.Count == 0) throw new ArgumentException($"caption {i} has no reference");
        var bleu = Bleu.Corpus(set, maxOrder: 4);
        return new CaptionScores(bleu[0], bleu[1], bleu[2], bleu[3], RougeL.Corpus(set), CiderD.Corpus(set));
    }

    /// <summary>Counts of every n-gram of order 1..maxOrder; keys join tokens with a space.</summary>
    internal static Dictionary<string, int>[] NGramCounts(IReadOnlyList<string> tokens, int maxOrder)
    {
        var counts = new Dictionary<string, int>[maxOrder];
        for (int n = 1; n <= maxOrder; n++)
        {
            var c = counts[n - 1] = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i + n <= tokens.Count; i++)
            {
                var key = n == 1 ? tokens[i] : string.Join(' ', tokens.Skip(i).Take(n));
                c[key] = c.GetValueOrDefault(key) + 1;
            }
        }
        return counts;
    }
}
