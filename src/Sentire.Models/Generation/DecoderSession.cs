using Sentire.Models.Decoders;
using Sentire.Tensors;

namespace Sentire.Models.Generation;

/// <summary>
/// A batch of sequences being extended one token at a time: the model behind <see cref="TextGenerator"/>'s search.
/// <see cref="Next"/> appends one token to every row and returns the next-token logits (rows, V).
/// </summary>
public interface IDecoderSession
{
    int Rows { get; }
    Tensor Next(int[] tokens);
    /// <summary>Row i continues old row <paramref name="rows"/>[i] (beam search); the row count may change.</summary>
    void Reorder(int[] rows);
}

/// <summary>Shared by the LLaMA sessions: the logits of each row's last position.</summary>
internal abstract class LlamaSession(LlamaForCausalLM lm) : IDecoderSession
{
    protected LlamaForCausalLM Lm { get; } = lm;
    public abstract int Rows { get; }
    public abstract Tensor Next(int[] tokens);
    public abstract void Reorder(int[] rows);

    protected Tensor LastLogits(Tensor hidden)
    {
        int b = hidden.Dim(0), t = hidden.Dim(1), d = hidden.Dim(2);
        return Lm.Logits(hidden.Narrow(1, t - 1, 1).Reshape(b, d));
    }

    protected Tensor Embed(int[] tokens) => Lm.EmbedTokens(tokens.Select(t => new[] { t }).ToArray());
}

/// <summary>Decoding with a KV cache: each step runs the new token only.</summary>
internal sealed class CachedLlamaSession : LlamaSession
{
    readonly KvCache cache;

    public CachedLlamaSession(LlamaForCausalLM lm, Tensor prefix, Tensor? mask, int maxNewTokens, out Tensor firstLogits) : base(lm)
    {
        cache = lm.NewCache(prefix.Dim(0), prefix.Dim(1) + Math.Max(1, maxNewTokens));
        firstLogits = LastLogits(lm.Hidden(prefix, mask, cache));
    }

    public override int Rows => cache.Batch;
    public override Tensor Next(int[] tokens) => LastLogits(Lm.Hidden(Embed(tokens).Reshape(tokens.Length, 1, Lm.Config.HiddenSize), null, cache));
    public override void Reorder(int[] rows) => cache.Reorder(rows);
}

/// <summary>Decoding without a cache: each step runs the whole sequence again (the reference the cache must reproduce).</summary>
internal sealed class RecomputingLlamaSession : LlamaSession
{
    Tensor embeds;
    Tensor? mask;

    public RecomputingLlamaSession(LlamaForCausalLM lm, Tensor prefix, Tensor? mask, out Tensor firstLogits) : base(lm)
    {
        embeds = prefix;
        this.mask = mask;
        firstLogits = LastLogits(lm.Hidden(prefix, mask));
    }

    public override int Rows => embeds.Dim(0);

    public override Tensor Next(int[] tokens)
    {
        embeds = Tensor.Concat([embeds, Embed(tokens)], 1);
        if (mask is not null) mask = Tensor.Concat([mask, Tensor.Ones(tokens.Length, 1)], 1);
        return LastLogits(Lm.Hidden(embeds, mask));
    }

    public override void Reorder(int[] rows)
    {
        embeds = embeds.IndexSelect(0, rows);
        mask = mask?.IndexSelect(0, rows);
    }
}
