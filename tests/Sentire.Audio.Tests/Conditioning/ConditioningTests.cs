using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;
using Sentire.Audio.Dsp;

namespace Sentire.Audio.Tests.Conditioning;

public sealed class ConditioningTests
{
    static float[] Sine(int rate, double seconds, double hz, double amplitude) =>
        Enumerable.Range(0, (int)Math.Round(rate * seconds)).Select(n => (float)(amplitude * Math.Sin(2 * Math.PI * hz * n / rate))).ToArray();

    [Fact]
    public void Peak_normalisation_scales_the_largest_magnitude_to_the_target()
    {
        float[] signal = [0.1f, -0.5f, 0.25f];
        var gain = Loudness.NormalizePeak(signal);
        Assert.Equal(2f, gain, 6);
        Assert.Equal([0.2f, -1f, 0.5f], signal);
        Loudness.NormalizePeak(signal, -6.020599913279624); // 20·log10(0.5)
        Assert.Equal(-0.5f, signal[1], 6);
        float[] silent = [0f, 0f];
        Assert.Equal(1f, Loudness.NormalizePeak(silent));
    }

    [Fact]
    public void Rms_normalisation_reaches_the_target_unless_the_peak_limit_stops_it()
    {
        var sine = Sine(16000, 1, 440, 0.1); // RMS 0.1/√2
        Loudness.NormalizeRms(sine, -20);
        Assert.Equal(0.1, Loudness.Rms(sine), 4);
        Assert.Equal(0.1 * Math.Sqrt(2), Loudness.Peak(sine), 3);

        var quietWithClick = new float[1000];
        quietWithClick[10] = 0.9f; // RMS 0.0285: −20 dBFS would need gain 3.5, the click allows 1/0.9
        var gain = Loudness.NormalizeRms(quietWithClick, -20);
        Assert.Equal(1 / 0.9f, gain, 5);
        Assert.Equal(1f, quietWithClick[10], 5);
    }

    [Fact]
    public void Trimming_keeps_the_tone_between_the_silences()
    {
        var signal = new float[8000].Concat(Sine(16000, 1, 300, 0.5)).Concat(new float[4800]).ToArray();
        var (start, end) = SilenceTrimmer.Bounds(signal, 16000);
        // Frames are 400 samples with a hop of 160: the bounds fall within one frame of the true edges.
        Assert.InRange(start, 8000 - 400, 8000);
        Assert.InRange(end, 24000, 24000 + 400);
        var (marginStart, marginEnd) = SilenceTrimmer.Bounds(signal, 16000, new TrimOptions { MarginSeconds = 0.1 });
        Assert.Equal(start - 1600, marginStart);
        Assert.Equal(end + 1600, marginEnd);
        Assert.Equal(end - start, SilenceTrimmer.Trim(signal, 16000).Length);
        Assert.Equal((0, 0), SilenceTrimmer.Bounds(new float[1000], 16000));
    }

    [Fact]
    public void Fitting_crops_from_the_chosen_position_and_pads()
    {
        float[] signal = [1, 2, 3, 4, 5, 6];
        Assert.Equal([1f, 2, 3, 4], LengthFitter.Fit(signal, 4));
        Assert.Equal([2f, 3, 4, 5], LengthFitter.Fit(signal, 4, CropPosition.Center));
        var offsets = Enumerable.Range(0, 200).Select(seed => LengthFitter.Fit(signal, 4, CropPosition.Random, random: new Random(seed))[0]).ToHashSet();
        Assert.Equal([1f, 2f, 3f], offsets.Order());
        Assert.Equal([1f, 2, 3, 4, 5, 6, 0, 0], LengthFitter.Fit(signal, 8));
        Assert.Equal([1f, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1], LengthFitter.Fit(signal, 13, padding: LengthPadding.Repeat));
        Assert.Equal(signal, LengthFitter.Fit(signal, 8, padding: LengthPadding.None));
    }

    [Fact]
    public void Conditioner_mixes_resamples_normalises_and_crops_in_order()
    {
        var left = Sine(44100, 1, 440, 0.8);
        var interleaved = new float[2 * left.Length];
        for (var i = 0; i < left.Length; i++) interleaved[2 * i] = left[i]; // right channel silent
        var clip = new AudioClip(interleaved, 44100, 2, "test");
        var options = new ConditioningOptions { Normalization = NormalizationKind.Peak, TargetDbfs = 0, MaxSeconds = 0.5 };
        var conditioned = new Conditioner(options).Apply(clip);
        Assert.Equal(8000, conditioned.Length);
        // Mono is the channel mean (0.4 amplitude); peak normalisation then scales the whole resampled clip.
        var expected = new Resampler(44100, 16000).Process(left.Select(x => x / 2).ToArray());
        var gain = 1 / Loudness.Peak(expected);
        for (var i = 0; i < conditioned.Length; i++) Assert.Equal(expected[i] * gain, conditioned[i], 5);
        Assert.Equal(1f, Loudness.Peak(expected.Select(x => x * gain).ToArray()), 5);
    }
}
