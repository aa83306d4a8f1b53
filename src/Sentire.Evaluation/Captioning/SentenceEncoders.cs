using Sentire.Models.Decoders;
using Sentire.Models.HuggingFace;
using Sentire.Models.HuggingFace.Text;
using Sentire.Models.Secap;
using Sentire.Tensors;

namespace Sentire.Evaluation.Captioning;

/// <summary>
/// The sentence encoders SIM can use, chosen by what a folder holds (<see cref="Load"/>): a Hugging Face BERT/RoBERTa
/// checkpoint, a Sentire caption LM, or a SECap captioner package. SIM should come from an encoder that is not part of
/// the system being scored: a captioner's own Q-Former text mode is trained with it (and can collapse with it).
/// </summary>
public static class SentenceEncoders
{
    /// <summary>
    /// Loads the encoder in <paramref name="folder"/>, detected from its config.json: <c>"format": "sentire-secap"</c>
    /// is a captioner package (<see cref="CaptionerSentenceEncoder"/>); model_type bert/roberta (and the RoBERTa
    /// variants <see cref="PretrainedTextEncoder"/> loads) a Hugging Face encoder (<see cref="PretrainedSentenceEncoder"/>);
    /// model_type llama/qwen2/mistral a caption LM (<see cref="CaptionLmSentenceEncoder"/>). <paramref name="label"/>
    /// names the folder in the encoder's <see cref="ISentenceEncoder.Name"/> (default: <paramref name="folder"/> as given).
    /// Anything else is an <see cref="InvalidDataException"/> naming the folder and what was found.
    /// </summary>
    public static ISentenceEncoder Load(string folder, string? label = null)
    {
        label ??= Path.TrimEndingDirectorySeparator(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: sentence encoder folder not found");
        const string expected = "expected a Hugging Face BERT/RoBERTa folder, a Sentire caption LM folder or a SECap captioner package";
        if (!File.Exists(Path.Combine(folder, HfConfig.FileName)))
            throw new InvalidDataException($"{folder}: not a sentence encoder folder (no {HfConfig.FileName}; {expected})");
        var config = HfConfig.Load(folder);
        if (config.Has("format"))
        {
            var format = config.String("format", "");
            if (format != "sentire-secap") throw new InvalidDataException($"{config.FilePath}: format '{format}' is not a sentence encoder ({expected})");
            return new CaptionerSentenceEncoder(EmotionCaptioner.Load(folder), label);
        }
        var type = config.String("model_type", "");
        return type switch
        {
            "bert" or "roberta" or "xlm-roberta" or "camembert" => new PretrainedSentenceEncoder(PretrainedTextEncoder.Load(folder), label),
            "llama" or "qwen2" or "mistral" => CaptionLmSentenceEncoder.Load(folder, label),
            _ => throw new InvalidDataException($"{config.FilePath}: model_type '{type}' is not a sentence encoder ({expected}: model_type bert, roberta, llama, qwen2 or mistral, or format sentire-secap)"),
        };
    }
}

/// <summary>
/// A Hugging Face BERT/RoBERTa encoder as a sentence encoder: the mean of the last hidden states over the real tokens
/// ([CLS]/[SEP] included, padding excluded), the sentence-transformers convention (its Pooling module with
/// pooling_mode_mean_tokens), so a sentence-transformers checkpoint such as all-MiniLM gives its published embeddings
/// up to its optional normalisation, which cosine similarity ignores. Texts longer than the model's positions are cut.
/// </summary>
public sealed class PretrainedSentenceEncoder(PretrainedTextEncoder encoder, string label) : ISentenceEncoder
{
    public PretrainedTextEncoder Encoder { get; } = encoder;

    public string Name => $"{(Encoder.Family == TextEncoderFamily.Bert ? "BERT" : "RoBERTa")} {label}, mean-pooled";

    public float[] Encode(string text) => Encoder.Encode([text], truncate: true).MeanPooled.Data.ToArray();
}

/// <summary>
/// A Sentire caption LM (LLaMA layout, what <c>sentire train secap-lm</c> writes) as a sentence encoder: the text after
/// BOS through the decoder, and the mean over the text's tokens of the final (RMS-normed) hidden states. BOS is fed,
/// as in training, but left out of the mean: under causal attention its state is the same for every sentence.
/// </summary>
public sealed class CaptionLmSentenceEncoder : ISentenceEncoder
{
    readonly string label;

    CaptionLmSentenceEncoder(LlamaForCausalLM model, Sentire.Models.Secap.CaptionTokenizer tokenizer, string label)
    {
        Model = model;
        Tokenizer = tokenizer;
        this.label = label;
    }

    public LlamaForCausalLM Model { get; }
    public Sentire.Models.Secap.CaptionTokenizer Tokenizer { get; }

    public string Name => $"caption LM {label}, mean-pooled";

    /// <summary>The LM and tokenizer of <paramref name="folder"/> (see <see cref="CaptionLanguageModel.Load"/>).</summary>
    public static CaptionLmSentenceEncoder Load(string folder, string? label = null)
    {
        var (model, tokenizer) = CaptionLanguageModel.Load(folder);
        return new CaptionLmSentenceEncoder(model, tokenizer, label ?? Path.TrimEndingDirectorySeparator(folder));
    }

    /// <returns>(D) with D the LM's hidden size.</returns>
    public float[] Encode(string text)
    {
        var ids = Tokenizer.Encode(text, addBos: true);
        int max = Model.Config.MaxPositionEmbeddings;
        if (ids.Length > max) ids = ids[..max];
        using var _ = Autograd.NoGrad();
        var hidden = Model.Hidden(Model.EmbedTokens([ids]));                 // (1, T, D)
        int t = hidden.Dim(1);
        var tokens = t > 1 ? hidden.Narrow(1, 1, t - 1) : hidden;           // an empty text has only BOS
        return tokens.Mean(1).Data.ToArray();
    }
}

/// <summary>A SECap captioner's Q-Former text mode (pooled, normalised C-Embedding): the encoder SECap's consensus
/// decoding uses. Not independent of that captioner's captions; prefer another encoder to score it.</summary>
public sealed class CaptionerSentenceEncoder(EmotionCaptioner captioner, string label) : ISentenceEncoder
{
    public string Name => $"captioner {label} Q-Former text mode";

    public float[] Encode(string text) => captioner.EmbedSentence(text).Data.ToArray();
}
