using System.Numerics.Tensors;
using Sentire.Audio.Dsp;

namespace Sentire.Audio.Prosody;

/// <summary>Settings of <see cref="Harmonicity"/>; the defaults are Praat's "To Harmonicity (ac)".</summary>
/// <param name="MinF0Hz">Lowest F0 (longest lag); also sets the window length.</param>
/// <param name="MaxF0Hz">Highest F0 (shortest lag).</param>
/// <param name="PeriodsPerWindow">Window length in periods of <paramref name="MinF0Hz"/> (4.5 for 60 ms at 75 Hz).</param>
/// <param name="SilenceThreshold">Frames whose peak amplitude is below this fraction of the signal's peak are silent.</param>
public sealed record HarmonicityOptions(
    double MinF0Hz = 75,
    double MaxF0Hz = 750,
    double PeriodsPerWindow = 4.5,
    double HopSeconds = 0.01,
    double SilenceThreshold = 0.1)
{
    public void Validate(int sampleRate)
    {
        var errors = FrameGrid.F0SearchErrors(MinF0Hz, MaxF0Hz, HopSeconds, sampleRate);
        if (!(PeriodsPerWindow >= 2)) errors.Add($"PeriodsPerWindow must be >= 2 so lags stay within half the window (got {PeriodsPerWindow})");
        if (!(SilenceThreshold is >= 0 and < 1)) errors.Add($"SilenceThreshold must be in [0, 1) (got {SilenceThreshold})");
        if (errors.Count > 0) throw new ArgumentException("Invalid HarmonicityOptions: " + string.Join("; ", errors));
    }
}

/// <summary>Harmonics-to-noise ratio by the autocorrelation method of P. Boersma, "Accurate short-term analysis of the
/// fundamental frequency and the harmonics-to-noise ratio of a sampled sound", IFA Proceedings 17, 1993:
/// 1) subtract the frame mean and multiply by a Hann window w;
/// 2) r_a(τ) = Σ_j a_j a_{j+τ}, normalised by r_a(0);
/// 3) divide by the window's own normalised autocorrelation, r_x(τ) ≈ r_a(τ) / r_w(τ) (eq. 9), which removes the
///    taper's downward bias at longer lags;
/// 4) take the highest local maximum r_max of r_x for lags within the pitch range (parabolic interpolation);
/// 5) HNR = 10 log10(r_max / (1 - r_max)) dB (eq. 4): a periodic part of power r_max against noise of power 1 - r_max.
/// Silent frames and frames without a positive maximum have no value (NaN), as Praat's -200 dB frames.</summary>
public static class Harmonicity
{
    /// <summary>r_max is kept below 1 - 1e-9, so a perfectly periodic frame reads about 90 dB rather than infinity.</summary>
    const double MaxCorrelation = 1 - 1e-9;

    /// <summary>HNR in dB per frame on the prosody frame grid; NaN where the frame is silent or aperiodic.</summary>
    public static float[] Track(ReadOnlySpan<float> signal, int sampleRate, HarmonicityOptions? options = null) =>
        Track(signal, sampleRate, options, globalPeak: null);

    /// <summary>The signal's peak magnitude, against which frames count as silent.</summary>
    internal static float Peak(ReadOnlySpan<float> signal) => signal.Length == 0 ? 0f : Math.Abs(TensorPrimitives.MaxMagnitude(signal));

    /// <param name="globalPeak">the peak of the whole recording (<see cref="Peak"/>) when <paramref name="signal"/> is a
    /// piece of it; null takes the peak of <paramref name="signal"/>.</param>
    internal static float[] Track(ReadOnlySpan<float> signal, int sampleRate, HarmonicityOptions? options, float? globalPeak)
    {
        options ??= new HarmonicityOptions();
        options.Validate(sampleRate);
        var grid = FrameGrid.For(signal.Length, sampleRate, options.HopSeconds);
        var length = (int)Math.Round(options.PeriodsPerWindow / options.MinF0Hz * sampleRate);
        var minLag = Math.Max(2, (int)Math.Floor(sampleRate / options.MaxF0Hz));
        var maxLag = (int)Math.Ceiling(sampleRate / options.MinF0Hz);

        var window = Window.Create(WindowKind.Hann, length, periodic: false);
        var windowCorrelation = Autocorrelation(window, maxLag + 1);

        // MaxMagnitude returns the signed element of largest magnitude.
        var signalPeak = globalPeak ?? Peak(signal);
        var frame = new float[length];
        var correlation = new double[maxLag + 2];
        var hnr = new float[grid.FrameCount];
        for (var t = 0; t < hnr.Length; t++)
        {
            hnr[t] = float.NaN;
            FrameGrid.CopyWindow(signal, grid.CentredStart(t, length), frame);
            var localPeak = Math.Abs(TensorPrimitives.MaxMagnitude<float>(frame));
            if (localPeak == 0 || localPeak < options.SilenceThreshold * signalPeak) continue;
            // 1) remove the mean, taper.
            var mean = TensorPrimitives.Sum<float>(frame) / length;
            TensorPrimitives.Subtract(frame, mean, frame);
            TensorPrimitives.Multiply(frame, window, frame);
            // 2-3) normalised autocorrelation divided by the window's.
            var energy = (double)TensorPrimitives.Dot<float>(frame, frame);
            if (energy <= 0) continue;
            for (var lag = minLag - 1; lag <= maxLag + 1; lag++)
                correlation[lag] = TensorPrimitives.Dot<float>(frame.AsSpan(0, length - lag), frame.AsSpan(lag)) / energy / windowCorrelation[lag];
            // 4) highest local maximum in the pitch range.
            var best = double.NegativeInfinity;
            for (var lag = minLag; lag <= maxLag; lag++)
            {
                double a = correlation[lag - 1], b = correlation[lag], c = correlation[lag + 1];
                if (b < a || b < c) continue;
                var curvature = a - 2 * b + c;
                var peak = curvature < 0 ? b - 0.125 * (a - c) * (a - c) / curvature : b;
                best = Math.Max(best, peak);
            }
            if (!(best > 0)) continue;
            // 5) eq. 4.
            var r = Math.Min(best, MaxCorrelation);
            hnr[t] = (float)(10 * Math.Log10(r / (1 - r)));
        }
        return hnr;
    }

    /// <summary>Normalised autocorrelation r(τ)/r(0) of <paramref name="x"/> for τ = 0..maxLag.</summary>
    static double[] Autocorrelation(float[] x, int maxLag)
    {
        var r = new double[maxLag + 1];
        var zero = (double)TensorPrimitives.Dot<float>(x, x);
        for (var lag = 0; lag <= maxLag; lag++)
            r[lag] = TensorPrimitives.Dot<float>(x.AsSpan(0, x.Length - lag), x.AsSpan(lag)) / zero;
        return r;
    }
}
