namespace Sentire.Audio.Prosody;

/// <summary>Cycle-to-cycle perturbation of F0 and amplitude, as Praat defines them (Praat manual, "Voice 2. Jitter",
/// "Voice 3. Shimmer"; eGeMAPS uses the same local measures):
///   jitter (local)    = [1/(N-1) Σ_{i=2}^{N} |T_i - T_{i-1}|] / [1/N Σ_{i=1}^{N} T_i]
///   shimmer (local,dB) = 1/(N-1) Σ_{i=2}^{N} |20 log10(A_i / A_{i-1})|
/// over periods T_i and per-period peak amplitudes A_i of each <see cref="PulseChain"/>. As in Praat, periods outside
/// [<see cref="ShortestPeriodSeconds"/>, <see cref="LongestPeriodSeconds"/>] are left out, and so are consecutive pairs whose
/// ratio exceeds <see cref="MaxPeriodFactor"/> (periods) or <see cref="MaxAmplitudeFactor"/> (amplitudes).</summary>
public static class Perturbation
{
    public const double ShortestPeriodSeconds = 0.0001;
    public const double LongestPeriodSeconds = 0.02;
    public const double MaxPeriodFactor = 1.3;
    public const double MaxAmplitudeFactor = 1.6;

    /// <summary>Local jitter as a fraction (0.01 = 1 %); NaN when no valid pair of periods exists.</summary>
    public static double JitterLocal(IReadOnlyList<PulseChain> chains) => SumsOf(chains).JitterLocal;

    /// <summary>Local shimmer in dB; NaN when no valid pair of periods exists. The amplitude of period i is the
    /// peak at the pulse that opens it.</summary>
    public static double ShimmerLocalDb(IReadOnlyList<PulseChain> chains) => SumsOf(chains).ShimmerLocalDb;

    static Sums SumsOf(IReadOnlyList<PulseChain> chains)
    {
        var sums = new Sums();
        foreach (var chain in chains) sums.Add(chain);
        return sums;
    }

    /// <summary>The running sums behind both measures, fed chain by chain in time order (a long recording's chains are
    /// added as they are found and need not be kept).</summary>
    internal sealed class Sums
    {
        double periodSum, differenceSum, shimmerSum;
        int periodCount, pairCount, shimmerCount;

        public double JitterLocal => pairCount == 0 ? double.NaN : differenceSum / pairCount / (periodSum / periodCount);
        public double ShimmerLocalDb => shimmerCount == 0 ? double.NaN : shimmerSum / shimmerCount;

        public void Add(PulseChain chain)
        {
            var periods = chain.Periods();
            for (var i = 0; i < periods.Length; i++)
            {
                if (!IsValidPeriod(periods[i])) continue;
                periodSum += periods[i];
                periodCount++;
                if (i == 0 || !IsValidPeriod(periods[i - 1])) continue;
                if (Ratio(periods[i], periods[i - 1]) > MaxPeriodFactor) continue;
                differenceSum += Math.Abs(periods[i] - periods[i - 1]);
                pairCount++;
                double a = chain.Amplitudes[i - 1], b = chain.Amplitudes[i];
                if (a <= 0 || b <= 0 || Ratio(a, b) > MaxAmplitudeFactor) continue;
                shimmerSum += Math.Abs(20 * Math.Log10(b / a));
                shimmerCount++;
            }
        }
    }

    static bool IsValidPeriod(double period) => period is >= ShortestPeriodSeconds and <= LongestPeriodSeconds;

    static double Ratio(double a, double b) => a > b ? a / b : b / a;
}
