using Sentire.Models.Clap;
using Sentire.Models.Speech;
using Sentire.Tensors;

namespace Sentire.Models.Tests;

public sealed class ProsodyChannelsTests
{
    const int Rate = 16000;

    /// <summary>0.5 s of silence, then 1 s of a 200 Hz tone with harmonics (a voiced vowel stand-in), then 0.5 s of silence.</summary>
    static float[] ToneBetweenSilences()
    {
        var samples = new float[2 * Rate];
        for (int i = Rate / 2; i < 3 * Rate / 2; i++)
        {
            double t = (double)i / Rate;
            samples[i] = (float)(0.3 * Math.Sin(2 * Math.PI * 200 * t) + 0.15 * Math.Sin(2 * Math.PI * 400 * t) + 0.08 * Math.Sin(2 * Math.PI * 600 * t));
        }
        return samples;
    }

    [Fact]
    public void FrontEndAppendsPitchInSemitonesAndVoicingOnTheMelGrid()
    {
        var plain = new LogMelFrontEnd(new LogMelFrontEndConfig(NMels: 40));
        var withPitch = new LogMelFrontEnd(new LogMelFrontEndConfig(NMels: 40, Prosody: true));
        var samples = ToneBetweenSilences();
        var mel = plain.LogMel(samples);
        var frames = withPitch.LogMel(samples);

        Assert.Equal(42, withPitch.Config.Columns);
        Assert.Equal(mel.Rows, frames.Rows);
        Assert.Equal(42, frames.Columns);
        for (int t = 0; t < mel.Rows; t++)
            for (int b = 0; b < 40; b++) Assert.Equal(mel[t, b], frames[t, b]);   // the mel bins are untouched

        double semitones = 12 * Math.Log2(200 / 27.5);                          // 34.37 st
        for (int t = 70; t < 130; t++)                                            // well inside the tone
        {
            Assert.Equal(semitones, frames[t, 40], 0.05);               // within 0.05 st (0.3 % in Hz)
            Assert.InRange(frames[t, 41], 0.8f, 1f);
        }
        for (int t = 0; t < 40; t++)                                              // silence: unvoiced
        {
            Assert.Equal(0f, frames[t, 40]);
            Assert.Equal(0f, frames[t, 41]);
        }
    }

    [Fact]
    public void ThePitchTrackOfTheProsodySummaryIsReusedOnlyWhenItsOptionsAreTheChannels()
    {
        var samples = ToneBetweenSilences();
        var frontEnd = new LogMelFrontEnd(new LogMelFrontEndConfig(NMels: 40, Prosody: true));
        var tracked = frontEnd.LogMel(samples);
        var summaryPitch = Sentire.Audio.Prosody.ProsodyAnalyzer.Track(samples, Rate).Pitch;
        Assert.Equal(tracked.Data.ToArray(), frontEnd.LogMel(samples, summaryPitch).Data.ToArray());   // same frames, one YIN pass

        // a track the channels did not ask for (here a flat fake one) is reused, and shows up, only on the default grid
        var fake = summaryPitch with { FrequencyHz = [.. summaryPitch.FrequencyHz.Select(f => f > 0 ? 100f : 0f)] };
        Assert.Equal(12 * Math.Log2(100 / 27.5), frontEnd.LogMel(samples, fake)[100, 40], 1e-4);
        var otherHop = new LogMelFrontEnd(new LogMelFrontEndConfig(NMels: 40, HopLength: 320, Prosody: true));
        Assert.Equal(otherHop.LogMel(samples).Data.ToArray(), otherHop.LogMel(samples, fake).Data.ToArray());
    }

    [Fact]
    public void WindowStatisticsMatchHandComputedValues()
    {
        // 4 frames of 2 mel bins + f0_st + voicing; frame log power e_t = ln(exp(a) + exp(b)).
        float[] frames =
        [
            0, 0,   0,  0,      // e = ln 2, unvoiced
            1, 1,  30, 0.5f,    // e = 1 + ln 2
            2, 2,  32, 0.7f,    // e = 2 + ln 2
            0, 0,   0,  0,      // e = ln 2, unvoiced
        ];
        var stats = new float[ProsodyStatistics.Count];
        ProsodyStatistics.Compute(frames, 4, 4, stats);
        double ln2 = Math.Log(2);
        double[] e = [ln2, 1 + ln2, 2 + ln2, ln2];
        double mean = e.Average(), std = Math.Sqrt(e.Sum(x => (x - mean) * (x - mean)) / 4);
        Assert.Equal(mean, stats[0], 5);
        Assert.Equal(std, stats[1], 5);
        Assert.Equal((1 + 1 + 2) / 3.0, stats[2], 5);                // mean |Δe|
        Assert.Equal(0.5, stats[3], 6);                              // voiced fraction
        Assert.Equal(31, stats[4], 5);                               // F0 mean over voiced frames
        Assert.Equal(1, stats[5], 5);                                // population std of {30, 32}
        Assert.Equal(32 - 30 - 2 * 0.2 * 2, stats[6], 5);            // p80 - p20 = 31.6 - 30.4
        Assert.Equal(2, stats[7], 5);                                // |32 - 30| between consecutive voiced frames
        Assert.Equal(0.6, stats[8], 5);                              // mean voicing

        // No voiced frame: the pitch statistics are undefined, and the standardised vector holds the training mean (0).
        var silent = new float[4 * 4];
        ProsodyStatistics.Compute(silent, 4, 4, stats);
        Assert.Equal(0f, stats[3]);
        Assert.All(stats[4..], s => Assert.True(float.IsNaN(s)));
        var module = new ProsodyStatistics();
        var standardised = module.Forward(Tensor.FromArray(silent, 1, 4, 4));
        for (int j = 4; j < ProsodyStatistics.Count; j++) Assert.Equal(0f, standardised[0, j]);
    }

    [Fact]
    public void StandardisationUsesTheFittedTrainingWindows()
    {
        var rng = new Random(3);
        var windows = Enumerable.Range(0, 20).Select(_ =>
        {
            var m = new Audio.Dsp.FeatureMatrix(10, 4);
            for (int t = 0; t < 10; t++)
            {
                m[t, 0] = (float)rng.NextDouble();
                m[t, 1] = (float)rng.NextDouble();
                m[t, 2] = t % 3 == 0 ? 0 : 30 + (float)rng.NextDouble() * 6;
                m[t, 3] = m[t, 2] > 0 ? 0.8f : 0;
            }
            return m;
        }).ToList();
        var module = new ProsodyStatistics();
        module.Fit(windows);
        var batch = Tensor.Zeros(windows.Count, 10, 4);
        for (int i = 0; i < windows.Count; i++) windows[i].Data.CopyTo(batch.Data.Slice(i * 40, 40));
        var z = module.Forward(batch);
        // Over the windows it was fitted on, every statistic with any spread has mean 0 and deviation 1.
        foreach (int j in new[] { 0, 1, 4, 5 })
        {
            var column = Enumerable.Range(0, windows.Count).Select(i => (double)z[i, j]).ToList();
            double mean = column.Average();
            Assert.Equal(0, mean, 4);
            Assert.Equal(1, Math.Sqrt(column.Sum(x => (x - mean) * (x - mean)) / column.Count), 3);
        }
    }

    [Fact]
    public void ClapWithProsodyProjectsEncoderOutputAndStatisticsAndRefusesPaddedBatches()
    {
        var audio = new LogMelEncoder(new LogMelEncoderConfig(NMels: 6, StackFrames: 2, HiddenSize: 16, Heads: 2, Layers: 1, FfnSize: 32, Dropout: 0f, MaxFrames: 64, ProsodyChannels: ProsodyChannels.Count),
            new Generator(1), new Generator(2));
        var text = new TextEncoder(new TextEncoderConfig(VocabSize: 20, HiddenSize: 16, Heads: 2, Layers: 1, FfnSize: 32, Dropout: 0f, MaxTokens: 8), new Generator(3), new Generator(4));
        var model = new ClapModel(audio, text, new ClapHeadConfig(ProjectionSize: 12, ProsodyStatistics: true), new Generator(5));
        model.Eval();
        Assert.NotNull(model.ProsodyStatistics);
        Assert.Contains("prosody_statistics.mean", model.StateDict().Keys);
        Assert.Equal(16 + ProsodyStatistics.Count, model.AudioProjection.Parameters().First().Dim(1));

        using var _ = Autograd.NoGrad();
        var frames = Tensor.Normal(new Generator(6), 0, 1, 2, 10, 8);
        for (int i = 0; i < 2 * 10; i++) frames.Data[i * 8 + 6] = i % 2 == 0 ? 33 : 0;     // f0_st column
        var embedded = model.EmbedAudio(frames, null);
        // The same windows with another pitch get another embedding: the statistics reach P_a.
        var shifted = frames.Clone();
        for (int i = 0; i < 2 * 10; i++) if (shifted.Data[i * 8 + 6] > 0) shifted.Data[i * 8 + 6] = 40;
        model.ProsodyStatistics!.Std.Data.Fill(1f);
        var a = model.EmbedAudio(frames, null);
        var b = model.EmbedAudio(shifted, null);
        Assert.True(Enumerable.Range(0, 12).Any(k => Math.Abs(a[0, k] - b[0, k]) > 1e-3), "pitch statistics do not change the embedding");
        Assert.Equal(1.0, Math.Sqrt(Enumerable.Range(0, 12).Sum(k => (double)embedded[0, k] * embedded[0, k])), 5);
        Assert.Throws<ArgumentException>(() => model.EmbedAudio(frames, [10, 6]));
    }
}
