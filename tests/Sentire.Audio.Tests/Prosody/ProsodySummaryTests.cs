using Sentire.Audio.Corpus;
using Sentire.Audio.Prosody;
using static Sentire.Audio.Tests.Prosody.SyntheticVoice;

namespace Sentire.Audio.Tests.Prosody;

public sealed class ProsodySummaryTests
{
    [Fact]
    public void Frame_energy_of_a_sine_is_its_rms_in_dbfs()
    {
        // Amplitude 0.5: RMS 0.5/√2, 20 log10 = -9.03 dB; a 25 ms window holds a whole number of 200 Hz periods.
        var energy = FrameEnergy.RmsDb(Harmonics(_ => 200, 0.5, 0.5), SampleRate);
        Assert.InRange(energy[20], -9.04f, -9.02f);
        Assert.Equal(FrameEnergy.FloorDb, FrameEnergy.RmsDb(new float[1600], SampleRate)[5]);
    }

    [Fact]
    public void Alpha_ratio_and_slopes_of_white_noise()
    {
        // Flat spectrum: alpha ratio = 10 log10(width 1-5 kHz / width 50 Hz-1 kHz) = 10 log10(4000/950) = 6.24 dB
        // (bins: 128 vs 30.4 -> 31 at 31.25 Hz spacing: 6.16 dB); slopes 0; Hammarberg about 0 (peaks of two noise bands).
        var track = SpectralBalance.Track(WhiteNoise(2 * SampleRate, 0.1, seed: 5), SampleRate);
        var frames = Enumerable.Range(5, track.FrameCount - 10).ToArray();
        Assert.InRange(frames.Average(t => track.AlphaRatioDb[t]), 10 * Math.Log10(128.0 / 31) - 0.3, 10 * Math.Log10(128.0 / 31) + 0.3);
        Assert.InRange(frames.Average(t => track.Slope0To500DbPerHz[t]), -0.002, 0.002);
        Assert.InRange(frames.Average(t => track.Slope500To1500DbPerHz[t]), -0.001, 0.001);
        Assert.InRange(frames.Average(t => track.HammarbergIndexDb[t]), -2, 2);
    }

    [Fact]
    public void Slope_is_the_regression_of_db_on_hz()
    {
        // P(f) = 10^((3 - 0.02 f)/10): exactly -0.02 dB/Hz in any band.
        const double binHz = 31.25;
        var power = Enumerable.Range(0, 257).Select(k => (float)Math.Pow(10, (3 - 0.02 * k * binHz) / 10)).ToArray();
        Assert.Equal(-0.02, SpectralBalance.Slope(power, binHz, 0, 500), 5);
        Assert.Equal(-0.02, SpectralBalance.Slope(power, binHz, 500, 1500), 5);
    }

    [Fact]
    public void Hammarberg_index_and_alpha_ratio_of_two_tones()
    {
        // 500 Hz at amplitude 1 and 3000 Hz at 0.1 (bin-centred at 31.25 Hz spacing): power ratio 100 -> Hammarberg 20 dB,
        // alpha ratio -20 dB (leakage outside the bands is far below).
        var signal = new float[SampleRate];
        for (var i = 0; i < signal.Length; i++)
            signal[i] = (float)(Math.Sin(2 * Math.PI * 500 * i / SampleRate) + 0.1 * Math.Sin(2 * Math.PI * 3000 * i / SampleRate));
        var track = SpectralBalance.Track(signal, SampleRate);
        Assert.InRange(track.HammarbergIndexDb[50], 19.5f, 20.5f);
        Assert.InRange(track.AlphaRatioDb[50], -20.5f, -19.5f);
    }

    [Fact]
    public void Syllable_nuclei_of_a_synthetic_syllable_train()
    {
        // Six 180 ms "syllables" (200 Hz voiced, raised-cosine envelope) every 300 ms, from 0.1 s on, in 2 s.
        var signal = new float[2 * SampleRate];
        var onsets = Enumerable.Range(0, 6).Select(k => 0.1 + 0.3 * k).ToArray();
        foreach (var onset in onsets)
        {
            var syllable = Harmonics(_ => 200, 0.18, 0.5, 0.25, 0.1);
            for (var i = 0; i < syllable.Length; i++)
                signal[(int)(onset * SampleRate) + i] += syllable[i] * (float)(0.5 - 0.5 * Math.Cos(2 * Math.PI * i / syllable.Length));
        }
        var nuclei = SpeakingRate.Detect(signal, SampleRate, YinPitchTracker.Track(signal, SampleRate));
        Assert.Equal(6, nuclei.NucleusTimes.Length);
        for (var k = 0; k < 6; k++) Assert.InRange(nuclei.NucleusTimes[k], onsets[k] + 0.09 - 0.03, onsets[k] + 0.09 + 0.03);
        Assert.Equal(3.0, nuclei.SpeechRate, 6);
        Assert.InRange(nuclei.ArticulationRate, 6 / 1.6, 6 / 0.8);
    }

    [Fact]
    public void Functionals_match_hand_computed_values()
    {
        // 1..10: mean 5.5, population std √8.25, numpy percentiles 20/50/80 = 2.8, 5.5, 8.2.
        var f = Functionals.Of(Enumerable.Range(1, 10).Select(i => (double)i).Append(double.NaN));
        Assert.Equal(10, f.Count);
        Assert.Equal(5.5, f.Mean, 12);
        Assert.Equal(Math.Sqrt(8.25), f.StandardDeviation, 12);
        Assert.Equal((2.8, 5.5, 8.2), (Math.Round(f.P20, 12), f.P50, Math.Round(f.P80, 12)));
        Assert.Equal(5.4, f.Range20To80, 12);
        Assert.True(double.IsNaN(Functionals.Of(Array.Empty<double>()).Mean));
    }

    [Fact]
    public void Summary_of_two_tone_bursts()
    {
        // 0.2 s silence, 0.3 s of 150 Hz, 0.2 s silence, 0.3 s of 300 Hz, 0.2 s silence.
        var signal = new float[(int)(1.2 * SampleRate)];
        Harmonics(_ => 150, 0.3, 0.5, 0.3, 0.1).CopyTo(signal, (int)(0.2 * SampleRate));
        Harmonics(_ => 300, 0.3, 0.5, 0.3, 0.1).CopyTo(signal, (int)(0.7 * SampleRate));
        var summary = ProsodyAnalyzer.Summarize(signal, SampleRate);
        Assert.Equal(1.2, summary.DurationSeconds, 9);
        Assert.InRange(summary.F0Hz.P20, 149, 151);
        Assert.InRange(summary.F0Hz.P80, 298, 302);
        Assert.InRange(summary.F0Semitones.Range20To80, 11.9, 12.1); // one octave
        Assert.InRange(summary.VoicedFraction, 0.45, 0.52);
        Assert.Equal(2 / 1.2, summary.VoicedSegmentsPerSecond, 6);
        Assert.InRange(summary.VoicedSegmentSeconds.Mean, 0.27, 0.31);
        Assert.Equal(1, summary.UnvoicedSegmentSeconds.Count); // only the pause between the bursts
        Assert.InRange(summary.UnvoicedSegmentSeconds.Mean, 0.19, 0.23);
        Assert.True(summary.HnrDb.Mean > 30, $"HNR {summary.HnrDb.Mean}");
        Assert.InRange(summary.JitterLocal, 0, 0.002);
        Assert.InRange(summary.ShimmerLocalDb, 0, 0.05);
    }

    [Fact]
    public void Levels_are_relative_to_the_norms_and_to_gender()
    {
        var norms = new ProsodyNorms(
            PitchFemaleHz: new Terciles(200, 250), PitchMaleHz: new Terciles(110, 150), PitchAnyHz: new Terciles(130, 220),
            PitchVariationSemitones: new Terciles(2, 4), LoudnessDb: new Terciles(-30, -20), ArticulationRate: new Terciles(2, 3),
            HnrDb: new Terciles(8, 12));
        var tone = ProsodyAnalyzer.Summarize(Harmonics(_ => 180, 1.0, 0.9, 0.3), SampleRate);
        var male = ProsodyLevels.Of(tone, Gender.Male, norms);
        var female = ProsodyLevels.Of(tone, Gender.Female, norms);
        Assert.Equal(ProsodyLevel.High, male.Pitch);      // 180 Hz is high for a man...
        Assert.Equal(ProsodyLevel.Low, female.Pitch);     // ...and low for a woman
        Assert.Equal(ProsodyLevel.Low, male.PitchVariation);
        Assert.Equal(ProsodyLevel.High, male.Loudness);   // -4 dBFS
        Assert.Equal(ProsodyLevel.High, male.Harmonicity);
        Assert.Equal("high-pitched, monotone, slow, loud, clear", male.ToString());
    }

    [Fact]
    public void A_clip_without_voiced_frames_has_no_pitch_level_rather_than_a_made_up_medium()
    {
        var noise = new float[SampleRate];
        var rng = new Random(3);
        for (int i = 0; i < noise.Length; i++) noise[i] = (float)(0.3 * (2 * rng.NextDouble() - 1));
        var summary = ProsodyAnalyzer.Summarize(noise, SampleRate);
        Assert.Equal(0, summary.F0Hz.Count);
        Assert.True(double.IsNaN(summary.F0Hz.P50));
        var levels = ProsodyLevels.Of(summary);
        Assert.Null(levels.Pitch);
        Assert.Null(levels.PitchVariation);
        Assert.Null(levels.Harmonicity);
        Assert.Equal(ProsodyLevel.High, levels.Loudness);
        Assert.DoesNotContain(levels.Words(), w => w.Contains("pitch") || w is "monotone" or "expressive" or "rough" or "clear");
        Assert.Null(new Terciles(1, 2).Classify(double.NaN));
    }
}
