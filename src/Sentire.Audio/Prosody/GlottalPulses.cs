namespace Sentire.Audio.Prosody;

/// <summary>A chain of consecutive glottal pulses (one per period) with no gap in between.</summary>
/// <param name="Times">Pulse times in seconds, increasing.</param>
/// <param name="Amplitudes">Peak amplitude of the waveform at each pulse (positive, in the polarity the run was tracked in).</param>
public sealed record PulseChain(double[] Times, double[] Amplitudes)
{
    /// <summary>Period lengths T_i = t_{i+1} - t_i in seconds.</summary>
    public double[] Periods()
    {
        var periods = new double[Math.Max(0, Times.Length - 1)];
        for (var i = 0; i < periods.Length; i++) periods[i] = Times[i + 1] - Times[i];
        return periods;
    }
}

/// <summary>Marks one pulse per glottal cycle in the voiced parts of a signal, in the manner of Praat's
/// "To PointProcess (periodic, cc)" (Boersma, Praat manual): within each voiced run,
/// 1) the polarity with the larger peak is chosen and the first pulse is the largest peak in the first period;
/// 2) the next pulse is predicted one local period (from the pitch track) later; the waveform around the current
///    pulse is cross-correlated with the waveform around candidates 0.8-1.2 periods later, and the best match is
///    moved to the highest peak within ±10 % of a period of it;
/// 3) peak time and height are refined by a parabola through the three samples around the peak;
/// 4) a match with normalised cross-correlation below <see cref="MinCorrelation"/> ends the chain (a new chain starts
///    one period later), so jitter and shimmer never compare periods across a break.</summary>
public static class GlottalPulses
{
    /// <summary>Below this normalised cross-correlation two cycles are not taken as repetitions of each other.</summary>
    public const double MinCorrelation = 0.5;

    public static IReadOnlyList<PulseChain> Find(ReadOnlySpan<float> signal, int sampleRate, PitchTrack pitch)
    {
        var chains = new List<PulseChain>();
        var t = 0;
        while (t < pitch.FrameCount)
        {
            if (!pitch.IsVoiced(t)) { t++; continue; }
            var end = t;
            while (end < pitch.FrameCount && pitch.IsVoiced(end)) end++;
            FindInRun(new SignalPiece(signal, 0, signal.Length), sampleRate, new PitchPiece(pitch.FrequencyHz, 0, pitch.FrameCount, pitch.HopSeconds), t, end, chains);
            t = end;
        }
        return chains;
    }

    /// <summary>The chains of the voiced run of frames [<paramref name="start"/>, <paramref name="end"/>): what
    /// <see cref="Find"/> does for each run, given the run's samples (from half a frame before it to one sample past
    /// half a frame before its end) and its pitch frames (with one frame either side).</summary>
    internal static void FindInRun(SignalPiece signal, int sampleRate, PitchPiece pitch, int start, int end, List<PulseChain> chains)
    {
        var hop = pitch.HopSeconds * sampleRate;
        var from = Math.Max(0, (int)Math.Floor((start - 0.5) * hop));
        var to = Math.Min(signal.Length, (int)Math.Ceiling((end - 0.5) * hop));
        TrackRun(signal, sampleRate, pitch, from, to, chains);
    }

    /// <summary>First sample of the run of frames starting at <paramref name="start"/> that <see cref="FindInRun"/> reads.</summary>
    internal static int RunFirstSample(int start, double hopSamples) => Math.Max(0, (int)Math.Floor((start - 0.5) * hopSamples));

    static void TrackRun(SignalPiece signal, int sampleRate, PitchPiece pitch, int from, int to, List<PulseChain> chains)
    {
        if (to - from < 4) return;
        // 1) Polarity: track positive peaks of y = sign * x.
        float max = float.MinValue, min = float.MaxValue;
        foreach (var v in signal.Slice(from, to - from)) { max = Math.Max(max, v); min = Math.Min(min, v); }
        var sign = max >= -min ? 1f : -1f;

        var times = new List<double>();
        var amplitudes = new List<double>();
        double start = from;
        while (true)
        {
            var period = LocalPeriod(pitch, sampleRate, start);
            if (start + period >= to) break;
            double pulse = HighestPeak(signal, sign, (int)start, (int)Math.Ceiling(start + period));
            times.Clear();
            amplitudes.Clear();
            var next = -1.0;
            while (true)
            {
                // 2) Predict one period on and match whole cycles, centred on the current pulse.
                period = LocalPeriod(pitch, sampleRate, pulse);
                var centre = (int)Math.Round(pulse);
                var half = (int)(period / 2);
                var lo = (int)Math.Floor(centre + 0.8 * period);
                var hi = (int)Math.Ceiling(centre + 1.2 * period);
                if (centre - half < 0 || hi + half + 1 >= to) break;
                times.Add(pulse / sampleRate);
                amplitudes.Add(PeakHeight(signal, sign, centre - half, centre - half + (int)Math.Round(period)));
                var (shift, correlation) = BestMatch(signal, centre, half, lo, hi);
                if (correlation < MinCorrelation) { next = pulse + period; break; }
                pulse += shift - centre;
            }
            if (times.Count >= 2) chains.Add(new PulseChain(times.ToArray(), amplitudes.ToArray()));
            if (next < 0) break;
            start = Math.Ceiling(next);
        }
    }

    static double LocalPeriod(PitchPiece pitch, int sampleRate, double sample)
    {
        var frame = Math.Clamp((int)Math.Round(sample / (pitch.HopSeconds * sampleRate)), 0, pitch.FrameCount - 1);
        // Nearest voiced frame (the run edges may round to an unvoiced neighbour).
        for (var offset = 0; offset < pitch.FrameCount; offset++)
        {
            if (frame - offset >= 0 && pitch.IsVoiced(frame - offset)) return sampleRate / pitch.FrequencyHz(frame - offset);
            if (frame + offset < pitch.FrameCount && pitch.IsVoiced(frame + offset)) return sampleRate / pitch.FrequencyHz(frame + offset);
        }
        throw new InvalidOperationException("pulse tracking needs at least one voiced frame");
    }

    static int HighestPeak(SignalPiece signal, float sign, int from, int to)
    {
        to = Math.Min(to, signal.Length);
        var best = from;
        for (var i = from + 1; i < to; i++)
            if (sign * signal[i] > sign * signal[best]) best = i;
        return best;
    }

    static (double Position, double Correlation) BestMatch(SignalPiece signal, int centre, int half, int lo, int hi)
    {
        var reference = signal.Slice(centre - half, 2 * half + 1);
        double referenceEnergy = 0;
        foreach (var v in reference) referenceEnergy += v * v;
        Span<double> correlations = stackalloc double[hi - lo + 1];
        var best = lo;
        for (var c = lo; c <= hi; c++)
        {
            var candidate = signal.Slice(c - half, 2 * half + 1);
            double cross = 0, energy = 0;
            for (var j = 0; j < candidate.Length; j++)
            {
                cross += reference[j] * candidate[j];
                energy += candidate[j] * candidate[j];
            }
            correlations[c - lo] = referenceEnergy > 0 && energy > 0 ? cross / Math.Sqrt(referenceEnergy * energy) : 0;
            if (correlations[c - lo] > correlations[best - lo]) best = c;
        }
        var (offset, height) = best > lo && best < hi
            ? ParabolicPeak(correlations[best - lo - 1], correlations[best - lo], correlations[best - lo + 1])
            : (0, correlations[best - lo]);
        return (best + offset, height);
    }

    /// <summary>Vertex (offset from the middle sample, height) of the parabola through three equally spaced values.</summary>
    static (double Offset, double Height) ParabolicPeak(double a, double b, double c)
    {
        var curvature = a - 2 * b + c;
        if (curvature >= 0) return (0, b);
        var offset = Math.Clamp(0.5 * (a - c) / curvature, -0.5, 0.5);
        return (offset, b - 0.25 * (a - c) * offset);
    }

    /// <summary>3) Highest value of y = sign * x in [from, to), refined by a parabola through its neighbours.</summary>
    static double PeakHeight(SignalPiece signal, float sign, int from, int to)
    {
        var i = HighestPeak(signal, sign, from, to);
        if (i == 0 || i + 1 >= signal.Length) return sign * signal[i];
        return ParabolicPeak(sign * signal[i - 1], sign * signal[i], sign * signal[i + 1]).Height;
    }
}

/// <summary>Samples [<paramref name="offset"/>, offset + samples.Length) of a signal of <paramref name="length"/> samples,
/// indexed by their position in the whole signal.</summary>
internal readonly ref struct SignalPiece(ReadOnlySpan<float> samples, int offset, int length)
{
    readonly ReadOnlySpan<float> samples = samples;

    /// <summary>Samples in the whole signal.</summary>
    public int Length => length;

    public float this[int index] => samples[index - offset];

    public ReadOnlySpan<float> Slice(int start, int count) => samples.Slice(start - offset, count);
}

/// <summary>F0 of frames [<paramref name="offset"/>, offset + frequencyHz.Length) of a pitch track of
/// <paramref name="frameCount"/> frames, indexed by frame in the whole track.</summary>
internal readonly struct PitchPiece(float[] frequencyHz, int offset, int frameCount, double hopSeconds)
{
    public int FrameCount => frameCount;
    public double HopSeconds => hopSeconds;
    public bool IsVoiced(int frame) => FrequencyHz(frame) > 0;
    public float FrequencyHz(int frame) => frame - offset is var i && (uint)i < (uint)frequencyHz.Length ? frequencyHz[i]
        : throw new InvalidOperationException($"pulse tracking read frame {frame}, outside the frames {offset}..{offset + frequencyHz.Length - 1} it was given");
}
