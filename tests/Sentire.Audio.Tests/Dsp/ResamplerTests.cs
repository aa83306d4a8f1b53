using Sentire.Audio.Dsp;
using Sentire.Tests.Common;

namespace Sentire.Audio.Tests.Dsp;

/// <summary>
/// The resampler against the analytic signal (SNR of a resampled multi-tone) and against ffmpeg 5.1's default
/// swresample output (`-ar`, fixtures from tools/golden/audio_fixtures.py).
/// </summary>
public sealed class ResamplerTests(ITestOutputHelper output)
{
    static readonly double[] TonesHz = [110, 440, 1000, 2500, 4000, 6000, 7000];

    /// <summary>x(t) = Σ_i 0.1·sin(2π f_i t + 0.7 i), the formula of audio_fixtures.multi_tone.</summary>
    static float[] MultiTone(int rate, double seconds, double[]? tones = null)
    {
        tones ??= TonesHz;
        var samples = new float[(int)Math.Round(rate * seconds)];
        for (var n = 0; n < samples.Length; n++)
        {
            double t = (double)n / rate, x = 0;
            for (var i = 0; i < tones.Length; i++) x += 0.1 * Math.Sin(2 * Math.PI * tones[i] * t + 0.7 * i);
            samples[n] = (float)x;
        }
        return samples;
    }

    /// <summary>10·log10(Σ ref² / Σ (x − ref)²) away from the edges (0.1 s each side).</summary>
    static double Snr(ReadOnlySpan<float> signal, ReadOnlySpan<float> reference, int rate)
    {
        var margin = rate / 10;
        double power = 0, noise = 0;
        for (var n = margin; n < reference.Length - margin; n++)
        {
            power += (double)reference[n] * reference[n];
            noise += ((double)signal[n] - reference[n]) * ((double)signal[n] - reference[n]);
        }
        return 10 * Math.Log10(power / noise);
    }

    [Theory]
    [InlineData(44100, 16000)]
    [InlineData(48000, 16000)]
    [InlineData(16000, 44100)]
    [InlineData(22050, 16000)]
    // The 7 kHz tone sits in the default filter's transition band (−6 dB at 0.97 × 8 kHz), which caps the SNR near 35.6 dB for ffmpeg and us alike.
    public void Matches_ffmpeg_default_and_its_SNR_against_the_analytic_signal(int rateIn, int rateOut)
    {
        var ffmpeg = Npy.Read(RepoPaths.Fixture($"audio-features/ffmpeg_resample_{rateIn}_{rateOut}.npy")).Data;
        var resampled = new Resampler(rateIn, rateOut).Process(MultiTone(rateIn, 0.5));
        Assert.Equal(ffmpeg.Length, resampled.Length);
        var analytic = MultiTone(rateOut, 0.5);
        var maxDifference = resampled.Zip(ffmpeg, (a, b) => Math.Abs(a - b)).Max();
        double oursSnr = Snr(resampled, analytic, rateOut), ffmpegSnr = Snr(ffmpeg, analytic, rateOut);
        output.WriteLine($"{rateIn}→{rateOut}: max |ours − ffmpeg| {maxDifference:E3} (signal peak ≈ 0.5), SNR vs analytic: ours {oursSnr:F2} dB, ffmpeg {ffmpegSnr:F2} dB, ours vs ffmpeg {Snr(resampled, ffmpeg, rateOut):F1} dB");
        Assert.True(maxDifference < 1e-6, $"max |ours − ffmpeg| = {maxDifference}");
        Assert.True(oursSnr > ffmpegSnr - 0.1, $"SNR {oursSnr:F2} dB below ffmpeg's {ffmpegSnr:F2} dB");
    }

    [Theory]
    [InlineData(44100, 16000)]
    [InlineData(48000, 16000)]
    [InlineData(8000, 16000)]
    [InlineData(44100, 16001)] // 16001/44100 in lowest terms: 16001 phases > 1024, interpolated
    public void High_quality_preset_recovers_in_band_tones(int rateIn, int rateOut)
    {
        // Tones up to 0.8 × the lower Nyquist frequency, where the 64-zero-crossing filter is flat.
        var limit = 0.8 * Math.Min(rateIn, rateOut) / 2;
        var tones = TonesHz.Where(f => f <= limit).ToArray();
        var resampled = new Resampler(rateIn, rateOut, ResamplerOptions.HighQuality).Process(MultiTone(rateIn, 0.5, tones));
        var analytic = MultiTone(rateOut, 0.5, tones);
        var snr = Snr(resampled, analytic, rateOut);
        var defaultSnr = Snr(new Resampler(rateIn, rateOut).Process(MultiTone(rateIn, 0.5, tones)), analytic, rateOut);
        output.WriteLine($"{rateIn}→{rateOut}, tones ≤ {limit} Hz: SNR high quality {snr:F1} dB, default (ffmpeg's filter) {defaultSnr:F1} dB");
        Assert.True(snr > 60, $"SNR {snr:F1} dB");
    }

    [Fact]
    public void Removes_a_tone_above_the_new_Nyquist_frequency()
    {
        // 10 kHz at 44.1 kHz would alias to 6 kHz at 16 kHz; the stop band starts below 9.3 kHz.
        var tone = new float[44100];
        for (var n = 0; n < tone.Length; n++) tone[n] = (float)Math.Sin(2 * Math.PI * 10000 * n / 44100.0);
        var resampled = new Resampler(44100, 16000).Process(tone);
        var rms = Math.Sqrt(resampled.Skip(1600).Take(12800).Average(x => (double)x * x));
        Assert.True(rms < 1e-3, $"aliased tone left at RMS {rms} (input RMS 0.707)");
    }

    [Fact]
    public void Same_rate_is_a_copy_and_lengths_round_up()
    {
        var signal = MultiTone(16000, 0.1);
        Assert.Equal(signal, new Resampler(16000, 16000).Process(signal));
        Assert.Equal(3, new Resampler(44100, 16000).OutputLength(7)); // ⌈7·160/441⌉
        Assert.Equal(1.0, Resampler.BesselI0(0));
        Assert.Equal(4.880792585865024, Resampler.BesselI0(3), 12); // I0(3), Abramowitz & Stegun table 9.8
    }
}
