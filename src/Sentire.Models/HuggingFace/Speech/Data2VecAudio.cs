using Sentire.Tensors;
using Sentire.Tensors.Nn;

namespace Sentire.Models.HuggingFace.Speech;

// data2vec-audio (Baevski et al., "data2vec: A General Framework for Self-supervised Learning in Speech, Vision and
// Language", ICML 2022, sec. 5.2): the wav2vec 2.0 network (Wav2Vec2.cs) with a layer-norm feature encoder and,
// instead of one weight-normalised convolution, a relative positional embedding of num_conv_pos_embeddings blocks
//   p_0 = h,  p_j = GELU(LN(conv_j(p_{j-1})))   (LN over channels without affine parameters)
// whose output the encoder adds to its input: h + p_J (Data2VecAudioPositionalConvEmbedding).

/// <summary>One block of the data2vec-audio positional stack: grouped conv ("same" length) -> LayerNorm (no affine) -> GELU.
/// Keys conv.weight, conv.bias.</summary>
public sealed class Data2VecAudioPositionalConvLayer : Module
{
    public Conv1d Conv { get; }

    public Data2VecAudioPositionalConvLayer(SpeechEncoderConfig config)
    {
        int k = config.ConvPosKernelSize;
        Conv = RegisterModule("conv", new Conv1d(config.HiddenSize, config.HiddenSize, k, null, padding: k / 2, groups: config.NumConvPosEmbeddingGroups));
    }

    /// <param name="x">(B, T', D)</param>
    /// <returns>(B, T', D)</returns>
    public Tensor Forward(Tensor x)
    {
        int t = x.Dim(1);
        var y = Conv.Forward(x.Transpose(1, 2));                          // (B, D, T' (+ 1 for an even kernel))
        if (y.Dim(2) != t) y = y.Narrow(2, 0, t);                          // Data2VecAudioPadLayer
        return y.Transpose(1, 2).LayerNorm(1, null, null, 1e-5f).Gelu();
    }
}

/// <summary>The data2vec-audio positional stack, keys layers.N.conv.*. With a frame mask, padded frames are set to zero
/// before every block, as the zero padding of an unpadded item's convolution would be: a padded item's valid frames
/// then equal its unpadded result (Hugging Face leaves them nonzero between blocks and documents the difference).</summary>
public sealed class Data2VecAudioPositionalConvEmbedding : Module, IConvPositionalEmbedding
{
    public ModuleList<Data2VecAudioPositionalConvLayer> Layers { get; }

    public Data2VecAudioPositionalConvEmbedding(SpeechEncoderConfig config)
    {
        Layers = RegisterModule("layers", new ModuleList<Data2VecAudioPositionalConvLayer>(
            Enumerable.Range(0, config.NumConvPosEmbeddings).Select(_ => new Data2VecAudioPositionalConvLayer(config))));
    }

    public Tensor Forward(Tensor x, Tensor? frameMask)
    {
        var keep = frameMask?.Reshape(x.Dim(0), x.Dim(1), 1);
        for (int j = 0; j < Layers.Count; j++)
        {
            if (j > 0 && keep is not null) x = x * keep;   // the encoder already zeroed the input of block 0
            x = Layers[j].Forward(x);
        }
        return x;
    }
}
