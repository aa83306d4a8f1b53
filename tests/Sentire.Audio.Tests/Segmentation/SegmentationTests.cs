using Sentire.Audio.Segmentation;
using Sentire.Tests.Common;

namespace Sentire.Audio.Tests.Segmentation;

public sealed class SegmentationTests
{
    const int Rate = 16000;

    [Fact]
    public void Fixed_windows_tile_the_recording_with_the_hop()
    {
        var segments = FixedWindows.Split(10 * Rate, Rate, windowSeconds: 4, hopSeconds: 3);
        Assert.Equal([(0.0, 4.0), (3.0, 7.0), (6.0, 10.0)], segments.Select(s => (s.StartSeconds, s.EndSeconds)));
        var withTail = FixedWindows.Split(11 * Rate, Rate, 4, 3);
        Assert.Equal((9.0, 11.0), (withTail[^1].StartSeconds, withTail[^1].EndSeconds));
        Assert.Equal(3, FixedWindows.Split(11 * Rate, Rate, 4, 3, minLastSeconds: 2.5).Count);
        Assert.Equal(360, FixedWindows.Split(3600L * Rate, Rate, 10, 10).Count); // one hour → 360 windows of 10 s
        Assert.Single(FixedWindows.Split(Rate / 2, Rate, 4, 3));
    }

    /// <summary>Noise at −60 dBFS with voiced bursts, a click, a weak fricative (noise, high ZCR) and a weak hum (low ZCR).</summary>
    static float[] Scene()
    {
        var random = new Random(1);
        var signal = new float[7 * Rate];
        // Uniform noise on ±a√3 has RMS a.
        void Noise(double from, double to, double rms)
        {
            for (var n = (int)(from * Rate); n < (int)(to * Rate); n++) signal[n] += (float)(rms * Math.Sqrt(3) * (2 * random.NextDouble() - 1));
        }
        void Voiced(double from, double to)
        {
            for (var n = (int)(from * Rate); n < (int)(to * Rate); n++)
                for (var h = 1; h <= 5; h++) signal[n] += (float)(0.1 / h * Math.Sin(2 * Math.PI * 150 * h * n / Rate));
        }
        Noise(0, 7, 0.001);
        Voiced(1.0, 2.0);
        Voiced(2.1, 2.4);   // 100 ms pause: bridged by the 200 ms hangover
        Voiced(3.5, 3.53);  // 30 ms click: below the 100 ms minimum
        Noise(4.5, 4.8, 0.0025); // +8 dB, zero-crossing rate ≈ 0.5: a fricative
        for (var n = (int)(5.5 * Rate); n < 5.8 * Rate; n++) signal[n] += (float)(0.0025 * Math.Sqrt(2) * Math.Sin(2 * Math.PI * 100 * n / Rate)); // +8 dB hum
        return signal;
    }

    [Fact]
    public void Vad_finds_speech_bridges_short_pauses_and_drops_clicks_and_hum()
    {
        var segments = new EnergyVad().Detect(Scene(), Rate);
        Assert.Equal(2, segments.Count);
        // Onset − 50 ms pad; offset + 200 ms hangover + 25 ms frame, within two hops.
        Assert.InRange(segments[0].StartSeconds, 0.95 - 0.02, 0.95 + 0.02);
        Assert.InRange(segments[0].EndSeconds, 2.4 + 0.2, 2.4 + 0.225 + 0.02);
        Assert.InRange(segments[1].StartSeconds, 4.45 - 0.02, 4.45 + 0.02);
        Assert.InRange(segments[1].EndSeconds, 4.8 + 0.2, 4.8 + 0.225 + 0.02);
    }

    [Fact]
    public void Vad_splits_long_segments_and_leaves_silence_empty()
    {
        var segments = new EnergyVad(new VadOptions { MaxSegmentSeconds = 0.6 }).Detect(Scene(), Rate);
        Assert.Equal(4, segments.Count); // 0.95–2.62 s → 3 parts of ≈ 0.56 s, then the fricative
        Assert.All(segments, s => Assert.True(s.DurationSeconds <= 0.6));
        Assert.Equal(segments[0].EndSample, segments[1].StartSample);
        Assert.Empty(new EnergyVad().Detect(new float[Rate], Rate));
    }

    [Fact]
    public void Vad_places_a_real_utterance_between_noise()
    {
        // 1 s of RAVDESS speech (fixture crop) between 1.5 s of −60 dBFS noise on each side.
        var speech = Npy.Read(RepoPaths.Fixture("audio-features/ravdess_angry.wave.npy")).Data;
        var random = new Random(3);
        var signal = new float[3 * Rate + speech.Length];
        for (var n = 0; n < signal.Length; n++) signal[n] = (float)(0.001 * Math.Sqrt(3) * (2 * random.NextDouble() - 1));
        for (var n = 0; n < speech.Length; n++) signal[(int)(1.5 * Rate) + n] += speech[n];
        var segments = new EnergyVad().Detect(signal, Rate);
        Assert.NotEmpty(segments);
        Assert.InRange(segments[0].StartSeconds, 1.5 - 0.05 - 0.02, 1.9);
        Assert.InRange(segments[^1].EndSeconds, 2.1, 2.5 + 0.225 + 0.02);
        var covered = segments.Sum(s => Math.Min(s.EndSeconds, 2.5) - Math.Max(s.StartSeconds, 1.5));
        Assert.True(covered > 0.6, $"only {covered:F2} s of the 1 s utterance detected: {string.Join(", ", segments)}");
    }
}
