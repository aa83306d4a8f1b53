namespace Sentire.Audio.Prosody;

/// <summary>Clip-level statistics of one low-level descriptor, as eGeMAPS summarises its contours (Eyben et al. 2016, §3.2):
/// arithmetic mean, standard deviation (population), 20th/50th/80th percentiles and the 20-80 percentile range
/// (openSMILE's pctlrange0-2). NaN everywhere when there were no values.</summary>
public sealed record Functionals(int Count, double Mean, double StandardDeviation, double P20, double P50, double P80)
{
    public static Functionals Empty { get; } = new(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);

    /// <summary>P80 - P20.</summary>
    public double Range20To80 => P80 - P20;

    /// <summary>Coefficient of variation, std / mean (openSMILE's stddevNorm).</summary>
    public double StandardDeviationNorm => StandardDeviation / Mean;

    /// <summary>Statistics of the finite values in <paramref name="values"/> (NaN and infinities are skipped).</summary>
    public static Functionals Of(IEnumerable<double> values) => OfFinite(values.Where(double.IsFinite).ToArray());

    /// <summary>Statistics of the finite values of <paramref name="map"/> over <paramref name="values"/> (the frames of a
    /// long recording: one array of exactly the values kept, no growth slack).</summary>
    internal static Functionals Of(IReadOnlyList<float> values, Func<float, double> map)
    {
        var count = 0;
        foreach (var v in values) if (double.IsFinite(map(v))) count++;
        var finite = new double[count];
        count = 0;
        foreach (var v in values)
            if (map(v) is var m && double.IsFinite(m)) finite[count++] = m;
        return OfFinite(finite);
    }

    /// <summary>Sorts <paramref name="finite"/> in place (not LINQ's Order, which holds keys and a map beside the values:
    /// 100 MB on 10 hours of frames) and takes its statistics.</summary>
    static Functionals OfFinite(double[] sorted)
    {
        Array.Sort(sorted);
        if (sorted.Length == 0) return Empty;
        var mean = sorted.Average();
        var variance = sorted.Sum(v => (v - mean) * (v - mean)) / sorted.Length;
        return new Functionals(sorted.Length, mean, Math.Sqrt(variance),
            Percentile(sorted, 0.2), Percentile(sorted, 0.5), Percentile(sorted, 0.8));
    }

    public static Functionals Of(IEnumerable<float> values) => Of(values.Select(v => (double)v));

    /// <summary>Linear interpolation between closest ranks (numpy's default): position q (n - 1) in the sorted values.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) return double.NaN;
        var position = q * (sorted.Count - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Count - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }
}
