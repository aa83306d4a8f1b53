using Sentire.Tensors;
using Sentire.Tensors.Nn;

namespace Sentire.Models.Layers;

/// <summary>
/// One transformer encoder layer with wav2vec2's parameter names (attention, layer_norm, feed_forward,
/// final_layer_norm). Post-norm (BERT, wav2vec2-base):  x = LN(x + Attn(x)); x = LN(x + FFN(x)).
/// Pre-norm ("stable layer norm", wav2vec2-large and our own encoders, easier to train from scratch):
///   x = x + Attn(LN(x)); x = x + FFN(LN(x)).
/// </summary>
public sealed class TransformerEncoderLayer : Module
{
    public bool PreNorm { get; }
    public MultiHeadAttention SelfAttention { get; }
    public LayerNorm AttentionNorm { get; }
    public FeedForward Ffn { get; }
    public LayerNorm FinalNorm { get; }
    readonly Dropout dropout;

    /// <param name="half">keep the attention and feed-forward weights in this 16-bit format (inference on a loaded checkpoint)</param>
    public TransformerEncoderLayer(int dim, int heads, int ffnDim, bool preNorm, float dropoutP, Generator rngForDropout, Generator? rngForInit,
        float layerNormEps = 1e-5f, HalfFormat? half = null)
    {
        PreNorm = preNorm;
        SelfAttention = RegisterModule("attention", new MultiHeadAttention(dim, heads, rngForInit, half: half));
        dropout = RegisterModule("dropout", new Dropout(dropoutP, rngForDropout));
        AttentionNorm = RegisterModule("layer_norm", new LayerNorm(dim, layerNormEps));
        Ffn = RegisterModule("feed_forward", new FeedForward(dim, ffnDim, dropoutP, rngForDropout, rngForInit, half));
        FinalNorm = RegisterModule("final_layer_norm", new LayerNorm(dim, layerNormEps));
    }

    /// <param name="x">(B, T, D)</param>
    /// <param name="frameMask">(B, T) 1 = real frame, or null when nothing is padded.</param>
    public Tensor Forward(Tensor x, Tensor? frameMask)
    {
        if (PreNorm)
        {
            x = x + dropout.Forward(SelfAttention.Forward(AttentionNorm.Forward(x), frameMask));
            return x + dropout.Forward(Ffn.Forward(FinalNorm.Forward(x)));
        }
        x = AttentionNorm.Forward(x + dropout.Forward(SelfAttention.Forward(x, frameMask)));
        return FinalNorm.Forward(x + dropout.Forward(Ffn.Forward(x)));
    }
}
