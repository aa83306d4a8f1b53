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
}
