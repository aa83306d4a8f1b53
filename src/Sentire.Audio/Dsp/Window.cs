namespace Sentire.Audio.Dsp;

/// <summary>Analysis window shapes, with torch's and Kaldi's definitions.</summary>
public enum WindowKind
{
    /// <summary>torch.hann_window: 0.5 − 0.5·cos(2πn/D).</summary>
    Hann,
    /// <summary>torch.hamming_window: 0.54 − 0.46·cos(2πn/D).</summary>
    Hamming,
    /// <summary>Kaldi's "povey": symmetric Hann raised to 0.85 (non-zero at the ends, sharper than Hamming).</summary>
    Povey,
    /// <summary>Kaldi's Blackman: c − 0.5·cos(2πn/D) + (0.5 − c)·cos(4πn/D), c = 0.42.</summary>
    Blackman,
    /// <summary>All ones.</summary>
    Rectangular,
}

/// <summary>Window coefficients. Periodic windows (torch's default for STFT) use D = N, symmetric ones D = N − 1.</summary>
public static class Window
{
    /// <summary>Kaldi's default Blackman coefficient.</summary>
    public const double KaldiBlackmanCoefficient = 0.42;

    public static float[] Create(WindowKind kind, int length, bool periodic, double blackmanCoefficient = KaldiBlackmanCoefficient)
    {
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "Window length must be at least 1.");
        var window = new float[length];
        if (length == 1)
        {
            window[0] = 1f;
            return window;
        }
        double denominator = periodic ? length : length - 1;
        for (var n = 0; n < length; n++)
        {
            var phase = 2.0 * Math.PI * n / denominator;
            window[n] = (float)(kind switch
            {
                WindowKind.Hann => 0.5 - 0.5 * Math.Cos(phase),
                WindowKind.Hamming => 0.54 - 0.46 * Math.Cos(phase),
                WindowKind.Povey => Math.Pow(0.5 - 0.5 * Math.Cos(phase), 0.85),
                WindowKind.Blackman => blackmanCoefficient - 0.5 * Math.Cos(phase) + (0.5 - blackmanCoefficient) * Math.Cos(2 * phase),
                WindowKind.Rectangular => 1.0,
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown window kind."),
            });
        }
        return window;
    }

    /// <summary>Parses a window name as the CLI and options spell it (hann, hamming, povey, blackman, rectangular).</summary>
    public static WindowKind Parse(string name) => name.ToLowerInvariant() switch
    {
        "hann" or "hanning" => WindowKind.Hann,
        "hamming" => WindowKind.Hamming,
        "povey" => WindowKind.Povey,
        "blackman" => WindowKind.Blackman,
        "rectangular" or "rect" or "boxcar" => WindowKind.Rectangular,
        _ => throw new ArgumentException($"Unknown window '{name}'; expected one of hann, hamming, povey, blackman, rectangular."),
    };
}
