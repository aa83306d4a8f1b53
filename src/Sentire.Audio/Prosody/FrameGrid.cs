namespace Sentire.Audio.Prosody;

/// <summary>The time grid every prosody track shares: frame i is centred on sample i * hop
/// (time i * HopSeconds), so tracks computed with different window lengths line up frame by frame.
/// Samples a window reaches outside the signal read as zero.</summary>
internal readonly record struct FrameGrid(int SampleRate, int HopSamples, int FrameCount)
{
    public static FrameGrid For(int sampleCount, int sampleRate, double hopSeconds)
    {
        if (sampleRate <= 0) throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "sample rate must be positive");
        var hop = (int)Math.Round(hopSeconds * sampleRate);
        if (hop < 1) throw new ArgumentOutOfRangeException(nameof(hopSeconds), hopSeconds, $"hop must be at least one sample at {sampleRate} Hz");
        return new FrameGrid(sampleRate, hop, sampleCount == 0 ? 0 : (sampleCount - 1) / hop + 1);
    }

    public double HopSeconds => (double)HopSamples / SampleRate;

    /// <summary>A new list of what is wrong with the F0 search range and hop that pitch and harmonicity options share
    /// (the lags lie between sampleRate / maxF0 and sampleRate / minF0); the caller adds its own checks.</summary>
    public static List<string> F0SearchErrors(double minF0Hz, double maxF0Hz, double hopSeconds, int sampleRate)
    {
        var errors = new List<string>();
        if (!(minF0Hz > 0)) errors.Add($"MinF0Hz must be > 0 (got {minF0Hz})");
        if (!(maxF0Hz > minF0Hz)) errors.Add($"MaxF0Hz must exceed MinF0Hz (got {maxF0Hz} <= {minF0Hz})");
        if (maxF0Hz >= sampleRate / 4.0) errors.Add($"MaxF0Hz must be below a quarter of the sample rate {sampleRate} Hz (got {maxF0Hz})");
        if (!(hopSeconds > 0)) errors.Add($"HopSeconds must be > 0 (got {hopSeconds})");
        return errors;
    }

    /// <summary>First sample of a window of <paramref name="length"/> samples centred on frame <paramref name="frame"/>.</summary>
    public int CentredStart(int frame, int length) => frame * HopSamples - length / 2;

    /// <summary>Copies signal[start .. start + window.Length) into <paramref name="window"/>, zero outside the signal.</summary>
    public static void CopyWindow(ReadOnlySpan<float> signal, int start, Span<float> window)
    {
        window.Clear();
        var from = Math.Max(0, start);
        var to = Math.Min(signal.Length, start + window.Length);
        if (to > from) signal[from..to].CopyTo(window[(from - start)..]);
    }
}
