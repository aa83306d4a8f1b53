namespace Sentire.Audio.Corpus;

/// <summary>One train/test partition; both lists keep the input order.</summary>
public sealed record DataSplit(string Name, IReadOnlyList<Utterance> Train, IReadOnlyList<Utterance> Test);

/// <summary>Speaker-disjoint k-fold cross-validation, stratified by emotion where the speakers allow it.
/// Follows scikit-learn's StratifiedGroupKFold (shuffle=True): speakers are shuffled by the seed, then taken
/// in order of decreasing spread of their emotion counts, and each goes to the fold whose per-emotion shares
/// (fold count / total count of that emotion) stay most even: the fold minimising the mean over emotions of
/// the standard deviation across folds, ties to the fold with fewest clips, then the lowest index.
/// A speaker is never in train and test of the same fold.</summary>
public static class SpeakerKFold
{
    public static IReadOnlyList<DataSplit> Split(IReadOnlyList<Utterance> utterances, int folds, int seed)
    {
        if (folds < 2) throw new ArgumentOutOfRangeException(nameof(folds), folds, "need at least 2 folds");
        var withoutSpeaker = utterances.Where(u => u.Speaker is null).ToArray();
        if (withoutSpeaker.Length > 0)
            throw new ArgumentException(
                $"{withoutSpeaker.Length} utterance(s) have no speaker id (first: {withoutSpeaker[0].Id}); " +
                "speaker-disjoint folds need one: filter with CorpusFilter(RequireSpeaker: true)", nameof(utterances));

        var labels = utterances.Select(u => u.Emotion ?? "").Distinct().Order(StringComparer.Ordinal).ToArray();
        var labelIndex = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i);
        var speakers = utterances.GroupBy(u => u.Speaker!)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var counts = new double[labels.Length];
                foreach (var u in g) counts[labelIndex[u.Emotion ?? ""]]++;
                return (Speaker: g.Key, Counts: counts);
            })
            .ToArray();
        if (speakers.Length < folds)
            throw new ArgumentException($"{folds} folds need at least {folds} speakers, found {speakers.Length}", nameof(folds));

        new Random(seed).Shuffle(speakers);
        // Stable sort: speakers with the most uneven emotion mix are placed first, while there is freedom left.
        var order = speakers.OrderByDescending(s => StandardDeviation(s.Counts)).ToArray();

        var totals = new double[labels.Length];
        foreach (var s in speakers)
            for (var l = 0; l < labels.Length; l++) totals[l] += s.Counts[l];

        var foldCounts = new double[folds][];
        for (var f = 0; f < folds; f++) foldCounts[f] = new double[labels.Length];
        var foldSizes = new double[folds];
        var foldOfSpeaker = new Dictionary<string, int>(StringComparer.Ordinal);
        var shares = new double[folds];
        foreach (var (speaker, counts) in order)
        {
            var best = -1;
            var bestScore = double.PositiveInfinity;
            for (var candidate = 0; candidate < folds; candidate++)
            {
                var score = 0.0;
                for (var l = 0; l < labels.Length; l++)
                {
                    for (var f = 0; f < folds; f++)
                        shares[f] = (foldCounts[f][l] + (f == candidate ? counts[l] : 0)) / totals[l];
                    score += StandardDeviation(shares);
                }
                score /= labels.Length;
                // Scores equal up to rounding count as ties (then the smaller fold wins).
                if (score < bestScore - 1e-12 || (Math.Abs(score - bestScore) <= 1e-12 && foldSizes[candidate] < foldSizes[best]))
                {
                    best = candidate;
                    bestScore = Math.Min(score, bestScore);
                }
            }
            for (var l = 0; l < labels.Length; l++) foldCounts[best][l] += counts[l];
            foldSizes[best] += counts.Sum();
            foldOfSpeaker[speaker] = best;
        }

        return Enumerable.Range(0, folds)
            .Select(f => new DataSplit(
                $"fold {f + 1}/{folds} (seed {seed})",
                utterances.Where(u => foldOfSpeaker[u.Speaker!] != f).ToArray(),
                utterances.Where(u => foldOfSpeaker[u.Speaker!] == f).ToArray()))
            .ToArray();
    }

    static double StandardDeviation(ReadOnlySpan<double> values)
    {
        var mean = 0.0;
        foreach (var v in values) mean += v;
        mean /= values.Length;
        var sum = 0.0;
        foreach (var v in values) sum += (v - mean) * (v - mean);
        return Math.Sqrt(sum / values.Length);
    }
}

/// <summary>Cross-corpus evaluation: one split per corpus, that corpus as test and all the others as train.</summary>
public static class LeaveOneCorpusOut
{
    public static IReadOnlyList<DataSplit> Split(IReadOnlyList<Utterance> utterances)
    {
        var corpora = utterances.Select(u => u.Corpus).Distinct().Order(StringComparer.Ordinal).ToArray();
        if (corpora.Length < 2)
            throw new ArgumentException(
                $"leave-one-corpus-out needs at least 2 corpora, found {corpora.Length} ({string.Join(", ", corpora)})",
                nameof(utterances));
        return corpora.Select(c => Without(utterances, c)).ToArray();
    }

    /// <summary>The split that tests <paramref name="corpus"/> (every clip of it) and trains on every other clip.</summary>
    public static DataSplit Without(IReadOnlyList<Utterance> utterances, string corpus)
    {
        var test = utterances.Where(u => u.Corpus == corpus).ToArray();
        if (test.Length == 0 || test.Length == utterances.Count)
            throw new ArgumentException(
                $"leaving out corpus '{corpus}' needs clips of it and of another corpus; the {utterances.Count} clips given are of " +
                $"{string.Join(", ", utterances.Select(u => u.Corpus).Distinct().Order(StringComparer.Ordinal))}");
        return new DataSplit($"test={corpus}", utterances.Where(u => u.Corpus != corpus).ToArray(), test);
    }
}

/// <summary>The fixed RAVDESS hold-out: actors 17-20 (2 female, 2 male) are the test set; every other
/// utterance given (the other RAVDESS actors and any other corpus) is train.</summary>
public static class RavdessTestSplit
{
    public const string Corpus = "ravdess";

    public static IReadOnlySet<string> TestSpeakers { get; } =
        new HashSet<string>(["ravdess/17", "ravdess/18", "ravdess/19", "ravdess/20"], StringComparer.Ordinal);

    public static DataSplit Split(IReadOnlyList<Utterance> utterances)
    {
        var test = utterances.Where(IsTest).ToArray();
        if (test.Length == 0)
            throw new ArgumentException(
                $"no utterance of RAVDESS actors 17-20 (speakers {string.Join(", ", TestSpeakers)}) among {utterances.Count}",
                nameof(utterances));
        return new DataSplit("ravdess actors 17-20", utterances.Where(u => !IsTest(u)).ToArray(), test);
    }

    static bool IsTest(Utterance u) => u.Corpus == Corpus && u.Speaker is not null && TestSpeakers.Contains(u.Speaker);
}
