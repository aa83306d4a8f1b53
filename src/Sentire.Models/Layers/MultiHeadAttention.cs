using Sentire.Tensors;
using Sentire.Tensors.Nn;

namespace Sentire.Models.Layers;

/// <summary>
/// Multi-head self-attention (Vaswani et al., 2017) with the projection names of wav2vec2/HuBERT/WavLM
/// checkpoints (q_proj, k_proj, v_proj, out_proj):
///   head_h = softmax(Q_h K_h^T / sqrt(d_h) + mask) V_h,  out = concat_h(head_h) W_o.
/// </summary>
public sealed class MultiHeadAttention : Module
{
    public int Dim { get; }
    public int Heads { get; }
    public Linear QProj { get; }
    public Linear KProj { get; }
    public Linear VProj { get; }
    public Linear OutProj { get; }

    /// <param name="keyBias">whether k_proj has a bias (default: as <paramref name="bias"/>; Whisper's has none)</param>
    /// <param name="half">keep the projection weights in this 16-bit format (inference on a loaded checkpoint)</param>
    public MultiHeadAttention(int dim, int heads, Generator? rng, bool bias = true, bool? keyBias = null, HalfFormat? half = null)
    {
        if (heads <= 0 || dim % heads != 0)
            throw new ArgumentException($"dim must be divisible by heads (got dim: {dim} and heads: {heads})");
        Dim = dim;
        Heads = heads;
        QProj = RegisterModule("q_proj", new Linear(dim, dim, rng, bias, half));
        KProj = RegisterModule("k_proj", new Linear(dim, dim, rng, keyBias ?? bias, half));
        VProj = RegisterModule("v_proj", new Linear(dim, dim, rng, bias, half));
        OutProj = RegisterModule("out_proj", new Linear(dim, dim, rng, bias, half));
    }

    /// <param name="x">(B, T, D)</param>
    /// <param name="frameMask">(B, T), 1 for real frames and 0 for padding: padded keys get no attention.</param>
    public Tensor Forward(Tensor x, Tensor? frameMask)
    {
        int b = x.Dim(0), t = x.Dim(1), dh = Dim / Heads;
        Tensor SplitHeads(Tensor y) => y.Reshape(b, t, Heads, dh).Transpose(1, 2);     // (B, H, T, dh)
        var q = SplitHeads(QProj.Forward(x));
        var k = SplitHeads(KProj.Forward(x));
        var v = SplitHeads(VProj.Forward(x));
        var keyMask = frameMask?.Reshape(b, 1, 1, t);                                  // broadcast over heads and queries
        var heads = Attention.ScaledDotProduct(q, k, v, keyMask);                     // (B, H, T, dh)
        return OutProj.Forward(heads.Transpose(1, 2).Reshape(b, t, Dim));
    }
}
