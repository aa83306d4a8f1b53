namespace Sentire.Training.Baselines;

/// <summary>
/// What clip length alone says about the label: each test clip gets the most frequent training label among the
/// training clips whose duration (rounded to 10 ms) is nearest to its own (ties between labels: ordinal order).
/// On a corpus whose clips were cut to emotion-specific lengths (ASED) this scores far above chance without
/// hearing a sample; a model that cannot see clip length must not gain from it.
/// </summary>
public static class DurationBaseline
{
    public static string[] Predict(IReadOnlyList<(double Seconds, string Label)> train, IReadOnlyList<double> test)
    {
        if (train.Count == 0) throw new ArgumentException("the duration baseline needs at least one training clip");
        var byDuration = train.GroupBy(t => (long)Math.Round(t.Seconds * 100))
            .Select(g => (Centis: g.Key, Label: g.GroupBy(t => t.Label, StringComparer.Ordinal)
                .OrderByDescending(l => l.Count()).ThenBy(l => l.Key, StringComparer.Ordinal).First().Key))
            .OrderBy(d => d.Centis).ToArray();
        return test.Select(seconds =>
        {
            long centis = (long)Math.Round(seconds * 100);
            return byDuration.MinBy(d => Math.Abs(d.Centis - centis)).Label;   // first of equally near: the shorter
        }).ToArray();
    }
}
