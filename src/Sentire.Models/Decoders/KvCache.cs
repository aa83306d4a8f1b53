using Sentire.Tensors;

namespace Sentire.Models.Decoders;

/// <summary>
/// The keys and values a decoder has already computed, per layer (B, Hkv, Length, D) after RoPE, so that each new
/// token attends to the past without recomputing it; plus which cached positions are real tokens (left padding)
/// and how many real tokens each row has seen (the next position id). Made by <see cref="LlamaForCausalLM.NewCache"/>;
/// one forward appends its T steps to every layer. Keys are appended by concatenation (one copy per step), which
/// is small against reading the weights once per token.
/// </summary>
public sealed class KvCache
{
    readonly Tensor?[] keys, values;
    float[] keyMask;     // (Batch, MaxTokens): 1 where a cached position is a real token
    int[] realTokens;    // per row: real tokens seen so far = position id of the next real token
    bool anyPadding;

    /// <summary>Rows (sequences) in the cache; <see cref="Reorder"/> may change it (beam search).</summary>
    public int Batch { get; private set; }

    /// <summary>Capacity in positions (prefix plus generated tokens).</summary>
    public int MaxTokens { get; }

    /// <summary>Positions cached so far (padding included).</summary>
    public int Length { get; private set; }

    public int Layers => keys.Length;

    internal KvCache(int layers, int batch, int maxTokens)
    {
        if (layers <= 0 || batch <= 0 || maxTokens <= 0)
            throw new ArgumentOutOfRangeException(nameof(batch), $"a cache needs positive sizes, found {layers} layers, batch {batch}, {maxTokens} tokens");
        keys = new Tensor?[layers];
        values = new Tensor?[layers];
        Batch = batch;
        MaxTokens = maxTokens;
        keyMask = new float[batch * maxTokens];
        realTokens = new int[batch];
    }

    /// <summary>Starts a forward over <paramref name="t"/> new positions with real-token flags <paramref name="mask"/>
    /// (B x T, null = all real): returns their position ids and the key mask over every cached position
    /// (null when no position is padding).</summary>
    internal (int[] Positions, float[]? KeyMask) Begin(float[]? mask, int batch, int t)
    {
        if (batch != Batch) throw new ArgumentException($"the cache holds {Batch} rows but the input has {batch}");
        if (Length + t > MaxTokens) throw new InvalidOperationException($"the cache holds {MaxTokens} positions: {Length} cached + {t} new do not fit");
        var positions = LlamaModel.PositionIds(mask, batch, t, realTokens);
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < t; i++)
            {
                float real = mask is null ? 1f : mask[b * t + i];
                keyMask[b * MaxTokens + Length + i] = real;
                anyPadding |= real == 0;
            }
        Length += t;
        if (!anyPadding) return (positions, null);
        var compact = new float[batch * Length];
        for (int b = 0; b < batch; b++) keyMask.AsSpan(b * MaxTokens, Length).CopyTo(compact.AsSpan(b * Length));
        return (positions, compact);
    }

    /// <summary>Appends one layer's new keys and values (B, Hkv, T, D) and returns all of them (B, Hkv, Length, D).</summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        int before = keys[layer]?.Dim(2) ?? 0;
        if (before + k.Dim(2) != Length)
            throw new InvalidOperationException($"layer {layer} of the cache holds {before} positions, expected {Length - k.Dim(2)} before this step");
        keys[layer] = keys[layer] is { } ok ? Tensor.Concat([ok, k], 2) : k;
        values[layer] = values[layer] is { } ov ? Tensor.Concat([ov, v], 2) : v;
        return (keys[layer]!, values[layer]!);
    }

    /// <summary>Row i of the cache becomes old row <paramref name="rows"/>[i] (beam search: expand and reorder beams).</summary>
    public void Reorder(int[] rows)
    {
        foreach (int r in rows)
            if ((uint)r >= (uint)Batch) throw new ArgumentOutOfRangeException(nameof(rows), $"row {r} is outside the cache's {Batch} rows");
        for (int l = 0; l < keys.Length; l++)
        {
            keys[l] = keys[l]?.IndexSelect(0, rows);
            values[l] = values[l]?.IndexSelect(0, rows);
        }
        var mask = new float[rows.Length * MaxTokens];
        var real = new int[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            keyMask.AsSpan(rows[i] * MaxTokens, MaxTokens).CopyTo(mask.AsSpan(i * MaxTokens));
            real[i] = realTokens[rows[i]];
        }
        keyMask = mask;
        realTokens = real;
        Batch = rows.Length;
    }
}
