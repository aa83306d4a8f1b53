namespace Sentire.Audio.Segmentation;

/// <summary>A [start, end) span of a recording in samples at <paramref name="SampleRate"/>.</summary>
public readonly record struct Segment(long StartSample, long EndSample, int SampleRate)
{
    public long Length => EndSample - StartSample;
    public double StartSeconds => (double)StartSample / SampleRate;
    public double EndSeconds => (double)EndSample / SampleRate;
    public double DurationSeconds => (double)Length / SampleRate;

    /// <summary>The segment's samples (a slice, not a copy).</summary>
    public ReadOnlySpan<float> Slice(ReadOnlySpan<float> signal) => signal[(int)StartSample..(int)EndSample];

    public override string ToString() => $"{StartSeconds:0.000}–{EndSeconds:0.000} s";
}

/// <summary>Fixed-length windows with a hop: a long recording becomes a regular timeline of segments.</summary>
public static class FixedWindows
{
    /// <summary>
    /// Windows [k·hop, k·hop + win) for k = 0, 1, …; the last window is cut at the end of the signal and kept
    /// when at least <paramref name="minLastSeconds"/> long (a recording shorter than one window is one segment).
    /// </summary>
    public static IReadOnlyList<Segment> Split(long sampleCount, int sampleRate, double windowSeconds, double hopSeconds,
        double minLastSeconds = 0)
    {
        if (sampleRate <= 0) throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "Sample rate must be positive.");
        var window = (long)Math.Round(windowSeconds * sampleRate);
        var hop = (long)Math.Round(hopSeconds * sampleRate);
        if (window < 1 || hop < 1)
            throw new ArgumentOutOfRangeException(nameof(windowSeconds), $"Window and hop must be at least one sample at {sampleRate} Hz, got {windowSeconds} s and {hopSeconds} s.");
        var minLast = (long)Math.Round(minLastSeconds * sampleRate);
        var segments = new List<Segment>();
        for (long start = 0; start < sampleCount; start += hop)
        {
            var end = Math.Min(sampleCount, start + window);
            if (end - start < window && segments.Count > 0 && end - start < minLast) break;
            segments.Add(new Segment(start, end, sampleRate));
            if (end == sampleCount) break;
        }
        return segments;
    }
}
