using Sentire.Tensors;
using Sentire.Tensors.Nn;
using Sentire.Models.Layers;
using Sentire.Text;

namespace Sentire.Models.Secap;

/// <summary>Sizes of <see cref="QFormer"/>, named as Hugging Face's Blip2QFormerConfig.</summary>
/// <param name="NumQueryTokens">n_q learnable queries (SECap and BLIP-2: 32).</param>
/// <param name="CrossAttentionFrequency">a layer attends to the speech frames when its index is a multiple of this (BLIP-2: 2).</param>
/// <param name="EncoderHiddenSize">width of the speech encoder's frames.</param>
/// <param name="VocabSize">text-mode vocabulary (the captioner's tokenizer).</param>
public sealed record QFormerConfig(int VocabSize, int NumQueryTokens = 32, int HiddenSize = 192, int NumAttentionHeads = 4,
    int NumHiddenLayers = 2, int IntermediateSize = 768, int CrossAttentionFrequency = 2, int EncoderHiddenSize = 192,
    int MaxPositionEmbeddings = 128, float HiddenDropoutProb = 0.1f, float LayerNormEps = 1e-12f)
{
    public void Validate()
    {
        if (VocabSize <= 0 || NumQueryTokens <= 0 || NumHiddenLayers <= 0 || IntermediateSize <= 0 || CrossAttentionFrequency <= 0 || EncoderHiddenSize <= 0 || MaxPositionEmbeddings <= 0)
            throw new ArgumentException($"QFormerConfig sizes must be positive: {this}");
        if (HiddenSize % NumAttentionHeads != 0)
            throw new ArgumentException($"hidden size must be divisible by heads (got hidden size: {HiddenSize} and heads: {NumAttentionHeads})");
    }
}

/// <summary>BERT attention projections (query, key, value) and its output block (dense, dropout, residual, LayerNorm),
/// as Blip2QFormerAttention: LN(x + dense(softmax(q k^T / sqrt(d_h)) v)). Keys and values come from <c>context</c>
/// (the layer's own states for self-attention, the speech frames for cross-attention).</summary>
public sealed class QFormerAttention : Module
{
    readonly int heads;
    public Linear Query { get; }
    public Linear Key { get; }
    public Linear Value { get; }
    public Linear OutputDense { get; }
    public LayerNorm OutputNorm { get; }
    readonly Dropout dropout;

    public QFormerAttention(QFormerConfig c, int contextSize, Generator rngForDropout, Generator? rngForInit)
    {
        heads = c.NumAttentionHeads;
        var attention = RegisterModule("attention", new StateDictScope());
        Query = attention.Add("query", new Linear(c.HiddenSize, c.HiddenSize, rngForInit));
        Key = attention.Add("key", new Linear(contextSize, c.HiddenSize, rngForInit));
        Value = attention.Add("value", new Linear(contextSize, c.HiddenSize, rngForInit));
        var output = RegisterModule("output", new StateDictScope());
        OutputDense = output.Add("dense", new Linear(c.HiddenSize, c.HiddenSize, rngForInit));
        OutputNorm = output.Add("LayerNorm", new LayerNorm(c.HiddenSize, c.LayerNormEps));
        dropout = output.Add("dropout", new Dropout(c.HiddenDropoutProb, rngForDropout));
    }

    /// <param name="x">(B, T, D) states that ask.</param>
    /// <param name="context">(B, S, C) states attended to.</param>
    /// <param name="contextMask">(B, S) 1 = real, or null.</param>
    public Tensor Forward(Tensor x, Tensor context, Tensor? contextMask)
    {
        int b = x.Dim(0), t = x.Dim(1), s = context.Dim(1), d = x.Dim(2), dh = d / heads;
        var q = Query.Forward(x).Reshape(b, t, heads, dh).Transpose(1, 2);          // (B, H, T, dh)
        var k = Key.Forward(context).Reshape(b, s, heads, dh).Transpose(1, 2);      // (B, H, S, dh)
        var v = Value.Forward(context).Reshape(b, s, heads, dh).Transpose(1, 2);
        var mixed = Attention.ScaledDotProduct(q, k, v, contextMask?.Reshape(b, 1, 1, s));
        var projected = OutputDense.Forward(mixed.Transpose(1, 2).Reshape(b, t, d));
        return OutputNorm.Forward(dropout.Forward(projected) + x);
    }
}

/// <summary>BERT's feed-forward block, Blip2QFormerIntermediate + Blip2QFormerOutput: LN(x + W_2 GELU(W_1 x)).</summary>
public sealed class QFormerFeedForward : Module
{
    public Linear IntermediateDense { get; }
    public Linear OutputDense { get; }
    public LayerNorm OutputNorm { get; }
    readonly Dropout dropout;

    public QFormerFeedForward(QFormerConfig c, Generator rngForDropout, Generator? rngForInit)
    {
        IntermediateDense = RegisterModule("intermediate_dense", new Linear(c.HiddenSize, c.IntermediateSize, rngForInit));
        OutputDense = RegisterModule("output_dense", new Linear(c.IntermediateSize, c.HiddenSize, rngForInit));
        OutputNorm = RegisterModule("output_LayerNorm", new LayerNorm(c.HiddenSize, c.LayerNormEps));
        dropout = RegisterModule("output_dropout", new Dropout(c.HiddenDropoutProb, rngForDropout));
    }

    public Tensor Forward(Tensor x) => OutputNorm.Forward(dropout.Forward(OutputDense.Forward(IntermediateDense.Forward(x).Gelu())) + x);
}

/// <summary>One Q-Former layer: self-attention, cross-attention to the speech frames on every
/// <see cref="QFormerConfig.CrossAttentionFrequency"/>-th layer (speech mode only), feed-forward.</summary>
public sealed class QFormerLayer : Module
{
    public QFormerAttention SelfAttention { get; }
    public QFormerAttention? CrossAttention { get; }
    public QFormerFeedForward FeedForward { get; }

    public QFormerLayer(QFormerConfig c, int index, Generator rngForDropout, Generator? rngForInit)
    {
        SelfAttention = RegisterModule("attention", new QFormerAttention(c, c.HiddenSize, rngForDropout, rngForInit));
        if (index % c.CrossAttentionFrequency == 0)
            CrossAttention = RegisterModule("crossattention", new QFormerAttention(c, c.EncoderHiddenSize, rngForDropout, rngForInit));
        FeedForward = RegisterModule("feed_forward", new QFormerFeedForward(c, rngForDropout, rngForInit));
    }

    /// <param name="speech">(B, S, C) speech frames, or null in text mode (no cross-attention).</param>
    public Tensor Forward(Tensor x, Tensor? mask, Tensor? speech, Tensor? speechMask)
    {
        x = SelfAttention.Forward(x, x, mask);
        if (CrossAttention is not null && speech is not null) x = CrossAttention.Forward(x, speech, speechMask);
        return FeedForward.Forward(x);
    }
}

/// <summary>
/// SECap's Bridge-Net Q-Former (Xu et al., AAAI 2024), after BLIP-2 (Li et al., 2023). Speech mode: n_q learnable
/// queries self-attend, cross-attend to the frozen speech encoder's frames (every other layer) and pass a
/// feed-forward block; the output is the Q-Embedding (B, n_q, d_q), whose size does not depend on the clip length.
/// Text mode: the same layers without cross-attention encode token rows (word + position embeddings, LayerNorm):
/// captions give the C-Embedding, transcripts the T-Embedding. Self-attention and feed-forward weights are shared
/// between the two modes, as SECap asks (BLIP-2 itself keeps a separate query feed-forward, intermediate_query).
/// Post-norm BERT layers; names follow Blip2QFormerModel (query_tokens, embeddings.*, layernorm,
/// encoder.layer.N.attention/crossattention.*), except that the feed-forward is one module per layer.
/// </summary>
public sealed class QFormer : Module
{
    public QFormerConfig Config { get; }
    public Tensor QueryTokens { get; }
    public Embedding WordEmbeddings { get; }
    public Embedding PositionEmbeddings { get; }
    public LayerNorm EmbeddingsNorm { get; }
    public LayerNorm QueryNorm { get; }
    public ModuleList<QFormerLayer> Layers { get; }
    /// <summary>Per-dimension mean and standard deviation of the training frames: the frozen encoder's frames share a
    /// large clip-independent component, and cross-attention averages it in; standardising the frames first (as
    /// cepstral mean and variance normalisation does) leaves the clip-specific part for the queries to pick up.</summary>
    public Tensor SpeechMean { get; }
    public Tensor SpeechStd { get; }
    readonly Dropout dropout;

    public QFormer(QFormerConfig config, Generator rngForDropout, Generator? rngForInit)
    {
        config.Validate();
        Config = config;
        var queries = Tensor.Zeros(1, config.NumQueryTokens, config.HiddenSize);
        // BLIP-2 draws the queries from N(0, 0.02), BERT's initializer_range.
        if (rngForInit is not null) Init.Normal(queries, rngForInit, 0f, 0.02f);
        QueryTokens = RegisterParameter("query_tokens", queries);
        var embeddings = RegisterModule("embeddings", new StateDictScope());
        WordEmbeddings = embeddings.Add("word_embeddings", new Embedding(config.VocabSize, config.HiddenSize, rngForInit));
        PositionEmbeddings = embeddings.Add("position_embeddings", new Embedding(config.MaxPositionEmbeddings, config.HiddenSize, rngForInit));
        EmbeddingsNorm = embeddings.Add("layernorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        if (rngForInit is not null)
        {
            Init.Normal(WordEmbeddings.Weight, rngForInit, 0f, 0.02f);
            Init.Normal(PositionEmbeddings.Weight, rngForInit, 0f, 0.02f);
        }
        QueryNorm = RegisterModule("layernorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        SpeechMean = RegisterBuffer("speech_mean", Tensor.Zeros(config.EncoderHiddenSize));
        SpeechStd = RegisterBuffer("speech_std", Tensor.Ones(config.EncoderHiddenSize));
        dropout = RegisterModule("dropout", new Dropout(config.HiddenDropoutProb, rngForDropout));
        var encoder = RegisterModule("encoder", new StateDictScope());
        Layers = encoder.Add("layer", new ModuleList<QFormerLayer>(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new QFormerLayer(config, i, rngForDropout, rngForInit))));
    }

    /// <summary>Q-Embedding (B, n_q, d_q) of speech frames (B, S, C) with their mask (B, S) (null: all real).</summary>
    public Tensor EncodeSpeech(Tensor speech, Tensor? speechMask)
    {
        if (speech.Rank != 3 || speech.Dim(2) != Config.EncoderHiddenSize)
            throw new ArgumentException($"speech frames must be (B, S, {Config.EncoderHiddenSize}), got {speech.ShapeString}");
        int b = speech.Dim(0);
        speech = (speech - SpeechMean) / SpeechStd;
        var x = dropout.Forward(QueryNorm.Forward(QueryTokens.Expand(b, Config.NumQueryTokens, Config.HiddenSize)));   // (B, n_q, D)
        foreach (var layer in Layers) x = layer.Forward(x, null, speech, speechMask);
        return x;
    }

    /// <summary>Sets the frame standardisation from training frames (rows: frames, columns: encoder dims).</summary>
    public void SetSpeechStatistics(ReadOnlySpan<float> mean, ReadOnlySpan<float> std) =>
        Standardization.SetStatistics(SpeechMean, SpeechStd, mean, std, "the Q-Former");

    /// <summary>Token states (B, T, d_q) of right-padded id rows (text mode: no cross-attention); C- or T-Embedding.</summary>
    public Tensor EncodeText(int[][] ids, out Tensor tokenMask)
    {
        var batch = TokenBatch.ForPositions(ids, Config.MaxPositionEmbeddings, "Q-Former");
        int b = batch.Batch, t = batch.Length;
        tokenMask = new Tensor(batch.Mask, b, t);
        var positions = Enumerable.Range(0, t).ToArray();
        var x = dropout.Forward(EmbeddingsNorm.Forward(WordEmbeddings.Forward(batch.Ids, b, t) + PositionEmbeddings.Forward(positions, t)));
        foreach (var layer in Layers) x = layer.Forward(x, tokenMask, null, null);
        return x;
    }

    /// <summary>Pooled Q-Embedding (B, d_q): mean over the queries (what SCCL and STMIL compare).</summary>
    public static Tensor PoolQueries(Tensor qEmbedding) => qEmbedding.Mean(1);

    /// <summary>Pooled text embedding (B, d_q): the first token's state (BOS plays BERT's [CLS]).</summary>
    public static Tensor PoolText(Tensor textEmbedding) => Sentire.Models.Layers.Pooling.FirstToken(textEmbedding);
}

/// <summary>A named level of the state dict with no computation of its own (embeddings., encoder., attention.).</summary>
sealed class StateDictScope : Module
{
    public T Add<T>(string name, T module) where T : Module => RegisterModule(name, module);
}
