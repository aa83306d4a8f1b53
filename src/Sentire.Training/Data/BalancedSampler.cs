using Sentire.Tensors;

namespace Sentire.Training.Data;

/// <summary>
/// Corpus- and class-balanced sampling with replacement: every corpus is drawn equally often, and within a corpus
/// every label equally often, P(i) = 1/C * 1/K_c * 1/n_(c,k), whatever the corpora's sizes and label skews
/// (URDU is 86 % male, RAVDESS has half as many neutral clips, ...). Optional corpus weights w_c scale a corpus's share:
/// P(i) = w_c / sum(w) * 1/K_c * 1/n_(c,k) (a corpus without a weight has 1), e.g. TESS, two voices saying single words,
/// at half the share of a corpus with twenty speakers.
/// </summary>
public sealed class BalancedSampler
{
    readonly double[] cumulative;

    public BalancedSampler(IReadOnlyList<(string Corpus, int Label)> items, IReadOnlyDictionary<string, double>? corpusWeights = null)
    {
        if (items.Count == 0) throw new ArgumentException("cannot sample from an empty set");
        foreach (var (corpus, w) in corpusWeights ?? new Dictionary<string, double>())
            if (!(w > 0) || double.IsInfinity(w)) throw new ArgumentException($"corpus weight of '{corpus}' must be a positive number, found {w}", nameof(corpusWeights));
        double Weight(string corpus) => corpusWeights?.GetValueOrDefault(corpus, 1.0) ?? 1.0;
        var corpora = items.Select(x => x.Corpus).Distinct().Sum(Weight);
        var labelsPerCorpus = items.GroupBy(x => x.Corpus).ToDictionary(g => g.Key, g => g.Select(x => x.Label).Distinct().Count());
        var cellCount = items.GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
        cumulative = new double[items.Count];
        double total = 0;
        for (int i = 0; i < items.Count; i++)
        {
            total += Weight(items[i].Corpus) / corpora / labelsPerCorpus[items[i].Corpus] / cellCount[items[i]];
            cumulative[i] = total;
        }
    }

    /// <summary>Probability of item <paramref name="i"/> being drawn.</summary>
    public double Probability(int i) => (cumulative[i] - (i == 0 ? 0 : cumulative[i - 1])) / cumulative[^1];

    public int[] Sample(int count, Generator rng)
    {
        var result = new int[count];
        for (int n = 0; n < count; n++)
        {
            int i = Array.BinarySearch(cumulative, rng.NextDouble() * cumulative[^1]);
            result[n] = Math.Min(i < 0 ? ~i : i, cumulative.Length - 1);
        }
        return result;
    }
}
