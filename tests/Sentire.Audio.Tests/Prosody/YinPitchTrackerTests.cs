using Sentire.Audio.Prosody;
using static Sentire.Audio.Tests.Prosody.SyntheticVoice;

namespace Sentire.Audio.Tests.Prosody;

public sealed class YinPitchTrackerTests
{
    /// <summary>Frames whose analysis span lies wholly inside the signal (the edges see zero padding).</summary>
    static IEnumerable<int> InteriorFrames(PitchTrack track, int margin = 5) => Enumerable.Range(margin, track.FrameCount - 2 * margin);

    [Theory]
    [InlineData(80.0)]
    [InlineData(123.4)]
    [InlineData(220.0)]
    [InlineData(441.0)]
    [InlineData(700.0)]
    public void Pure_sine_is_found_within_one_and_a_half_cents(double f0)
    {
        var track = YinPitchTracker.Track(Harmonics(_ => f0, 0.5, 0.5), SampleRate);
        foreach (var t in InteriorFrames(track))
        {
            Assert.True(track.IsVoiced(t), $"frame {t} of a {f0} Hz sine is unvoiced");
            Assert.InRange(Cents(track.FrequencyHz[t], f0), -1.5, 1.5);
        }
    }

    [Fact]
    public void Harmonic_rich_tone_with_weak_fundamental_is_not_an_octave_off()
    {
        // Second harmonic 3x the fundamental, then 1/k roll-off: d' dips at half the period too.
        var amplitudes = new[] { 0.1, 0.3, 0.15, 0.1, 0.08, 0.06, 0.05, 0.04 };
        foreach (var f0 in new[] { 100.0, 160.0, 250.0 })
        {
            var track = YinPitchTracker.Track(Harmonics(_ => f0, 0.5, amplitudes), SampleRate);
            foreach (var t in InteriorFrames(track))
                Assert.InRange(Cents(track.FrequencyHz[t], f0), -2.0, 2.0);
        }
    }

    [Fact]
    public void Gliding_tone_is_followed_within_five_cents()
    {
        // Exponential glide 110 -> 330 Hz over one second (1.58 octaves/s, faster than most intonation).
        static double F0(double t) => 110 * Math.Pow(3, t);
        var track = YinPitchTracker.Track(Harmonics(F0, 1.0, 0.5, 0.25, 0.12), SampleRate);
        foreach (var t in InteriorFrames(track, 4))
        {
            Assert.True(track.IsVoiced(t));
            Assert.InRange(Cents(track.FrequencyHz[t], F0(t * track.HopSeconds)), -5.0, 5.0);
        }
    }

    [Fact]
    public void Noise_and_silence_are_unvoiced()
    {
        var signal = new float[SampleRate];
        WhiteNoise(SampleRate / 2, 0.1, seed: 3).CopyTo(signal, 0); // second half stays silent
        var track = YinPitchTracker.Track(signal, SampleRate);
        var voiced = Enumerable.Range(0, track.FrameCount).Count(track.IsVoiced);
        Assert.True(voiced == 0, $"{voiced} of {track.FrameCount} frames of noise/silence were voiced");
    }

    [Fact]
    public void Voicing_follows_a_tone_burst()
    {
        // 0.3 s silence, 0.4 s of 200 Hz, 0.3 s silence: voiced from about 0.3 s to 0.7 s.
        var signal = new float[SampleRate];
        Harmonics(_ => 200, 0.4, 0.5, 0.2).CopyTo(signal, (int)(0.3 * SampleRate));
        var track = YinPitchTracker.Track(signal, SampleRate);
        for (var t = 0; t < track.FrameCount; t++)
        {
            var time = t * track.HopSeconds;
            if (time is > 0.32 and < 0.68) Assert.InRange(track.FrequencyHz[t], 199f, 201f);
            if (time is < 0.28 or > 0.72) Assert.False(track.IsVoiced(t), $"frame at {time:F2} s is voiced");
        }
    }

    [Fact]
    public void Invalid_options_are_reported_together()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            YinPitchTracker.Track(new float[100], SampleRate, new PitchOptions(MinF0Hz: 500, MaxF0Hz: 400, Threshold: 2)));
        Assert.Contains("MaxF0Hz must exceed MinF0Hz", error.Message);
        Assert.Contains("Threshold must be in (0, 1)", error.Message);
    }

    [Fact]
    public void A_frame_depends_only_on_its_span_and_the_track_is_its_frames_decided()
    {
        // a glide with a pause: voiced, silent and octave-checked frames
        var signal = Harmonics(t => 110 + 200 * t, 1.0, 0.5, 0.3, 0.1);
        Array.Clear(signal, 6000, 2000);
        var options = new PitchOptions();
        int hop = 160, half = YinPitchTracker.SpanLength(SampleRate, options) / 2;
        var all = new YinFrame[(signal.Length - 1) / hop + 1];
        YinPitchTracker.AnalyseFrames(signal, SampleRate, options, 0, all);

        // frames 40..59 analysed from a slice that starts at frame 37's centre (its frames 3..22) and holds their spans
        int from = 37 * hop;
        Assert.True(3 * hop - half >= 0 && 22 * hop - half + 2 * half + 1 <= 4000);
        var part = new YinFrame[20];
        YinPitchTracker.AnalyseFrames(signal.AsSpan(from, 4000), SampleRate, options, 3, part);
        Assert.Equal(all.AsSpan(40, 20).ToArray(), part);

        var track = YinPitchTracker.Track(signal, SampleRate, options);
        var decided = YinPitchTracker.Decide(all, signal, SampleRate, options);
        Assert.Equal(track.FrequencyHz, decided.FrequencyHz);
        Assert.Equal(track.Aperiodicity, decided.Aperiodicity);
        Assert.Contains(track.FrequencyHz, f => f > 0);
        Assert.Contains(track.FrequencyHz, f => f == 0);
        Assert.Throws<ArgumentException>(() => YinPitchTracker.Decide(all.AsSpan(1).ToArray(), signal, SampleRate, options));
    }
}
