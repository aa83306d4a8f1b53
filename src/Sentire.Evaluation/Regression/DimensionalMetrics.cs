namespace Sentire.Evaluation.Regression;

/// <summary>
/// Agreement between predicted and true continuous ratings (arousal, valence, dominance).
/// Concordance correlation coefficient (Lin, 1989), the metric of the audEERING study:
///   CCC = 2 cov(x, y) / (var(x) + var(y) + (mean(x) - mean(y))^2), population (biased) moments.
/// </summary>
public static class DimensionalMetrics
{
    public static double Ccc(ReadOnlySpan<double> predicted, ReadOnlySpan<double> truth)
    {
        var (mx, my, vx, vy, cov) = Moments(predicted, truth);
        double denominator = vx + vy + (mx - my) * (mx - my);
        return denominator == 0 ? double.NaN : 2 * cov / denominator;
    }

    public static double Pearson(ReadOnlySpan<double> predicted, ReadOnlySpan<double> truth)
    {
        var (_, _, vx, vy, cov) = Moments(predicted, truth);
        return vx == 0 || vy == 0 ? double.NaN : cov / Math.Sqrt(vx * vy);
    }

    /// <summary>Spearman's rank correlation: Pearson's r of the ranks, tied values sharing their average rank (so an
    /// ordinal truth such as BAVED's low / normal / high levels, coded 0 / 1 / 2, is handled).</summary>
    public static double Spearman(ReadOnlySpan<double> predicted, ReadOnlySpan<double> truth)
    {
        CheckLengths(predicted, truth);
        return Pearson(Ranks(predicted), Ranks(truth));
    }

    /// <summary>1-based ranks, ties given the mean of the ranks they span.</summary>
    static double[] Ranks(ReadOnlySpan<double> values)
    {
        var order = Enumerable.Range(0, values.Length).ToArray();
        var copy = values.ToArray();
        Array.Sort(order, (a, b) => copy[a].CompareTo(copy[b]));
        var ranks = new double[values.Length];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && copy[order[end + 1]] == copy[order[start]]) end++;
            for (int k = start; k <= end; k++) ranks[order[k]] = (start + end) / 2.0 + 1;
            start = end + 1;
        }
        return ranks;
    }

    public static double MeanAbsoluteError(ReadOnlySpan<double> predicted, ReadOnlySpan<double> truth)
    {
        CheckLengths(predicted, truth);
        double s = 0;
        for (int i = 0; i < predicted.Length; i++) s += Math.Abs(predicted[i] - truth[i]);
        return s / predicted.Length;
    }

    static (double Mx, double My, double Vx, double Vy, double Cov) Moments(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        CheckLengths(x, y);
        double mx = 0, my = 0;
        for (int i = 0; i < x.Length; i++) { mx += x[i]; my += y[i]; }
        mx /= x.Length; my /= y.Length;
        double vx = 0, vy = 0, cov = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            vx += dx * dx; vy += dy * dy; cov += dx * dy;
        }
        return (mx, my, vx / x.Length, vy / x.Length, cov / x.Length);
    }

    static void CheckLengths(ReadOnlySpan<double> predicted, ReadOnlySpan<double> truth)
    {
        if (predicted.Length != truth.Length)
            throw new ArgumentException($"{predicted.Length} predictions for {truth.Length} true values");
        if (predicted.Length == 0) throw new ArgumentException("no values to compare");
    }
}
