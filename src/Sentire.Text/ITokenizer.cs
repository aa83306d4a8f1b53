namespace Sentire.Text;

/// <summary>
/// A text tokenizer: text to token ids and back. Implemented by <see cref="BpeTokenizer"/> (trained by Sentire)
/// and by <see cref="HfTokenizer"/> (any tokenizer <see cref="TokenizerLoader"/> reads from a Hugging Face folder).
/// </summary>
public interface ITokenizer
{
    /// <summary>Number of embedding rows a model needs: one more than the largest id, added tokens included.</summary>
    int VocabSize { get; }

    /// <summary>Ids of the special tokens the tokenizer has (null where it has none).</summary>
    SpecialTokenIds Special { get; }

    /// <summary>Text to ids; <paramref name="addSpecialTokens"/> adds what the tokenizer's post-processor adds
    /// (BERT: [CLS] .. [SEP]; RoBERTa: &lt;s&gt; .. &lt;/s&gt;; LLaMA: &lt;s&gt; ..).</summary>
    int[] Encode(string text, bool addSpecialTokens = true);

    /// <summary>Ids to text; <paramref name="skipSpecial"/> drops special tokens.</summary>
    string Decode(ReadOnlySpan<int> ids, bool skipSpecial = true);

    /// <summary>The vocabulary string of an id (byte-level tokens stay in their mapped form, e.g. "Ġcat").</summary>
    string TokenOf(int id);

    /// <summary>The id of a vocabulary string, or null.</summary>
    int? IdOf(string token);
}

/// <summary>Special token ids as far as the tokenizer defines them.</summary>
public sealed record SpecialTokenIds(int? Bos = null, int? Eos = null, int? Pad = null, int? Unk = null, int? Cls = null, int? Sep = null, int? Mask = null)
{
    public static SpecialTokenIds None { get; } = new();
}

/// <summary>Sequences of ids padded to one length, as text encoders take them.</summary>
/// <param name="Ids">(B, T) row-major ids, padding filled with the pad id.</param>
/// <param name="Mask">(B, T) 1 for real tokens, 0 for padding.</param>
public sealed record TokenBatch(int Batch, int Length, int[] Ids, float[] Mask)
{
    /// <summary>Right-pads <paramref name="sequences"/> with <paramref name="padId"/> to the longest one.</summary>
    public static TokenBatch Pad(IReadOnlyList<int[]> sequences, int padId)
    {
        int b = sequences.Count, t = sequences.Count == 0 ? 0 : sequences.Max(s => s.Length);
        var ids = new int[b * t];
        var mask = new float[b * t];
        Array.Fill(ids, padId);
        for (int i = 0; i < b; i++)
        {
            sequences[i].CopyTo(ids, i * t);
            mask.AsSpan(i * t, sequences[i].Length).Fill(1f);
        }
        return new TokenBatch(b, t, ids, mask);
    }

    /// <summary>Id rows right-padded with 0 for a model with <paramref name="maxPositions"/> positions (named
    /// <paramref name="model"/> in the error): an empty batch or a longer row is refused.</summary>
    public static TokenBatch ForPositions(IReadOnlyList<int[]> rows, int maxPositions, string model)
    {
        var batch = Pad(rows, padId: 0);
        if (batch.Length == 0) throw new ArgumentException("cannot encode an empty batch of token rows");
        if (batch.Length > maxPositions) throw new ArgumentException($"a row has {batch.Length} tokens, more than the {maxPositions} positions of this {model}");
        return batch;
    }
}

/// <summary>Batch encoding helpers shared by every tokenizer.</summary>
public static class TokenizerExtensions
{
    /// <summary>Encodes each text and right-pads to the longest; the pad id is the tokenizer's pad token
    /// (or <paramref name="padIdFallback"/> when it has none).</summary>
    public static TokenBatch EncodeBatch(this ITokenizer tokenizer, IReadOnlyList<string> texts, bool addSpecialTokens = true, int? padIdFallback = null)
    {
        int pad = tokenizer.Special.Pad ?? padIdFallback
            ?? throw new InvalidOperationException("the tokenizer has no pad token; pass padIdFallback to pad a batch");
        return TokenBatch.Pad(texts.Select(t => tokenizer.Encode(t, addSpecialTokens)).ToArray(), pad);
    }
}
