using Sentire.Tensors;
using Sentire.Tensors.Nn;

namespace Sentire.Models.Decoders;

// The LLaMA decoder (Touvron et al., "LLaMA: Open and Efficient Foundation Language Models", 2023, sec. 2.2), with
// Hugging Face's module names. Per layer, pre-normalised:
//   h = x + o_proj(Attn(RoPE(q_proj(RMSNorm(x))), RoPE(k_proj(RMSNorm(x))), v_proj(RMSNorm(x))))
//   y = h + down_proj(SiLU(gate_proj(RMSNorm(h))) * up_proj(RMSNorm(h)))
// RMSNorm(x) = x / sqrt(mean(x^2) + eps) * g (Zhang and Sennrich 2019); RoPE (Su et al. 2021); SwiGLU (Shazeer 2020);
// attention causal, grouped-query with Hkv key/value heads shared by H / Hkv query heads each (Ainslie et al. 2023).
// Qwen2 adds biases to q/k/v; Mistral may limit attention to a sliding window.

/// <summary>self_attn: q/k/v/o projections, RoPE at per-token positions, causal grouped-query attention.</summary>
public sealed class LlamaAttention : Module
{
    readonly LlamaConfig config;
    public Linear QProj { get; }
    public Linear KProj { get; }
    public Linear VProj { get; }
    public Linear OProj { get; }

    public LlamaAttention(LlamaConfig config, HalfFormat? half, Generator? rng, float initStd)
    {
        this.config = config;
        int d = config.HiddenSize, hd = config.HeadDim;
        QProj = RegisterModule("q_proj", DecoderLinear.Create(d, config.NumAttentionHeads * hd, config.AttentionBias, half, rng, initStd));
        KProj = RegisterModule("k_proj", DecoderLinear.Create(d, config.NumKeyValueHeads * hd, config.AttentionBias, half, rng, initStd));
        VProj = RegisterModule("v_proj", DecoderLinear.Create(d, config.NumKeyValueHeads * hd, config.AttentionBias, half, rng, initStd));
        OProj = RegisterModule("o_proj", DecoderLinear.Create(config.NumAttentionHeads * hd, d, config.OutputBias, half, rng, initStd));
    }

    internal Tensor Forward(Tensor x, in LlamaStep step, int layer)
    {
        int b = x.Dim(0), t = x.Dim(1), h = config.NumAttentionHeads, hkv = config.NumKeyValueHeads, hd = config.HeadDim;
        var q = QProj.Forward(x).Reshape(b, t, h, hd).Transpose(1, 2).ApplyRotary(step.Cos, step.Sin, step.Positions);
        var k = KProj.Forward(x).Reshape(b, t, hkv, hd).Transpose(1, 2).ApplyRotary(step.Cos, step.Sin, step.Positions);
        var v = VProj.Forward(x).Reshape(b, t, hkv, hd).Transpose(1, 2);
        if (step.Cache is not null) (k, v) = step.Cache.Append(layer, k, v);
        var a = Attention.ScaledDotProduct(q, k, v, step.Mask, causal: step.Causal);
        return OProj.Forward(a.Transpose(1, 2).Reshape(b, t, h * hd));
    }
}

/// <summary>mlp: down_proj(SiLU(gate_proj(x)) * up_proj(x)) (SwiGLU).</summary>
public sealed class LlamaMlp : Module
{
    public Linear GateProj { get; }
    public Linear UpProj { get; }
    public Linear DownProj { get; }

    public LlamaMlp(LlamaConfig config, HalfFormat? half, Generator? rng, float initStd)
    {
        int d = config.HiddenSize, ff = config.IntermediateSize;
        GateProj = RegisterModule("gate_proj", DecoderLinear.Create(d, ff, config.MlpBias, half, rng, initStd));
        UpProj = RegisterModule("up_proj", DecoderLinear.Create(d, ff, config.MlpBias, half, rng, initStd));
        DownProj = RegisterModule("down_proj", DecoderLinear.Create(ff, d, config.MlpBias, half, rng, initStd));
    }

    public Tensor Forward(Tensor x) => DownProj.Forward(GateProj.Forward(x).Silu() * UpProj.Forward(x));
}

/// <summary>One pre-norm decoder layer (LlamaDecoderLayer).</summary>
public sealed class LlamaDecoderLayer : Module
{
    public LlamaAttention SelfAttn { get; }
    public LlamaMlp Mlp { get; }
    public RmsNorm InputLayernorm { get; }
    public RmsNorm PostAttentionLayernorm { get; }

    public LlamaDecoderLayer(LlamaConfig config, HalfFormat? half, Generator? rng, float initStd)
    {
        SelfAttn = RegisterModule("self_attn", new LlamaAttention(config, half, rng, initStd));
        Mlp = RegisterModule("mlp", new LlamaMlp(config, half, rng, initStd));
        InputLayernorm = RegisterModule("input_layernorm", new RmsNorm(config.HiddenSize, config.RmsNormEps));
        PostAttentionLayernorm = RegisterModule("post_attention_layernorm", new RmsNorm(config.HiddenSize, config.RmsNormEps));
    }

    internal Tensor Forward(Tensor x, in LlamaStep step, int layer)
    {
        var h = x + SelfAttn.Forward(InputLayernorm.Forward(x), step, layer);
        return h + Mlp.Forward(PostAttentionLayernorm.Forward(h));
    }
}

/// <summary>What every layer of one forward shares: RoPE tables, position ids (B x T), the attention mask and the cache.</summary>
internal readonly record struct LlamaStep(Tensor Cos, Tensor Sin, int[] Positions, Tensor? Mask, bool Causal, KvCache? Cache);

/// <summary>The decoder stack "model": embed_tokens, layers, final norm (LlamaModel).</summary>
public sealed class LlamaModel : Module
{
    readonly LlamaConfig config;
    readonly LlamaRotary rotary;

    public DecoderEmbedding EmbedTokens { get; }
    public ModuleList<LlamaDecoderLayer> Layers { get; }
    public RmsNorm Norm { get; }

    public LlamaModel(LlamaConfig config, HalfFormat? half, Generator? rng, float initStd)
    {
        this.config = config;
        rotary = new LlamaRotary(config);
        EmbedTokens = RegisterModule("embed_tokens", new DecoderEmbedding(config.VocabSize, config.HiddenSize, half, rng, initStd));
        Layers = RegisterModule("layers", new ModuleList<LlamaDecoderLayer>());
        for (int i = 0; i < config.NumHiddenLayers; i++) Layers.Add(new LlamaDecoderLayer(config, half, rng, initStd));
        Norm = RegisterModule("norm", new RmsNorm(config.HiddenSize, config.RmsNormEps));
    }

    /// <summary>Final-normalised hidden states (B, T, D) of <paramref name="embeds"/> (B, T, D).</summary>
    public Tensor Forward(Tensor embeds, Tensor? attentionMask, KvCache? cache)
    {
        if (embeds.Rank != 3 || embeds.Dim(2) != config.HiddenSize)
            throw new ArgumentException($"inputs_embeds must be (B, T, {config.HiddenSize}), found {embeds.ShapeString}");
        int b = embeds.Dim(0), t = embeds.Dim(1);
        float[]? mask = null;
        if (attentionMask is not null)
        {
            if (attentionMask.Rank != 2 || attentionMask.Dim(0) != b || attentionMask.Dim(1) != t)
                throw new ArgumentException($"attention_mask must be (B, T) = ({b}, {t}), found {attentionMask.ShapeString}");
            mask = attentionMask.Data.ToArray();
            foreach (float m in mask)
                if (m is not (0f or 1f)) throw new ArgumentException($"attention_mask holds {m}; it must be 1 (token) or 0 (padding)");
        }

        int past = cache?.Length ?? 0;
        int[] positions;
        float[]? keyMask;
        if (cache is not null) (positions, keyMask) = cache.Begin(mask, b, t);
        else
        {
            positions = PositionIds(mask, b, t, null);
            keyMask = mask is not null && Array.IndexOf(mask, 0f) >= 0 ? mask : null;
        }
        var (maskTensor, causal) = AttentionMask(keyMask, b, past, t);
        int maxPosition = 0;
        foreach (int p in positions) maxPosition = Math.Max(maxPosition, p);
        var (cos, sin) = rotary.Tables(maxPosition + 1);
        var step = new LlamaStep(cos, sin, positions, maskTensor, causal, cache);

        var h = embeds;
        for (int i = 0; i < Layers.Count; i++) h = Layers[i].Forward(h, step, i);
        return Norm.Forward(h);
    }

    /// <summary>
    /// Position ids as transformers derives them from the attention mask (cumsum(mask) - 1): a row counts only its real
    /// tokens, so a left-padded row starts at 0 at its first token. <paramref name="realSoFar"/> (per row, updated) carries
    /// the count across cached steps. Padding takes the next real token's position; its keys are masked anyway.
    /// </summary>
    internal static int[] PositionIds(float[]? mask, int batch, int t, int[]? realSoFar)
    {
        var positions = new int[batch * t];
        for (int b = 0; b < batch; b++)
        {
            int count = realSoFar?[b] ?? 0;
            for (int i = 0; i < t; i++)
            {
                positions[b * t + i] = count;
                if (mask is null || mask[b * t + i] != 0) count++;
            }
            if (realSoFar is not null) realSoFar[b] = count;
        }
        return positions;
    }

    /// <summary>
    /// The mask for queries at cache columns past..past+t-1 over keys 0..past+t-1: causal (the engine's bottom-right
    /// alignment), padded keys hidden ((B, 1, 1, Tk) boolean), and with a sliding window W key j is visible from
    /// query i only when i - j &lt; W (then the whole (B, 1, Tq, Tk) mask is built).
    /// </summary>
    (Tensor? Mask, bool Causal) AttentionMask(float[]? keyMask, int batch, int past, int t)
    {
        int tk = past + t;
        if (config.SlidingWindow is not int window || tk <= window)
            return (keyMask is null ? null : new Tensor(keyMask, batch, 1, 1, tk), true);
        var full = new float[batch * t * tk];
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < t; i++)
            {
                int query = past + i;
                for (int j = Math.Max(0, query - window + 1); j <= query; j++)
                    full[(b * t + i) * tk + j] = keyMask is null ? 1f : keyMask[b * tk + j];
            }
        return (new Tensor(full, batch, 1, t, tk), false);
    }
}
