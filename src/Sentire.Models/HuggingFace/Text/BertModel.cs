using Sentire.Tensors;
using Sentire.Tensors.Nn;
using Sentire.Text;

namespace Sentire.Models.HuggingFace.Text;

/// <summary>The activations Hugging Face's hidden_act names (transformers' ACT2FN) that BERT-style checkpoints use.</summary>
public enum HiddenActivation { Gelu, GeluTanh, Relu, Silu }

/// <summary>Sizes of a BERT-style encoder, read from config.json with the defaults of transformers' BertConfig.</summary>
public sealed record BertConfig(int VocabSize, int HiddenSize, int Layers, int Heads, int IntermediateSize, HiddenActivation Activation,
    int MaxPositions, int TypeVocabSize, float LayerNormEps, int PadTokenId)
{
    public int HeadDim => HiddenSize / Heads;

    public static BertConfig FromHf(HfConfig c, int defaultPadTokenId = 0)
    {
        var positionType = c.String("position_embedding_type", "absolute");
        if (positionType != "absolute")
            throw new NotSupportedException($"{c.FilePath}: position_embedding_type '{positionType}' is not supported (only 'absolute')");
        var act = c.String("hidden_act", "gelu") switch
        {
            "gelu" => HiddenActivation.Gelu,
            "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => HiddenActivation.GeluTanh,
            "relu" => HiddenActivation.Relu,
            "silu" or "swish" => HiddenActivation.Silu,
            var s => throw new NotSupportedException($"{c.FilePath}: hidden_act '{s}' is not supported (gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, silu, swish)"),
        };
        var config = new BertConfig(c.Int("vocab_size", 30522), c.Int("hidden_size", 768), c.Int("num_hidden_layers", 12),
            c.Int("num_attention_heads", 12), c.Int("intermediate_size", 3072), act, c.Int("max_position_embeddings", 512),
            c.Int("type_vocab_size", 2), (float)c.Double("layer_norm_eps", 1e-12), c.Int("pad_token_id", defaultPadTokenId));
        if (config.VocabSize <= 0 || config.HiddenSize <= 0 || config.Layers <= 0 || config.IntermediateSize <= 0 || config.MaxPositions <= 0 || config.TypeVocabSize <= 0)
            throw new InvalidDataException($"{c.FilePath}: sizes must be positive ({config})");
        if (config.Heads <= 0 || config.HiddenSize % config.Heads != 0)
            throw new InvalidDataException($"{c.FilePath}: hidden_size must be divisible by num_attention_heads (got hidden_size: {config.HiddenSize} and num_attention_heads: {config.Heads})");
        return config;
    }
}

/// <summary>E = LayerNorm(W_word[x_t] + W_pos[p_t] + W_type[s_t]) (Devlin et al., 2019, Sec. 3, "Input/Output Representations").</summary>
public sealed class BertEmbeddings : Module
{
    public Embedding WordEmbeddings { get; }
    public Embedding PositionEmbeddings { get; }
    public Embedding TokenTypeEmbeddings { get; }
    public LayerNorm Norm { get; }

    public BertEmbeddings(BertConfig c)
    {
        WordEmbeddings = RegisterModule("word_embeddings", new Embedding(c.VocabSize, c.HiddenSize, null));
        PositionEmbeddings = RegisterModule("position_embeddings", new Embedding(c.MaxPositions, c.HiddenSize, null));
        TokenTypeEmbeddings = RegisterModule("token_type_embeddings", new Embedding(c.TypeVocabSize, c.HiddenSize, null));
        Norm = RegisterModule("LayerNorm", new LayerNorm(c.HiddenSize, c.LayerNormEps));
    }

    /// <returns>(B, T, D)</returns>
    public Tensor Forward(int[] ids, int[] positionIds, int[] tokenTypeIds, int b, int t) =>
        Norm.Forward(WordEmbeddings.Forward(ids, b, t) + PositionEmbeddings.Forward(positionIds, b, t) + TokenTypeEmbeddings.Forward(tokenTypeIds, b, t));
}

/// <summary>head_h = softmax(Q_h K_h^T / sqrt(d_h) + M) V_h with Q = H W_q^T + b_q etc. (Vaswani et al., 2017); M hides padded keys.</summary>
public sealed class BertSelfAttention : Module
{
    readonly int heads;
    public Linear Query { get; }
    public Linear Key { get; }
    public Linear Value { get; }

    public BertSelfAttention(BertConfig c)
    {
        heads = c.Heads;
        Query = RegisterModule("query", new Linear(c.HiddenSize, c.HiddenSize, null));
        Key = RegisterModule("key", new Linear(c.HiddenSize, c.HiddenSize, null));
        Value = RegisterModule("value", new Linear(c.HiddenSize, c.HiddenSize, null));
    }

    /// <param name="h">(B, T, D)</param>
    /// <param name="keyMask">(B, 1, 1, T), 1 = real token.</param>
    /// <returns>concat_h(head_h), (B, T, D)</returns>
    public Tensor Forward(Tensor h, Tensor keyMask)
    {
        int b = h.Dim(0), t = h.Dim(1), d = h.Dim(2);
        Tensor Split(Tensor y) => y.Reshape(b, t, heads, d / heads).Transpose(1, 2);     // (B, A, T, d_h)
        var context = Attention.ScaledDotProduct(Split(Query.Forward(h)), Split(Key.Forward(h)), Split(Value.Forward(h)), keyMask);
        return context.Transpose(1, 2).Reshape(b, t, d);
    }
}

/// <summary>LayerNorm(residual + x W^T + b): the post-norm residual after attention (BertSelfOutput) and after the
/// feed-forward block (BertOutput); both have the keys dense.* and LayerNorm.*.</summary>
public sealed class BertResidualOutput : Module
{
    public Linear Dense { get; }
    public LayerNorm Norm { get; }

    public BertResidualOutput(int inFeatures, BertConfig c)
    {
        Dense = RegisterModule("dense", new Linear(inFeatures, c.HiddenSize, null));
        Norm = RegisterModule("LayerNorm", new LayerNorm(c.HiddenSize, c.LayerNormEps));
    }

    public Tensor Forward(Tensor x, Tensor residual) => Norm.Forward(residual + Dense.Forward(x));
}

/// <summary>H' = LayerNorm(H + Attention(H) W_o^T + b_o); keys self.* and output.*.</summary>
public sealed class BertAttention : Module
{
    public BertSelfAttention Self { get; }
    public BertResidualOutput Output { get; }

    public BertAttention(BertConfig c)
    {
        Self = RegisterModule("self", new BertSelfAttention(c));
        Output = RegisterModule("output", new BertResidualOutput(c.HiddenSize, c));
    }

    public Tensor Forward(Tensor h, Tensor keyMask) => Output.Forward(Self.Forward(h, keyMask), h);
}

/// <summary>act(H' W_i^T + b_i), the expanding half of the feed-forward block.</summary>
public sealed class BertIntermediate : Module
{
    readonly HiddenActivation activation;
    public Linear Dense { get; }

    public BertIntermediate(BertConfig c)
    {
        activation = c.Activation;
        Dense = RegisterModule("dense", new Linear(c.HiddenSize, c.IntermediateSize, null));
    }

    public Tensor Forward(Tensor h)
    {
        var x = Dense.Forward(h);
        return activation switch
        {
            HiddenActivation.Gelu => x.Gelu(),
            HiddenActivation.GeluTanh => x.GeluTanh(),
            HiddenActivation.Relu => x.Relu(),
            _ => x.Silu(),
        };
    }
}

/// <summary>One post-norm transformer layer: H' = LN(H + Attn(H)); H'' = LN(H' + FFN(H')).</summary>
public sealed class BertLayer : Module
{
    public BertAttention Attention { get; }
    public BertIntermediate Intermediate { get; }
    public BertResidualOutput Output { get; }

    public BertLayer(BertConfig c)
    {
        Attention = RegisterModule("attention", new BertAttention(c));
        Intermediate = RegisterModule("intermediate", new BertIntermediate(c));
        Output = RegisterModule("output", new BertResidualOutput(c.IntermediateSize, c));
    }

    public Tensor Forward(Tensor h, Tensor keyMask)
    {
        var h1 = Attention.Forward(h, keyMask);
        return Output.Forward(Intermediate.Forward(h1), h1);
    }
}

/// <summary>The layers, under the key encoder.layer.N.</summary>
public sealed class BertEncoder : Module
{
    public ModuleList<BertLayer> Layer { get; }

    public BertEncoder(BertConfig c) =>
        Layer = RegisterModule("layer", new ModuleList<BertLayer>(Enumerable.Range(0, c.Layers).Select(_ => new BertLayer(c))));
}

/// <summary>pooled = tanh(W_p h_first + b_p), trained on next-sentence prediction.</summary>
public sealed class BertPooler : Module
{
    public Linear Dense { get; }

    public BertPooler(BertConfig c) => Dense = RegisterModule("dense", new Linear(c.HiddenSize, c.HiddenSize, null));

    public Tensor Forward(Tensor lastHidden) => Dense.Forward(Layers.Pooling.FirstToken(lastHidden)).Tanh();
}

/// <summary>
/// BERT (Devlin et al., 2019): embeddings, then L post-norm transformer layers, then an optional pooler, with the
/// parameter names of Hugging Face's BertModel (embeddings.*, encoder.layer.N.*, pooler.dense.*). Runs as in
/// evaluation mode (no dropout): it is loaded to extract features. Not sealed: <see cref="RobertaModel"/> is this
/// network with other position ids, as in transformers.
/// </summary>
public class BertModel : Module, ITextEncoder
{
    public BertConfig Config { get; }
    public BertEmbeddings Embeddings { get; }
    public BertEncoder Encoder { get; }
    public BertPooler? Pooler { get; }

    public BertModel(BertConfig config, bool addPoolingLayer)
    {
        Config = config;
        Embeddings = RegisterModule("embeddings", new BertEmbeddings(config));
        Encoder = RegisterModule("encoder", new BertEncoder(config));
        if (addPoolingLayer) Pooler = RegisterModule("pooler", new BertPooler(config));
    }

    public int HiddenSize => Config.HiddenSize;

    /// <summary>The most tokens one row may hold.</summary>
    public virtual int MaxTokens => Config.MaxPositions;

    /// <summary>Absolute positions 0..T-1 in every row.</summary>
    protected virtual int[] PositionIds(TokenBatch batch)
    {
        var ids = new int[batch.Batch * batch.Length];
        for (int i = 0; i < ids.Length; i++) ids[i] = i % batch.Length;
        return ids;
    }

    /// <param name="batch">right-padded ids (B, T) and mask.</param>
    /// <param name="tokenTypeIds">(B, T) segment ids, all 0 when null.</param>
    public TextEncoderOutput Forward(TokenBatch batch, int[]? tokenTypeIds = null)
    {
        int b = batch.Batch, t = batch.Length;
        if (b == 0 || t == 0) throw new ArgumentException($"cannot encode an empty batch ({b} rows of {t} tokens)");
        if (t > MaxTokens) throw new ArgumentException($"rows of {t} tokens are longer than the {MaxTokens} positions of this {GetType().Name}");
        foreach (int id in batch.Ids)
            if ((uint)id >= (uint)Config.VocabSize) throw new ArgumentException($"token id {id} is outside the vocabulary (size {Config.VocabSize})");
        tokenTypeIds ??= new int[b * t];
        if (tokenTypeIds.Length != b * t) throw new ArgumentException($"token type ids hold {tokenTypeIds.Length} values, expected B*T = {b * t}");

        var mask = new Tensor((float[])batch.Mask.Clone(), b, t);
        var keyMask = mask.Reshape(b, 1, 1, t);
        var h = Embeddings.Forward(batch.Ids, PositionIds(batch), tokenTypeIds, b, t);   // (B, T, D)
        var hidden = new List<Tensor>(Config.Layers + 1) { h };
        foreach (var layer in Encoder.Layer)
        {
            h = layer.Forward(h, keyMask);
            hidden.Add(h);
        }
        return new TextEncoderOutput(h, hidden, Pooler?.Forward(h), mask);
    }

    public Tensor EncodeTokens(TokenBatch batch) => Forward(batch).LastHiddenState;
}
