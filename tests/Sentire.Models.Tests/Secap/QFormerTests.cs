using Sentire.Models.Secap;
using Sentire.Tensors;

namespace Sentire.Models.Tests.Secap;

public sealed class QFormerTests
{
    static QFormer Build(int layers = 2, int frequency = 2) =>
        new(new QFormerConfig(VocabSize: 50, NumQueryTokens: 4, HiddenSize: 16, NumAttentionHeads: 2, NumHiddenLayers: layers, IntermediateSize: 32,
            CrossAttentionFrequency: frequency, EncoderHiddenSize: 8, MaxPositionEmbeddings: 12, HiddenDropoutProb: 0f), new Generator(1), new Generator(2));

    [Fact]
    public void QEmbeddingSizeDoesNotDependOnClipLength()
    {
        var q = Build();
        q.Eval();
        var rng = new Generator(3);
        var short_ = Tensor.Normal(rng, 0f, 1f, 2, 5, 8);
        var long_ = Tensor.Normal(rng, 0f, 1f, 2, 40, 8);
        Assert.Equal([2, 4, 16], q.EncodeSpeech(short_, null).Shape.ToArray());
        Assert.Equal([2, 4, 16], q.EncodeSpeech(long_, null).Shape.ToArray());
    }

    [Fact]
    public void PaddedFramesAreIgnored()
    {
        var q = Build();
        q.Eval();
        var frames = Tensor.Normal(new Generator(4), 0f, 1f, 1, 6, 8);
        var padded = frames.Pad([0, 0, 0, 3]);                                    // 3 zero frames at the end
        var mask = Tensor.FromArray([1, 1, 1, 1, 1, 1, 0, 0, 0], 1, 9);
        var a = q.EncodeSpeech(frames, null).Data.ToArray();
        var b = q.EncodeSpeech(padded, mask).Data.ToArray();
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 4);
    }

    [Fact]
    public void StandardisesFramesWithItsStatistics()
    {
        var q = Build();
        q.Eval();
        var frames = Tensor.Normal(new Generator(8), 0f, 1f, 1, 5, 8);
        var expected = q.EncodeSpeech((frames - 1f) / 2f, null).Data.ToArray();
        q.SetSpeechStatistics(Enumerable.Repeat(1f, 8).ToArray(), Enumerable.Repeat(2f, 8).ToArray());
        var actual = q.EncodeSpeech(frames, null).Data.ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 5);
        Assert.Contains("speech_std", q.StateDict().Keys);
    }

    [Fact]
    public void CrossAttentionEveryOtherLayerWithHuggingFaceNames()
    {
        var names = Build(layers: 4).NamedParameters().Select(p => p.Key).ToHashSet();
        Assert.Contains("query_tokens", names);
        Assert.Contains("embeddings.word_embeddings.weight", names);
        Assert.Contains("encoder.layer.0.attention.attention.query.weight", names);
        Assert.Contains("encoder.layer.0.attention.output.LayerNorm.weight", names);
        Assert.Contains("encoder.layer.0.crossattention.attention.key.weight", names);
        Assert.Contains("encoder.layer.2.crossattention.attention.value.weight", names);
        Assert.DoesNotContain("encoder.layer.1.crossattention.attention.key.weight", names);
        Assert.DoesNotContain("encoder.layer.3.crossattention.attention.key.weight", names);
    }

    [Fact]
    public void TextModeSharesSelfAttentionWithSpeechMode()
    {
        var q = Build();
        q.Eval();
        var ids = new[] { new[] { 1, 5, 7, 2 } };
        var before = q.EncodeText(ids, out _).Data.ToArray();
        // Changing a cross-attention weight leaves text mode alone; changing a self-attention weight changes both.
        q.Layers[0].CrossAttention!.Query.Weight.Data[0] += 1f;
        Assert.Equal(before, q.EncodeText(ids, out _).Data.ToArray());
        q.Layers[0].SelfAttention.Query.Weight.Data[0] += 1f;
        Assert.NotEqual(before, q.EncodeText(ids, out _).Data.ToArray());
    }
}
