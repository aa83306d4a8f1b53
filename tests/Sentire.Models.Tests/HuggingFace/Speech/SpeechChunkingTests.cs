using Sentire.Models.HuggingFace.Speech;
using Sentire.Tensors;
using static Sentire.Models.Tests.HuggingFace.Speech.PretrainedSpeechEncoderTests;

namespace Sentire.Models.Tests.HuggingFace.Speech;

public sealed class SpeechChunkingTests
{
    [Fact]
    public void AudioNoLongerThanOneWindowIsOnePass()
    {
        var model = PretrainedSpeechEncoder.Load(Folder("wav2vec2-base"));
        var clip = Clips()[0];
        using var _ = Autograd.NoGrad();
        var whole = model.Encode(Tensor.FromArray(clip, 1, clip.Length), null);
        var chunked = model.EncodeLong(clip);
        for (int l = 0; l <= model.LayerCount; l++) AssertClose(whole.HiddenStates[l], chunked.HiddenStates[l], $"layer {l}", 0f, 0f);
    }

    [Fact]
    public void WindowsAreStitchedOnTheOnePassFrameGrid()
    {
        // 0.64 s windows (10240 samples, 31 frames) with 0.16 s context (8 frames) each side: hop 0.32 s (16 frames).
        var model = PretrainedSpeechEncoder.Load(Folder("wav2vec2-large"));
        var chunking = new SpeechChunking(ChunkSeconds: 0.64, ContextSeconds: 0.16);
        Assert.Equal((10240, 2560), chunking.Samples(model.Config, 16000));
        var clip = Clips()[0];                                       // 16000 samples, 49 frames
        using var _ = Autograd.NoGrad();
        var stitched = chunking.Encode(model, clip);
        Assert.Null(stitched.FrameMask);

        // Window c starts at 5120 c samples (frame 16 c) and owns frames [16 c + 8, 16 c + 24), the first from 0, the last to the end.
        (int Start, int From, int To)[] windows = [(0, 0, 24), (5120, 24, 40), (10240, 40, 49)];
        foreach (var (start, from, to) in windows)
        {
            int length = Math.Min(10240, clip.Length - start);
            var alone = model.Encode(Tensor.FromArray(clip.AsSpan(start, length), 1, length), null);
            for (int l = 0; l <= model.LayerCount; l++)
                AssertClose(alone.HiddenStates[l].Narrow(1, from - start / 320, to - from), stitched.HiddenStates[l].Narrow(1, from, to - from),
                    $"window at {start}, layer {l}", 0f, 0f);
        }
        Assert.Equal(model.Config.OutputFrames(clip.Length), stitched.LastHiddenState.Dim(1));
    }

    [Fact]
    public void ContextShorterThanHalfAReceptiveFieldIsRejected()
    {
        var model = PretrainedSpeechEncoder.Load(Folder("wav2vec2-base"));
        var e = Assert.Throws<ArgumentException>(() => new SpeechChunking(1, 0.01).Samples(model.Config, 16000));
        Assert.Contains("receptive field (400 samples)", e.Message);
        Assert.Throws<ArgumentException>(() => new SpeechChunking(1, 0.5).Samples(model.Config, 16000));
    }
}

public sealed class WeightedLayerSumTests
{
    [Fact]
    public void StartsUniformAndWeighsBySoftmax()
    {
        var sum = new WeightedLayerSum(3);
        Assert.Equal(["layer_weights"], sum.StateDict().Keys);
        Tensor[] hidden = [Tensor.Full(1f, 2, 2), Tensor.Full(4f, 2, 2), Tensor.Full(7f, 2, 2)];
        Assert.All(sum.Forward(hidden).Data.ToArray(), v => Assert.Equal(4f, v, 5));          // uniform: the mean

        new float[] { 0f, MathF.Log(2f), MathF.Log(5f) }.CopyTo(sum.LayerWeights.Data);         // softmax = (1, 2, 5) / 8
        Assert.All(sum.Forward(hidden).Data.ToArray(), v => Assert.Equal((1f + 8f + 35f) / 8f, v, 5));

        var loss = sum.Forward(hidden).Sum();
        loss.Backward();
        // d/dw_l sum_k p_k x_k = p_l (x_l - sum_k p_k x_k), times 4 elements
        float mean = 44f / 8f;
        Assert.Equal(4 * (1f / 8f) * (1f - mean), sum.LayerWeights.Grad!.Data[0], 4);
        Assert.Equal(4 * (5f / 8f) * (7f - mean), sum.LayerWeights.Grad!.Data[2], 4);
        Assert.Throws<ArgumentException>(() => sum.Forward(hidden[..2]));
    }
}
