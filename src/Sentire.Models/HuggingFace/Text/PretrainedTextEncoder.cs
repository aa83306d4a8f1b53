using Sentire.Tensors;
using Sentire.Tensors.Serialization;
using Sentire.Text;

namespace Sentire.Models.HuggingFace.Text;

/// <summary>The text encoder families Sentire loads from Hugging Face checkpoints.</summary>
public enum TextEncoderFamily { Bert, Roberta }

/// <summary>
/// A BERT or RoBERTa checkpoint folder loaded as model + tokenizer: config.json, model.safetensors (or a sharded
/// index) and the tokenizer files <see cref="TokenizerLoader"/> reads. Task checkpoints (*ForMaskedLM,
/// *ForSequenceClassification, ...) carry the encoder under "bert." / "roberta."; that prefix is stripped and the
/// task heads are left unused and listed in <see cref="IgnoredKeys"/>.
/// </summary>
public sealed class PretrainedTextEncoder
{
    PretrainedTextEncoder(TextEncoderFamily family, BertModel model, HfTokenizer tokenizer, string keyPrefix, IReadOnlyList<string> ignoredKeys)
    {
        Family = family;
        Model = model;
        Tokenizer = tokenizer;
        KeyPrefix = keyPrefix;
        IgnoredKeys = ignoredKeys;
    }

    public TextEncoderFamily Family { get; }
    public BertModel Model { get; }
    public HfTokenizer Tokenizer { get; }

    /// <summary>"", "bert." or "roberta.": the prefix the checkpoint's encoder keys carried.</summary>
    public string KeyPrefix { get; }

    /// <summary>Checkpoint tensors the encoder does not use (task heads such as cls.predictions.*, lm_head.*, classifier.*).</summary>
    public IReadOnlyList<string> IgnoredKeys { get; }

    public static TextEncoderFamily FamilyOf(HfConfig config)
    {
        var type = config.String("model_type", "");
        if (type.Length == 0 && config.Element("architectures") is { } arch && arch.ValueKind == System.Text.Json.JsonValueKind.Array)
            type = arch.EnumerateArray().Select(a => a.GetString() ?? "").FirstOrDefault(a => a.Length > 0)?.ToLowerInvariant() switch
            {
                { } a when a.StartsWith("roberta", StringComparison.Ordinal) => "roberta",
                { } a when a.StartsWith("bert", StringComparison.Ordinal) => "bert",
                _ => "",
            };
        return type switch
        {
            "bert" => TextEncoderFamily.Bert,
            "roberta" or "xlm-roberta" or "camembert" => TextEncoderFamily.Roberta,
            _ => throw new NotSupportedException($"{config.FilePath}: model_type '{type}' is not a supported text encoder (bert, roberta, xlm-roberta, camembert)"),
        };
    }

    /// <summary>Reads the checkpoint and tokenizer in <paramref name="folder"/>; see the class summary.</summary>
    public static PretrainedTextEncoder Load(string folder)
    {
        var hf = HfConfig.Load(folder);
        var family = FamilyOf(hf);
        var config = BertConfig.FromHf(hf, defaultPadTokenId: family == TextEncoderFamily.Roberta ? 1 : 0);
        var tokenizer = TokenizerLoader.Load(folder);
        if (tokenizer.VocabSize > config.VocabSize)
            throw new InvalidDataException($"{folder}: the tokenizer ({tokenizer.Source}) has {tokenizer.VocabSize} ids but {hf.FilePath} has vocab_size {config.VocabSize}");

        using var store = SafeTensors.OpenModel(folder);
        string file = store is SafeTensorsFile ? Path.Combine(folder, "model.safetensors") : Path.Combine(folder, ShardedSafeTensors.DefaultIndexName);
        var basePrefix = family == TextEncoderFamily.Bert ? "bert." : "roberta.";
        var prefix = store.ContainsKey(basePrefix + "embeddings.word_embeddings.weight") ? basePrefix : "";
        bool pooler = store.ContainsKey(prefix + "pooler.dense.weight");
        BertModel model = family == TextEncoderFamily.Bert ? new BertModel(config, pooler) : new RobertaModel(config, pooler);

        // the encoder's keys under the checkpoint's prefix; LayerNorm.gamma/beta is the layout of old TF-converted files
        var view = new PrefixedTensorStore(store, prefix, name => name
            .Replace("LayerNorm.gamma", "LayerNorm.weight", StringComparison.Ordinal)
            .Replace("LayerNorm.beta", "LayerNorm.bias", StringComparison.Ordinal));
        var report = model.LoadStateDict(view, strict: false);
        if (report.Missing.Count > 0)
            throw new InvalidDataException($"{file}: {report.Missing.Count} tensor(s) of the {family} encoder are missing: {List(report.Missing.Select(m => prefix + m))}");
        if (report.Mismatched.Count > 0)
            throw new InvalidDataException($"{file}: {report.Mismatched.Count} tensor(s) do not fit {Path.GetFileName(hf.FilePath)}'s sizes: "
                + List(report.Mismatched.Select(m => prefix + m)));
        var used = new HashSet<string>(model.StateDict().Keys.Where(view.ContainsKey).Select(view.StoredName), StringComparer.Ordinal);
        model.Eval();
        model.Freeze();
        var ignored = store.Keys.Where(k => !used.Contains(k)).Order(StringComparer.Ordinal).ToList();
        return new PretrainedTextEncoder(family, model, tokenizer, prefix, ignored);
    }

    static string List(IEnumerable<string> items)
    {
        var all = items.ToList();
        return string.Join(", ", all.Take(8)) + (all.Count > 8 ? $", ... ({all.Count - 8} more)" : "");
    }

    /// <summary>Tokenises <paramref name="texts"/> (with [CLS]/[SEP] or &lt;s&gt;/&lt;/s&gt;), pads them and runs the encoder
    /// without recording gradients. A text longer than the model's positions is an error unless
    /// <paramref name="truncate"/>, which keeps the first tokens and the final special token.</summary>
    public TextEncoderOutput Encode(IReadOnlyList<string> texts, bool truncate = false)
    {
        int max = Model.MaxTokens;
        var rows = new int[texts.Count][];
        for (int i = 0; i < texts.Count; i++)
        {
            var ids = Tokenizer.Encode(texts[i]);
            if (ids.Length > max)
            {
                if (!truncate) throw new ArgumentException($"text {i} has {ids.Length} tokens, more than the {max} this {Family} encoder takes (pass truncate: true to cut it)");
                ids = [.. ids[..(max - 1)], ids[^1]];
            }
            rows[i] = ids;
        }
        int pad = Tokenizer.Special.Pad ?? Model.Config.PadTokenId;
        using var _ = Autograd.NoGrad();
        return Model.Forward(TokenBatch.Pad(rows, pad));
    }
}
