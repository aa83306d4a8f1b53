using Sentire.Models.Clap;
using Sentire.Models.Layers;
using Sentire.Models.Speech;
using Sentire.Tensors;

namespace Sentire.Models.Tests;

public sealed class ClapModelTests
{
    static readonly LogMelEncoderConfig SmallAudio = new(NMels: 8, StackFrames: 2, HiddenSize: 16, Heads: 2, Layers: 2, FfnSize: 32, Dropout: 0f, MaxFrames: 64);

    internal static ClapModel Small(ulong seed = 1)
    {
        var audio = new LogMelEncoder(SmallAudio, new Generator(seed + 100), new Generator(seed));
        var text = new TextEncoder(new TextEncoderConfig(VocabSize: 20, HiddenSize: 16, Heads: 2, Layers: 1, FfnSize: 32, Dropout: 0f, MaxTokens: 8), new Generator(seed + 200), new Generator(seed + 1));
        return new ClapModel(audio, text, new ClapHeadConfig(ProjectionSize: 12), new Generator(seed + 2));
    }

    [Fact]
    public void StateDictKeysFollowCheckpointNaming()
    {
        var keys = Small().StateDict().Keys.ToHashSet();
        Assert.Contains("audio_encoder.feature_projection.weight", keys);
        Assert.Contains("audio_encoder.layers.1.attention.q_proj.weight", keys);
        Assert.Contains("audio_encoder.layers.0.feed_forward.intermediate_dense.bias", keys);
        Assert.Contains("audio_encoder.layers.0.final_layer_norm.weight", keys);
        Assert.Contains("text_encoder.embed_tokens.weight", keys);
        Assert.Contains("audio_projection.2.weight", keys);
        Assert.Contains("logit_scale_a", keys);
        Assert.Contains("logit_scale_t", keys);
    }

    [Fact]
    public void PaddingDoesNotChangeAClipsEmbedding()
    {
        var model = Small();
        model.Eval();
        using var _ = Autograd.NoGrad();
        var rng = new Generator(5);
        var clip = Tensor.Normal(rng, 0, 1, 1, 10, 8);                       // 10 frames
        var alone = model.EmbedAudio(clip, [10]);
        // The same clip right-padded with loud junk to 16 frames, beside a second clip.
        var padded = Tensor.Normal(rng, 5, 3, 2, 16, 8);
        clip.Data.CopyTo(padded.Data[..80]);
        var batch = model.EmbedAudio(padded, [10, 16]);
        for (int i = 0; i < 12; i++) Assert.Equal(alone[0, i], batch[0, i], 4);
        // and the embedding is unit length
        double norm = Math.Sqrt(Enumerable.Range(0, 12).Sum(i => (double)alone[0, i] * alone[0, i]));
        Assert.Equal(1.0, norm, 5);
    }

    [Fact]
    public void TextPaddingDoesNotChangeAPromptsEmbedding()
    {
        var model = Small();
        model.Eval();
        using var _ = Autograd.NoGrad();
        var alone = model.EmbedText([[1, 5, 6]]);
        var batch = model.EmbedText([[1, 5, 6], [1, 7, 8, 9, 10, 2]]);
        for (int i = 0; i < 12; i++) Assert.Equal(alone[0, i], batch[0, i], 4);
    }

    [Fact]
    public void ZeroShotIsASoftmaxOverLabelsOfScaledCosines()
    {
        var model = Small();
        var a = Tensor.FromArray([1, 0], 1, 2);
        var labels = Tensor.FromArray([1, 0, 0, 1], 2, 2);
        var p = model.ZeroShot(a, labels);
        // cosines (1, 0), scale 1/0.07
        double e = Math.Exp(1 / 0.07);
        Assert.Equal(e / (e + 1), p[0, 0], 5);
        Assert.Equal(1.0, p[0, 0] + p[0, 1], 6);
    }

    [Fact]
    public void EncoderReportsEveryLayerAndStackedFrameCounts()
    {
        var encoder = new LogMelEncoder(SmallAudio, new Generator(1), new Generator(2));
        var output = encoder.Encode(Tensor.Zeros(3, 9, 8), [9, 4, 1]);
        Assert.Equal([3, 5, 16], output.LastHiddenState.ShapeArray());      // ceil(9 / 2) = 5 frames
        Assert.Equal(SmallAudio.Layers + 1, output.HiddenStates.Count);
        Assert.Equal([1f, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0], output.FrameMask!.Data.ToArray());
        var e = Assert.Throws<ArgumentException>(() => encoder.Encode(Tensor.Zeros(1, 200, 8), null));
        Assert.Contains("positions", e.Message);
    }

    [Fact]
    public void MaskedMeanIgnoresPaddedFrames()
    {
        var h = Tensor.FromArray([1, 2, 3, 4, 100, 100], 1, 3, 2);
        var m = Tensor.FromArray([1, 1, 0], 1, 3);
        Assert.Equal([2f, 3], Pooling.MaskedMean(h, m).Data.ToArray());
    }
}
