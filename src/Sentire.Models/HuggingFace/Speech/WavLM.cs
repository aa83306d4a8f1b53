using Sentire.Models.Layers;
using Sentire.Tensors;
using Sentire.Tensors.Nn;

namespace Sentire.Models.HuggingFace.Speech;

// WavLM (Chen et al., "WavLM: Large-Scale Self-Supervised Pre-Training for Full Stack Speech Processing", IEEE JSTSP
// 2022, sec. II-B, eq. 4-7): the wav2vec 2.0 network (Wav2Vec2.cs) whose self-attention adds a gated relative position
// bias to the scores:
//   a_ij = q_i k_j / sqrt(d) + r_{i-j}
//   d_{i-j} = E[bucket(j - i)]                       (buckets x heads) table rel_attn_embed, held by layer 0, shared
//   (g_a, g_b) = sigmoid(sum over groups of 4 of (x_i W + b))    gru_rel_pos_linear on the head's slice of the layer input
//   r_{i-j} = (g_a (g_b c - 1) + 2) d_{i-j}          c = gru_rel_pos_const, per head (the released code's form of eq. 7)
// Buckets follow T5 (Raffel et al. 2020): half for each sign of j - i, exact below num_buckets / 4, then logarithmic
// up to max_bucket_distance, computed in float32 as the released implementation does.

/// <summary>WavLMAttention: keys q_proj, k_proj, v_proj, out_proj, gru_rel_pos_const (1, H, 1, 1), gru_rel_pos_linear
/// (8, d_h) and, in layer 0 only, rel_attn_embed.weight (num_buckets, H).</summary>
public sealed class WavLMAttention : Module
{
    public int Dim { get; }
    public int Heads { get; }
    public int NumBuckets { get; }
    public int MaxDistance { get; }
    public Linear QProj { get; }
    public Linear KProj { get; }
    public Linear VProj { get; }
    public Linear OutProj { get; }
    public Tensor GruRelPosConst { get; }
    public Linear GruRelPosLinear { get; }
    public Embedding? RelAttnEmbed { get; }

    /// <param name="half">keep q/k/v/out_proj in this 16-bit format (the small gate projection stays float32)</param>
    public WavLMAttention(SpeechEncoderConfig config, bool hasRelativePositionBias, HalfFormat? half = null)
    {
        (Dim, Heads, NumBuckets, MaxDistance) = (config.HiddenSize, config.NumAttentionHeads, config.NumBuckets, config.MaxBucketDistance);
        QProj = RegisterModule("q_proj", new Linear(Dim, Dim, null, halfWeight: half));
        KProj = RegisterModule("k_proj", new Linear(Dim, Dim, null, halfWeight: half));
        VProj = RegisterModule("v_proj", new Linear(Dim, Dim, null, halfWeight: half));
        OutProj = RegisterModule("out_proj", new Linear(Dim, Dim, null, halfWeight: half));
        GruRelPosConst = RegisterParameter("gru_rel_pos_const", Tensor.Ones(1, Heads, 1, 1));
        GruRelPosLinear = RegisterModule("gru_rel_pos_linear", new Linear(Dim / Heads, 8, null));
        if (hasRelativePositionBias) RelAttnEmbed = RegisterModule("rel_attn_embed", new Embedding(NumBuckets, Heads, null));
    }

    /// <summary>d_{i-j} for <paramref name="frames"/> frames, (1, H, T', T'); only layer 0 holds the table.</summary>
    public Tensor PositionBias(int frames)
    {
        if (RelAttnEmbed is null) throw new InvalidOperationException("only the first WavLM layer holds rel_attn_embed");
        var buckets = new int[frames * frames];
        for (int i = 0; i < frames; i++)
            for (int j = 0; j < frames; j++) buckets[i * frames + j] = RelativeBucket(j - i, NumBuckets, MaxDistance);
        return RelAttnEmbed.Forward(buckets, frames, frames).Permute(2, 0, 1).Reshape(1, Heads, frames, frames);
    }

    /// <summary>T5's bucket of a key-minus-query offset (WavLMAttention._relative_positions_bucket).</summary>
    public static int RelativeBucket(int relative, int numBuckets, int maxDistance)
    {
        int half = numBuckets / 2;
        int bucket = relative > 0 ? half : 0;
        int n = Math.Abs(relative);
        int maxExact = half / 2;
        if (n < maxExact) return bucket + n;
        // float32 throughout, as torch computes it: log(n / max_exact) / log(max_distance / max_exact) * (half - max_exact)
        float scaled = MathF.Log((float)n / maxExact) / (float)Math.Log((double)maxDistance / maxExact) * (half - maxExact);
        return bucket + Math.Min((int)(maxExact + scaled), half - 1);
    }

    /// <param name="x">(B, T', D) the attention's input</param>
    /// <param name="positionBias">(1, H, T', T') from layer 0's <see cref="PositionBias"/></param>
    /// <param name="frameMask">(B, T') 1 = real frame, or null</param>
    public Tensor Forward(Tensor x, Tensor positionBias, Tensor? frameMask)
    {
        int b = x.Dim(0), t = x.Dim(1), dh = Dim / Heads;
        Tensor SplitHeads(Tensor y) => y.Reshape(b, t, Heads, dh).Transpose(1, 2);          // (B, H, T', dh)

        var gates = GruRelPosLinear.Forward(SplitHeads(x)).Reshape(b, Heads, t, 2, 4).Sum(-1).Sigmoid();  // (B, H, T', 2)
        var gateA = gates.Narrow(3, 0, 1);
        var gateB = gates.Narrow(3, 1, 1);
        var gate = gateA * (gateB * GruRelPosConst - 1f) + 2f;                               // (B, H, T', 1)
        var bias = gate * positionBias;                                                       // (B, H, T', T')
        if (frameMask is not null) bias = bias.MaskedFill(1f - frameMask.Reshape(b, 1, 1, t), float.NegativeInfinity);

        var heads = Attention.ScaledDotProduct(SplitHeads(QProj.Forward(x)), SplitHeads(KProj.Forward(x)), SplitHeads(VProj.Forward(x)),
            bias, isAdditive: true);
        return OutProj.Forward(heads.Transpose(1, 2).Reshape(b, t, Dim));
    }
}

/// <summary>WavLMEncoderLayer (post-norm) / WavLMEncoderLayerStableLayerNorm (pre-norm): keys attention.*, layer_norm,
/// feed_forward.intermediate_dense/output_dense, final_layer_norm.</summary>
public sealed class WavLMEncoderLayer : Module
{
    public bool PreNorm { get; }
    public WavLMAttention Attention { get; }
    public LayerNorm AttentionNorm { get; }
    public FeedForward Ffn { get; }
    public LayerNorm FinalNorm { get; }
    readonly Dropout dropout;

    public WavLMEncoderLayer(SpeechEncoderConfig config, bool hasRelativePositionBias, Generator rngForDropout, HalfFormat? half = null)
    {
        PreNorm = config.DoStableLayerNorm;
        Attention = RegisterModule("attention", new WavLMAttention(config, hasRelativePositionBias, half));
        dropout = RegisterModule("dropout", new Dropout(config.HiddenDropout, rngForDropout));
        AttentionNorm = RegisterModule("layer_norm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        Ffn = RegisterModule("feed_forward", new FeedForward(config.HiddenSize, config.IntermediateSize, config.HiddenDropout, rngForDropout, null, half));
        FinalNorm = RegisterModule("final_layer_norm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
    }

    /// <param name="x">(B, T', D)</param>
    public Tensor Forward(Tensor x, Tensor positionBias, Tensor? frameMask)
    {
        if (PreNorm)
        {
            x = x + dropout.Forward(Attention.Forward(AttentionNorm.Forward(x), positionBias, frameMask));
            return x + dropout.Forward(Ffn.Forward(FinalNorm.Forward(x)));
        }
        x = AttentionNorm.Forward(x + dropout.Forward(Attention.Forward(x, positionBias, frameMask)));
        return FinalNorm.Forward(x + dropout.Forward(Ffn.Forward(x)));
    }
}
