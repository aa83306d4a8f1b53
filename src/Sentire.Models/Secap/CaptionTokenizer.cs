using Sentire.Models.Decoders;
using Sentire.Text;

namespace Sentire.Models.Secap;

/// <summary>
/// The caption LM's tokenizer as SECap uses it: raw text ids (the LM input is assembled by hand, eq. 7) and the BOS/EOS
/// ids that frame a row. Any <see cref="ITokenizer"/>: the BPE tokenizer Sentire trains, or a Hugging Face checkpoint's.
/// </summary>
public sealed class CaptionTokenizer
{
    public ITokenizer Tokenizer { get; }
    public int BosId { get; }
    public int EosId { get; }
    public int VocabSize => Tokenizer.VocabSize;

    public CaptionTokenizer(ITokenizer tokenizer, int bosId, int eosId)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        Tokenizer = tokenizer;
        BosId = bosId;
        EosId = eosId;
    }

    /// <summary>BOS/EOS from the tokenizer's special tokens, else the model's config.json. EOS must be one the decoder
    /// stops on (Qwen2's tokenizer has no BOS: its config names &lt;|endoftext|&gt;).</summary>
    public static CaptionTokenizer For(ITokenizer tokenizer, LlamaConfig config, string folder)
    {
        int? eos = tokenizer.Special.Eos is int e && (config.EosTokenIds.Length == 0 || config.EosTokenIds.Contains(e)) ? e
            : config.EosTokenIds.Length > 0 ? config.EosTokenIds[0] : tokenizer.Special.Eos;
        int? bos = tokenizer.Special.Bos ?? config.BosTokenId ?? eos;
        if (bos is not int b || eos is not int s)
            throw new InvalidDataException($"{folder}: neither the tokenizer nor config.json names an end-of-sequence token");
        return new CaptionTokenizer(tokenizer, b, s);
    }

    /// <summary>A tokenizer Sentire trained (its own BOS/EOS).</summary>
    public static CaptionTokenizer For(BpeTokenizer tokenizer) => new(tokenizer, tokenizer.BosId, tokenizer.EosId);

    /// <summary>Ids of <paramref name="text"/>, with BOS/EOS only where asked.</summary>
    public int[] Encode(string text, bool addBos = false, bool addEos = false)
    {
        var ids = Tokenizer.Encode(text, addSpecialTokens: false);
        return addBos || addEos ? [.. addBos ? [BosId] : Array.Empty<int>(), .. ids, .. addEos ? [EosId] : Array.Empty<int>()] : ids;
    }

    /// <summary>Text of generated ids. Ids past the tokenizer's vocabulary are dropped: checkpoints pad the embedding
    /// table beyond it (Qwen2: 151936 rows for 151665 tokens), and those rows mean no text.</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        int vocab = Tokenizer.VocabSize;
        var kept = new List<int>(ids.Length);
        foreach (var id in ids) if ((uint)id < (uint)vocab) kept.Add(id);
        return Tokenizer.Decode(kept.ToArray(), skipSpecial: true);
    }
}
