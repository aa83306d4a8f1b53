using System.Text.Json.Serialization;
using Sentire.Models.Layers;
using Sentire.Tensors;
using Sentire.Tensors.Nn;
using Sentire.Text;

namespace Sentire.Models.Clap;

/// <summary>Sizes of <see cref="TextEncoder"/>; <paramref name="Pretrained"/> names a Hugging Face BERT/RoBERTa folder (as given)
/// used frozen instead (<see cref="PretrainedTextTower"/>; the sizes are then unused), or is null.</summary>
public sealed record TextEncoderConfig(int VocabSize, int HiddenSize = 192, int Heads = 4, int Layers = 2, int FfnSize = 768,
    float Dropout = 0.1f, int MaxTokens = 64,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Pretrained = null)
{
    public void Validate()
    {
        if (VocabSize <= 0 || Layers <= 0 || FfnSize <= 0 || MaxTokens <= 0)
            throw new ArgumentException($"TextEncoderConfig sizes must be positive: {this}");
        if (HiddenSize % Heads != 0)
            throw new ArgumentException($"hidden size must be divisible by heads (got hidden size: {HiddenSize} and heads: {Heads})");
    }
}

/// <summary>
/// A small transformer text encoder for prompts and captions, pooled RoBERTa-style on its first token
/// (the tokenizer's BOS, &lt;s&gt;): token embedding + learned position embedding, pre-norm layers, final norm.
/// </summary>
public sealed class TextEncoder : Module, IClapTextTower
{
    public TextEncoderConfig Config { get; }
    public Embedding Tokens { get; }
    public Embedding Positions { get; }
    public ModuleList<TransformerEncoderLayer> Layers { get; }
    public LayerNorm FinalNorm { get; }
    public int HiddenSize => Config.HiddenSize;

    public TextEncoder(TextEncoderConfig config, Generator rngForDropout, Generator? rngForInit)
    {
        config.Validate();
        Config = config;
        Tokens = RegisterModule("embed_tokens", new Embedding(config.VocabSize, config.HiddenSize, rngForInit));
        Positions = RegisterModule("embed_positions", new Embedding(config.MaxTokens, config.HiddenSize, rngForInit));
        if (rngForInit is not null)
        {
            // N(0, 0.02) as BERT/RoBERTa initialise embeddings; torch's N(0, 1) default is far too large here.
            Init.Normal(Tokens.Weight, rngForInit, 0f, 0.02f);
            Init.Normal(Positions.Weight, rngForInit, 0f, 0.02f);
        }
        Layers = RegisterModule("layers", new ModuleList<TransformerEncoderLayer>(Enumerable.Range(0, config.Layers).Select(_ =>
            new TransformerEncoderLayer(config.HiddenSize, config.Heads, config.FfnSize, preNorm: true, config.Dropout, rngForDropout, rngForInit))));
        FinalNorm = RegisterModule("layer_norm", new LayerNorm(config.HiddenSize));
    }

    /// <summary>Token states (B, T, D) for right-padded id rows; <paramref name="lengths"/> gives each row's real length.</summary>
    public Tensor Forward(int[][] ids, out Tensor tokenMask)
    {
        var batch = TokenBatch.ForPositions(ids, Config.MaxTokens, "text encoder");
        int b = batch.Batch, t = batch.Length;
        tokenMask = new Tensor(batch.Mask, b, t);
        var positionIds = new int[t];
        for (int j = 0; j < t; j++) positionIds[j] = j;
        var x = Tokens.Forward(batch.Ids, b, t) + Positions.Forward(positionIds, t);             // (B, T, D)
        foreach (var layer in Layers) x = layer.Forward(x, tokenMask);
        return FinalNorm.Forward(x);
    }

    /// <summary>First-token embedding of each row, (B, D).</summary>
    public Tensor Pooled(int[][] ids) => Pooling.FirstToken(Forward(ids, out _));
}
