using Sentire.Audio.Dsp;

namespace Sentire.Audio.Prosody;

/// <summary>Per-frame spectral balance parameters of eGeMAPS (F. Eyben et al., "The Geneva Minimalistic Acoustic
/// Parameter Set (GeMAPS) for Voice Research and Affective Computing", IEEE Trans. Affective Computing 7(2), 2016, §3.1.2),
/// NaN where a frame has no energy in a band:
/// <list type="bullet">
/// <item>alpha ratio: energy summed over 1-5 kHz against 50 Hz-1 kHz, 10 log10(E_high / E_low) dB (negative when the low band
///   dominates, the sign of openSMILE's alphaRatio values);</item>
/// <item>Hammarberg index: strongest bin in 0-2 kHz against the strongest in 2-5 kHz, 10 log10(P_max,low / P_max,high) dB;</item>
/// <item>spectral slopes 0-500 Hz and 500-1500 Hz: least-squares slope of the power spectrum in dB against frequency, in dB/Hz.</item>
/// </list>
/// Spectra: 25 ms Hamming window, 10 ms hop, centred frames (frame i at i * hop as every prosody track), FFT from Dsp.</summary>
public static class SpectralBalance
{
    public const double WindowSeconds = 0.025;

    /// <summary>Power below 10^-12 (-120 dB) counts as this floor in the dB spectrum, so digital silence gives finite slopes.</summary>
    const double PowerFloor = 1e-12;

    public static SpectralBalanceTrack Track(ReadOnlyMemory<float> signal, int sampleRate, double hopSeconds = 0.01)
    {
        var grid = FrameGrid.For(signal.Length, sampleRate, hopSeconds);
        var window = (int)Math.Round(WindowSeconds * sampleRate);
        var stft = new Stft(new StftOptions
        {
            NFft = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)window),
            WinLength = window,
            HopLength = grid.HopSamples,
            Window = WindowKind.Hamming,
            PadMode = PadMode.Constant,
        });
        var binHz = (double)sampleRate / stft.NFft;
        var frames = Math.Min(grid.FrameCount, stft.FrameCount(signal.Length));
        var track = new SpectralBalanceTrack(new float[frames], new float[frames], new float[frames], new float[frames], hopSeconds);
        stft.ForEachFrame(signal, 2f, (t, power) =>
        {
            if (t >= frames) return;
            track.AlphaRatioDb[t] = (float)(10 * Math.Log10(BandSum(power, binHz, 1000, 5000) / BandSum(power, binHz, 50, 1000)));
            track.HammarbergIndexDb[t] = (float)(10 * Math.Log10(BandMax(power, binHz, 0, 2000) / BandMax(power, binHz, 2000, 5000)));
            track.Slope0To500DbPerHz[t] = (float)Slope(power, binHz, 0, 500);
            track.Slope500To1500DbPerHz[t] = (float)Slope(power, binHz, 500, 1500);
        });
        foreach (var values in new[] { track.AlphaRatioDb, track.HammarbergIndexDb })
            for (var t = 0; t < values.Length; t++)
                if (!float.IsFinite(values[t])) values[t] = float.NaN;
        return track;
    }

    /// <summary>Bins whose centre frequency lies in [lo, hi) Hz.</summary>
    static (int First, int End) Bins(int count, double binHz, double lo, double hi) =>
        ((int)Math.Ceiling(lo / binHz), Math.Min(count, (int)Math.Ceiling(hi / binHz)));

    static double BandSum(ReadOnlySpan<float> power, double binHz, double lo, double hi)
    {
        var (first, end) = Bins(power.Length, binHz, lo, hi);
        double sum = 0;
        for (var k = first; k < end; k++) sum += power[k];
        return sum;
    }

    static double BandMax(ReadOnlySpan<float> power, double binHz, double lo, double hi)
    {
        var (first, end) = Bins(power.Length, binHz, lo, hi);
        double max = 0;
        for (var k = first; k < end; k++) max = Math.Max(max, power[k]);
        return max;
    }

    /// <summary>Least-squares slope of 10 log10(P(f)) against f (Hz) over the bins in [lo, hi] Hz, in dB/Hz.</summary>
    internal static double Slope(ReadOnlySpan<float> power, double binHz, double lo, double hi)
    {
        var first = (int)Math.Ceiling(lo / binHz);
        var last = Math.Min(power.Length - 1, (int)Math.Floor(hi / binHz));
        var n = last - first + 1;
        if (n < 2) return double.NaN;
        double meanF = 0, meanDb = 0;
        for (var k = first; k <= last; k++)
        {
            meanF += k * binHz;
            meanDb += 10 * Math.Log10(Math.Max(power[k], PowerFloor));
        }
        meanF /= n;
        meanDb /= n;
        double covariance = 0, variance = 0;
        for (var k = first; k <= last; k++)
        {
            var df = k * binHz - meanF;
            covariance += df * (10 * Math.Log10(Math.Max(power[k], PowerFloor)) - meanDb);
            variance += df * df;
        }
        return covariance / variance;
    }
}

/// <summary>Spectral balance per frame (see <see cref="SpectralBalance"/>); frame i at i * <see cref="HopSeconds"/>.</summary>
public sealed record SpectralBalanceTrack(
    float[] AlphaRatioDb,
    float[] HammarbergIndexDb,
    float[] Slope0To500DbPerHz,
    float[] Slope500To1500DbPerHz,
    double HopSeconds)
{
    public int FrameCount => AlphaRatioDb.Length;
}
