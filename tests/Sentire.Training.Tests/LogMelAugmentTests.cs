using Sentire.Audio.Dsp;
using Sentire.Models.Speech;
using Sentire.Tensors;
using Sentire.Training.Data;
using Sentire.Training.Recipes;

namespace Sentire.Training.Tests;

public sealed class LogMelAugmentTests
{
    const int Frames = 40, Mels = 6, Columns = Mels + 2;

    static float[] Window()
    {
        var w = new float[Frames * Columns];
        for (int t = 0; t < Frames; t++)
        {
            for (int b = 0; b < Mels; b++) w[t * Columns + b] = -3 + 0.1f * b;
            w[t * Columns + Mels] = 33;        // f0_st
            w[t * Columns + Mels + 1] = 0.9f;  // voicing
        }
        return w;
    }

    [Fact]
    public void GainMovesEveryMelBinByTheSameAmountAndLeavesPitchAlone()
    {
        var augment = new LogMelAugment(new ClapAugmentRecipe { GainDb = 6, NoiseProbability = 0, FreqMasks = 0, TimeMasks = 0 });
        var w = Window();
        augment.Apply(w, Frames, Columns, Mels, new Generator(4));
        float shift = w[0] - (-3);
        Assert.NotEqual(0f, shift);
        Assert.InRange(Math.Abs(shift), 0f, 6 / 10f * MathF.Log(10f) + 1e-5f);   // |g| <= 6 dB in natural-log power
        for (int t = 0; t < Frames; t++)
        {
            for (int b = 0; b < Mels; b++) Assert.Equal(-3 + 0.1f * b + shift, w[t * Columns + b], 5);
            Assert.Equal(33f, w[t * Columns + Mels]);
            Assert.Equal(0.9f, w[t * Columns + Mels + 1]);
        }
    }

    [Fact]
    public void EqualisationAddsOnePiecewiseLinearCurveToEveryFrameAndLeavesPitchAlone()
    {
        // Mels = 6 bins, 3 control points at bins 0, 2.5, 5: the curve is linear on bins 0-2 and on bins 3-5, with gains
        // within +-6 dB (in natural-log power) at bins 0 and 5, and the same in every frame.
        var augment = new LogMelAugment(new ClapAugmentRecipe { GainDb = 0, EqDb = 6, EqPoints = 3, NoiseProbability = 0, FreqMasks = 0, TimeMasks = 0 });
        float limit = 6 / 10f * MathF.Log(10f) + 1e-5f;
        for (ulong seed = 0; seed < 5; seed++)
        {
            var w = Window();
            augment.Apply(w, Frames, Columns, Mels, new Generator(seed));
            var e = Enumerable.Range(0, Mels).Select(b => w[b] - (-3 + 0.1f * b)).ToArray();
            Assert.InRange(Math.Abs(e[0]), 0f, limit);
            Assert.InRange(Math.Abs(e[Mels - 1]), 0f, limit);
            Assert.Equal(e[1] - e[0], e[2] - e[1], 4);                  // one line through bins 0-2
            Assert.Equal(e[4] - e[3], e[5] - e[4], 4);                  // another through bins 3-5
            Assert.True(e.Max() - e.Min() > 1e-3f, $"seed {seed}: a flat curve");
            for (int t = 0; t < Frames; t++)
            {
                for (int b = 0; b < Mels; b++) Assert.Equal(-3 + 0.1f * b + e[b], w[t * Columns + b], 5);
                Assert.Equal(33f, w[t * Columns + Mels]);
                Assert.Equal(0.9f, w[t * Columns + Mels + 1]);
            }
        }
    }

    [Fact]
    public void EqualisationCurveIsLinearBetweenItsControlPoints()
    {
        // Two control points: a straight line from g0 at bin 0 to g1 at the last bin, the same draws as the generator gives.
        var curve = new float[5];
        LogMelAugment.EqualisationCurve(10, 2, new Generator(7), curve);
        var rng = new Generator(7);
        float g0 = (rng.NextFloat() * 2 - 1) * MathF.Log(10f), g1 = (rng.NextFloat() * 2 - 1) * MathF.Log(10f);
        for (int b = 0; b < 5; b++) Assert.Equal(g0 + (g1 - g0) * b / 4f, curve[b], 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => LogMelAugment.EqualisationCurve(6, 1, new Generator(1), curve));
    }

    [Fact]
    public void MasksCoverMelBinsOnlyAndTimeMasksClearThePitch()
    {
        var augment = new LogMelAugment(new ClapAugmentRecipe { GainDb = 0, NoiseProbability = 0, FreqMasks = 2, FreqMaskBins = Mels, TimeMasks = 2, TimeMaskFrames = 10 });
        int clearedFrames = 0;
        for (ulong seed = 0; seed < 20; seed++)
        {
            var w = Window();
            augment.Apply(w, Frames, Columns, Mels, new Generator(seed));
            for (int t = 0; t < Frames; t++)
            {
                bool cleared = w[t * Columns + Mels] == 0;
                if (cleared)
                {
                    clearedFrames++;
                    Assert.Equal(0f, w[t * Columns + Mels + 1]);
                    float fill = w[t * Columns];                          // a time-masked frame: every mel bin holds the mean
                    for (int b = 0; b < Mels; b++) Assert.Equal(fill, w[t * Columns + b]);
                }
                else
                {
                    Assert.Equal(33f, w[t * Columns + Mels]);             // a frequency mask never reaches the pitch columns
                    Assert.Equal(0.9f, w[t * Columns + Mels + 1]);
                }
            }
        }
        Assert.True(clearedFrames > 0, "no time mask was drawn in 20 windows");
    }

    [Fact]
    public void AWindowThatDoesNotFitIsAnError() =>
        Assert.Throws<ArgumentException>(() => new LogMelAugment(new ClapAugmentRecipe()).Apply(new float[10], Frames, Columns, Mels, new Generator(1)));

    // Speed perturbation: a clip whose mel band b holds ln(centre Hz of b) + 0.01 t, pitch 40 st voiced on every frame.
    const int SpeedMels = 40, SampleRate = 16000;

    static double CentreHz(int band) =>
        MelFilterbank.MelToHz(MelFilterbank.HzToMel(SampleRate / 2.0, MelScale.Htk) * (band + 1) / (SpeedMels + 1), MelScale.Htk);

    static FeatureMatrix Ramp(int rows)
    {
        var m = new FeatureMatrix(rows, SpeedMels + 2);
        for (int t = 0; t < rows; t++)
        {
            for (int b = 0; b < SpeedMels; b++) m[t, b] = (float)Math.Log(CentreHz(b)) + 0.01f * t;
            m[t, SpeedMels] = 40;
            m[t, SpeedMels + 1] = 0.8f;
        }
        return m;
    }

    [Fact]
    public void SpeedOneIsAPlainCopy()
    {
        var clip = Ramp(100);
        var fast = new float[30 * clip.Columns];
        var plain = new float[30 * clip.Columns];
        LogMelAugment.SpeedPerturbed(clip, 7, 1f, 30, SpeedMels, SampleRate, fast);
        FixedLengthWindows.Copy(clip, 7, 30, plain);
        for (int i = 0; i < plain.Length; i++) Assert.Equal(plain[i], fast[i], 4);
    }

    [Fact]
    public void SpeedScalesTimeFrequencyAndPitch()
    {
        var clip = Ramp(100);
        const float r = 1.1f;
        int columns = clip.Columns;
        var w = new float[30 * columns];
        LogMelAugment.SpeedPerturbed(clip, 5, r, 30, SpeedMels, SampleRate, w);
        for (int i = 0; i < 30; i++)
        {
            double sourceFrame = 5 + r * i;                       // time: frame i reads source frame 5 + r i
            // frequency: band b reads the source at Hz(b) / r, i.e. ln(Hz(b) / r) (bands 3.. keep Hz / r inside the grid;
            // linear interpolation between bands of a log curve is within 0.01 there; not scaling would be off by ln 1.1 = 0.095)
            for (int b = 3; b < SpeedMels; b++)
                Assert.InRange(w[i * columns + b] - (Math.Log(CentreHz(b) / r) + 0.01 * sourceFrame), -0.015, 0.015);
            Assert.Equal(40 + 12 * Math.Log2(r), w[i * columns + SpeedMels], 4);   // F0 r times higher
            Assert.Equal(0.8f, w[i * columns + SpeedMels + 1]);
        }
    }

    [Fact]
    public void SpeedPerturbationIsOffUnlessAsked()
    {
        var clip = Ramp(300);
        int columns = clip.Columns;
        var off = new LogMelAugment(new ClapAugmentRecipe());
        var on = new LogMelAugment(new ClapAugmentRecipe { SpeedProbability = 1, SpeedRange = 0.1f });
        var w = new float[50 * columns];
        off.Crop(clip, 50, SpeedMels, SampleRate, w, new Generator(3));
        Assert.All(Enumerable.Range(0, 50), i => Assert.Equal(40f, w[i * columns + SpeedMels]));
        var shifts = new HashSet<float>();
        for (ulong seed = 0; seed < 10; seed++)
        {
            on.Crop(clip, 50, SpeedMels, SampleRate, w, new Generator(seed));
            float semitones = w[SpeedMels] - 40;
            Assert.InRange(semitones, 12 * MathF.Log2(0.9f) - 1e-4f, 12 * MathF.Log2(1.1f) + 1e-4f);
            shifts.Add(semitones);
        }
        Assert.True(shifts.Count > 5, "the speed factor is drawn afresh per crop");
    }
}
