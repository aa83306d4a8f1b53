using Sentire.Models.HuggingFace.Text;
using Sentire.Tensors;
using Sentire.Tensors.Nn;
using Sentire.Text;

namespace Sentire.Models.Clap;

/// <summary>
/// The text side of <see cref="ClapModel"/> before the projection P_t: token id rows (each with the tokenizer's
/// special tokens) to their first-token states (B, D). Implemented by our <see cref="TextEncoder"/> (trained, ids from
/// the package's BPE tokenizer) and by <see cref="PretrainedTextTower"/> (frozen, ids from the checkpoint's own tokenizer).
/// </summary>
public interface IClapTextTower
{
    /// <summary>D, the width P_t reads.</summary>
    int HiddenSize { get; }

    /// <summary>First-token state of each row, (B, D).</summary>
    Tensor Pooled(int[][] ids);
}

/// <summary>
/// A frozen Hugging Face BERT/RoBERTa encoder as the text tower of Emo-CLAP, pooled on its first token ([CLS] / &lt;s&gt;)
/// as GEmo-CLAP pools RoBERTa: t = normalize(P_t(firsttoken(Encoder(w)))). Frozen, the tower maps a prompt to a fixed
/// vector, and there are few prompts (one per label and gender), so each distinct id row is encoded once and kept;
/// only P_t and the temperatures train. The encoder stays in its folder: this module has no parameters, so the
/// package's state dict holds P_t but no encoder weights.
/// </summary>
public sealed class PretrainedTextTower : Module, IClapTextTower
{
    /// <summary>What a checkpoint folder for this tower holds.</summary>
    public const string ExpectedFiles = "config.json, model.safetensors and the tokenizer files (tokenizer.json, or vocab.txt, or vocab.json + merges.txt)";

    readonly Dictionary<string, float[]> cache = new(StringComparer.Ordinal);
    readonly Lock cacheLock = new();

    PretrainedTextTower(string folder, PretrainedTextEncoder encoder)
    {
        Folder = folder;
        Encoder = encoder;
    }

    /// <summary>The checkpoint folder as given (recipe <c>text.pretrained</c>, package <c>text_encoder.pretrained</c>).</summary>
    public string Folder { get; }
    public PretrainedTextEncoder Encoder { get; }
    public int HiddenSize => Encoder.Model.Config.HiddenSize;

    /// <summary>Loads the checkpoint in <paramref name="folder"/>; a missing folder is a <see cref="PretrainedEncoderMissingException"/>.</summary>
    public static PretrainedTextTower Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new PretrainedEncoderMissingException(folder, "text encoder", ExpectedFiles);
        return new PretrainedTextTower(folder, PretrainedTextEncoder.Load(folder));
    }

    /// <summary>Ids of a prompt with the checkpoint's special tokens ([CLS] ... [SEP] or &lt;s&gt; ... &lt;/s&gt;).</summary>
    public int[] Tokenize(string prompt) => Encoder.Tokenizer.Encode(prompt);

    /// <summary>First-token states (B, D) without gradients; rows seen before come from the cache.</summary>
    public Tensor Pooled(int[][] ids)
    {
        int d = HiddenSize;
        var result = Tensor.Zeros(ids.Length, d);
        lock (cacheLock)
        {
            var keys = ids.Select(r => string.Join(',', r)).ToArray();
            var missing = ids.Where((_, i) => !cache.ContainsKey(keys[i])).DistinctBy(r => string.Join(',', r)).ToList();
            if (missing.Count > 0)
            {
                using var _ = Autograd.NoGrad();
                var first = Encoder.Model.Forward(TokenBatch.Pad(missing, Encoder.Tokenizer.Special.Pad ?? Encoder.Model.Config.PadTokenId)).FirstToken;
                for (int i = 0; i < missing.Count; i++) cache[string.Join(',', missing[i])] = first.Data.Slice(i * d, d).ToArray();
            }
            for (int i = 0; i < ids.Length; i++) cache[keys[i]].CopyTo(result.Data.Slice(i * d, d));
        }
        return result;
    }
}
