using Sentire.Models.Clap;
using Sentire.Models.Speech;
using Sentire.Tensors;
using Sentire.Tests.Common;

namespace Sentire.Models.Tests;

public sealed class ConvFrontEndTests
{
    static double Gelu(double x) => 0.5 * x * (1 + Erf(x / Math.Sqrt(2)));

    /// <summary>erf by its Taylor series, 2/sqrt(pi) sum_n (-1)^n x^(2n+1) / (n! (2n+1)): exact to double precision for the
    /// small activations of this test.</summary>
    static double Erf(double x)
    {
        double sum = 0, term = x;
        for (int n = 0; n < 60; n++)
        {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    [Fact]
    public void ConvFrontEndIsWhisperStyleStridedConvolutionWithGelu()
    {
        var config = new LogMelEncoderConfig(NMels: 3, StackFrames: 2, HiddenSize: 4, Heads: 2, Layers: 1, FfnSize: 8, Dropout: 0f, MaxFrames: 16, Subsampling: Subsampling.Conv);
        var encoder = new LogMelEncoder(config, new Generator(1), new Generator(2));
        Assert.Equal(["conv1", "conv2"], encoder.Convs.Select((_, i) => $"conv{i + 1}"));
        Assert.Null(encoder.FeatureProjection);
        Assert.Contains("conv2.weight", encoder.StateDict().Keys);
        Assert.Equal([4, 3, 3], encoder.Convs[0].Weight.Shape.ToArray());

        // Reference: h1[o, t] = GELU(b1[o] + sum_{c, j} W1[o, c, j] x[t - 1 + j, c]) (padding 1, stride 1),
        //            h2[o, t] = GELU(b2[o] + sum_{c, j} W2[o, c, j] h1[c, 2t - 1 + j]) (padding 1, stride 2).
        const int T = 7;
        var mel = Tensor.Normal(new Generator(3), 0, 1, 1, T, 3);
        var (w1, b1, w2, b2) = (encoder.Convs[0].Weight, encoder.Convs[0].Bias!, encoder.Convs[1].Weight, encoder.Convs[1].Bias!);
        var h1 = new double[4, T];
        for (int o = 0; o < 4; o++)
            for (int t = 0; t < T; t++)
            {
                double s = b1[o];
                for (int c = 0; c < 3; c++)
                    for (int j = 0; j < 3; j++) { int u = t - 1 + j; if (u >= 0 && u < T) s += w1[o, c, j] * mel[0, u, c]; }
                h1[o, t] = Gelu(s);
            }
        int t2 = (T + 1) / 2;
        var expected = new double[t2, 4];
        for (int o = 0; o < 4; o++)
            for (int t = 0; t < t2; t++)
            {
                double s = b2[o];
                for (int c = 0; c < 4; c++)
                    for (int j = 0; j < 3; j++) { int u = 2 * t - 1 + j; if (u >= 0 && u < T) s += w2[o, c, j] * h1[c, u]; }
                expected[t, o] = Gelu(s);
            }
        Assert.Equal(t2, encoder.OutputFrames(T));
        // The front end is the encoder's layer-0 input minus the sinusoidal positions (feature statistics are 0 / 1).
        using var _ = Autograd.NoGrad();
        encoder.Eval();
        var x = encoder.Encode(mel, null).HiddenStates[0];
        var zero = encoder.Encode(Tensor.Zeros(1, T, 3), null).HiddenStates[0];
        Assert.Equal([1, t2, 4], x.Shape.ToArray());
        for (int t = 0; t < t2; t++)
            for (int o = 0; o < 4; o++)
            {
                // positions cancel in the difference of two inputs; compare against the reference difference.
                double zeroRef = ZeroReference(w2, b2, b1, o, t, T);
                Assert.Equal(expected[t, o] - zeroRef, x[0, t, o] - zero[0, t, o], 4);
            }
    }

    static double ZeroReference(Tensor w2, Tensor b2, Tensor b1, int o, int t, int length)
    {
        double s = b2[o];
        for (int c = 0; c < 4; c++)
            for (int j = 0; j < 3; j++) { int u = 2 * t - 1 + j; if (u >= 0 && u < length) s += w2[o, c, j] * Gelu(b1[c]); }
        return Gelu(s);
    }

    [Fact]
    public void SubsamplingIsReadInItsFileSpellingAndAnUnknownOneIsAClearError()
    {
        // The shipped packages spell it as recipes do: "stack" and "conv".
        Assert.Equal(Subsampling.Stack, EmotionModelPackage.ReadConfig(Path.Combine(RepoPaths.Root, "models", "emotion-clap-small")).Encoder.Subsampling);
        Assert.Equal(Subsampling.Conv, EmotionModelPackage.ReadConfig(Path.Combine(RepoPaths.Root, "models", "emotion-clap-small-v2")).Encoder.Subsampling);

        var folder = Directory.CreateTempSubdirectory("sentire-subsampling").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, EmotionModelPackage.ConfigFile), "{ \"format\": \"sentire-emotion-clap\", \"encoder\": { \"subsampling\": \"pool\" } }");
            var e = Assert.Throws<InvalidDataException>(() => EmotionModelPackage.ReadConfig(folder));
            Assert.Contains(EmotionModelPackage.ConfigFile, e.Message);
            Assert.Contains("'pool' is not one of stack, conv", e.Message);
        }
        finally { Directory.Delete(folder, recursive: true); }
        Assert.Throws<ArgumentException>(() => new LogMelEncoderConfig(StackFrames: 3, Subsampling: Subsampling.Conv).Validate());
    }
}
