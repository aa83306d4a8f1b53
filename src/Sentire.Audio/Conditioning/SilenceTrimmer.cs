namespace Sentire.Audio.Conditioning;

/// <summary>Settings of <see cref="SilenceTrimmer"/> (librosa.effects.trim's top_db rule on frame RMS, in seconds).</summary>
public sealed record TrimOptions
{
    /// <summary>Frames more than this many dB below the loudest frame count as silence.</summary>
    public double TopDb { get; init; } = 60;
    public double FrameSeconds { get; init; } = 0.025;
    public double HopSeconds { get; init; } = 0.010;
    /// <summary>Extra audio kept on each side of the non-silent region.</summary>
    public double MarginSeconds { get; init; }
}

/// <summary>
/// Trims leading and trailing silence: frame RMS r_t in dB relative to max_t r_t; the kept region runs from
/// the first to the last frame above −top_db (interior pauses stay), widened by the margin.
/// </summary>
public static class SilenceTrimmer
{
    /// <summary>[start, end) sample range of the non-silent region; (0, 0) when the whole signal is silent.</summary>
    public static (int Start, int End) Bounds(ReadOnlySpan<float> signal, int sampleRate, TrimOptions? options = null)
    {
        options ??= new TrimOptions();
        var frame = Math.Max(1, (int)Math.Round(options.FrameSeconds * sampleRate));
        var hop = Math.Max(1, (int)Math.Round(options.HopSeconds * sampleRate));
        if (signal.IsEmpty) return (0, 0);
        var frames = signal.Length <= frame ? 1 : 1 + (signal.Length - frame + hop - 1) / hop;
        var energies = new double[frames];
        double loudest = 0;
        for (var t = 0; t < frames; t++)
        {
            var start = t * hop;
            var window = signal.Slice(start, Math.Min(frame, signal.Length - start));
            energies[t] = Loudness.Rms(window);
            loudest = Math.Max(loudest, energies[t]);
        }
        if (loudest == 0) return (0, 0);
        var threshold = loudest * Math.Pow(10, -options.TopDb / 20);
        int first = Array.FindIndex(energies, e => e > threshold), last = Array.FindLastIndex(energies, e => e > threshold);
        var margin = (int)Math.Round(options.MarginSeconds * sampleRate);
        return (Math.Max(0, first * hop - margin), Math.Min(signal.Length, last * hop + frame + margin));
    }

    /// <summary>A copy of the non-silent region (empty when all silent).</summary>
    public static float[] Trim(ReadOnlySpan<float> signal, int sampleRate, TrimOptions? options = null)
    {
        var (start, end) = Bounds(signal, sampleRate, options);
        return signal[start..end].ToArray();
    }
}
