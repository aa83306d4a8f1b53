namespace Sentire.Evaluation.Captioning;

/// <summary>
/// METEOR as defined by Banerjee &amp; Lavie (2005): unigrams of the candidate are aligned to the reference in stages
/// (exact match, then Porter-stem match for English; Chinese characters use exact match only); no WordNet synonym
/// module (we ship no WordNet) and no paraphrase tables, so scores run below those of the METEOR 1.5 jar that COCO uses.
///   P = m / |candidate|, R = m / |reference|, F_mean = 10 P R / (R + 9 P),
///   Penalty = 0.5 (chunks / m)^3, score = F_mean (1 - Penalty),
/// with chunks the fewest runs of adjacent matched unigrams that are adjacent in both strings. Within a stage, each
/// candidate unigram takes the unmatched reference unigram that continues the previous match when there is one, else
/// the first; the score of a caption is the best over its references, and the set score the mean over captions.
/// </summary>
public static class Meteor
{
    public static double Corpus(IReadOnlyList<ScoredCaption> set, bool stem)
    {
        if (set.Count == 0) throw new ArgumentException("cannot score an empty caption set");
        return set.Average(c => c.References.Max(r => Sentence(c.Candidate, r, stem)));
    }

    public static double Sentence(IReadOnlyList<string> candidate, IReadOnlyList<string> reference, bool stem)
    {
        if (candidate.Count == 0 || reference.Count == 0) return 0;
        var alignment = Align(candidate, reference, stem);                 // candidate index -> reference index, or -1
        int m = alignment.Count(a => a >= 0);
        if (m == 0) return 0;
        double p = (double)m / candidate.Count, r = (double)m / reference.Count;
        double fMean = 10 * p * r / (r + 9 * p);
        int chunks = 0, previous = int.MinValue;
        for (int i = 0; i < candidate.Count; i++)
        {
            if (alignment[i] < 0) { previous = int.MinValue; continue; }
            if (alignment[i] != previous + 1) chunks++;
            previous = alignment[i];
        }
        double penalty = 0.5 * Math.Pow((double)chunks / m, 3);
        return fMean * (1 - penalty);
    }

    static int[] Align(IReadOnlyList<string> candidate, IReadOnlyList<string> reference, bool stem)
    {
        var alignment = Enumerable.Repeat(-1, candidate.Count).ToArray();
        var used = new bool[reference.Count];
        var stages = new List<Func<string, string>> { s => s };
        if (stem) stages.Add(PorterStemmer.Stem);
        foreach (var form in stages)
        {
            var refForms = reference.Select(form).ToArray();
            for (int i = 0; i < candidate.Count; i++)
            {
                if (alignment[i] >= 0) continue;
                var c = form(candidate[i]);
                int next = i > 0 && alignment[i - 1] >= 0 ? alignment[i - 1] + 1 : -1;
                int pick = next >= 0 && next < reference.Count && !used[next] && refForms[next] == c ? next : -1;
                for (int j = 0; pick < 0 && j < reference.Count; j++)
                    if (!used[j] && refForms[j] == c) pick = j;
                if (pick < 0) continue;
                alignment[i] = pick;
                used[pick] = true;
            }
        }
        return alignment;
    }
}
