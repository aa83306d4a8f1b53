using Sentire.Models.AudioTagging;
using Sentire.Models.Speech;
using Sentire.Tensors;

namespace Sentire.Models.Tests;

public sealed class MobileNetEncoderTests
{
    [Fact]
    public void PooledFramesAreTheTeacherNetworksEmbeddingOfTheStandardisedMelBins()
    {
        // The teacher's network (EfficientAT mn04 at 80 mel bins) with random weights and non-trivial batch-norm statistics.
        var teacher = new EfficientAtModel(new EfficientAtConfig(MelBins: 80), new Generator(1));
        var rng = new Generator(2);
        foreach (var (key, value) in teacher.StateDict())
            if (key.EndsWith("running_mean", StringComparison.Ordinal)) Tensor.Normal(rng, 0, 0.1f, value.Length).Data.CopyTo(value.Data);
            else if (key.EndsWith("running_var", StringComparison.Ordinal)) Tensor.Uniform(rng, 0.5f, 1.5f, value.Length).Data.CopyTo(value.Data);
        teacher.Eval();

        var encoder = new MobileNetEncoder(new MobileNetEncoderConfig(NMels: 80, ProsodyChannels: 2), rngForInit: new Generator(3));
        var state = encoder.StateDict();
        var teacherState = teacher.StateDict();
        // Its keys are the teacher's "features.*" (so a checkpoint reads alike) and the input statistics.
        Assert.Equal(teacherState.Keys.Where(k => k.StartsWith("features.", StringComparison.Ordinal)).Append("feature_mean").Append("feature_std").Order(StringComparer.Ordinal),
            state.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, value) in state)
            if (teacherState.TryGetValue(key, out var source)) source.Data.CopyTo(value.Data);
        float[] mean = [.. Enumerable.Range(0, 82).Select(c => 0.1f * (c % 7) - 0.3f)], std = [.. Enumerable.Range(0, 82).Select(c => 0.5f + 0.05f * (c % 5))];
        encoder.SetFeatureStatistics(mean, std);
        encoder.Eval();
        Assert.Equal(384, encoder.HiddenSize);

        const int B = 2, T = 67;
        var x = Tensor.Normal(new Generator(4), 0, 1, B, T, 82);
        var encoded = encoder.Encode(x, null);
        Assert.Equal([B, 3, 384], encoded.LastHiddenState.ShapeArray());      // 67 -> 34 -> 17 -> 9 -> 5 -> 3 frames

        // Known answer: the teacher's embedding of (x - mean) / std, mel columns only, laid out (B, 1, mel, T).
        var mel = Tensor.Zeros(B, 1, 80, T);
        for (int b = 0; b < B; b++)
            for (int m = 0; m < 80; m++)
                for (int t = 0; t < T; t++)
                    mel.Data[(b * 80 + m) * T + t] = (x[b, t, m] - mean[m]) / std[m];
        var expected = teacher.Forward(mel).Embedding;
        var pooled = encoded.LastHiddenState.Mean(1);                                    // the CLAP head's pooling
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected.Data[i], pooled.Data[i], 1e-5f);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(31, 1)]
    [InlineData(32, 1)]
    [InlineData(33, 2)]
    [InlineData(200, 7)]
    public void FramesAreTheInputLengthOverThirtyTwoRoundedUp(int frames, int expected)
    {
        var encoder = new MobileNetEncoder(new MobileNetEncoderConfig(NMels: 40), rngForInit: new Generator(5));
        encoder.Eval();
        Assert.Equal(expected, EfficientAtModel.FeatureLength(frames));
        Assert.Equal(expected, encoder.Encode(Tensor.Normal(new Generator(6), 0, 1, 1, frames, 40), null).LastHiddenState.Dim(1));
    }

    [Fact]
    public void PaddedItemsMaskTheirTrailingFrames()
    {
        var encoder = new MobileNetEncoder(new MobileNetEncoderConfig(NMels: 40), rngForInit: new Generator(7));
        encoder.Eval();
        var encoded = encoder.Encode(Tensor.Normal(new Generator(8), 0, 1, 2, 200, 40), [200, 40]);
        Assert.Equal(new float[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0 }, encoded.FrameMask!.Data.ToArray());   // 7 and ceil(40 / 32) = 2 frames
        var error = Assert.Throws<ArgumentException>(() => encoder.Encode(Tensor.Zeros(1, 50, 42), null));
        Assert.Contains("(B, T, 40)", error.Message);
        Assert.Contains("[1, 50, 42]", error.Message);
    }
}
