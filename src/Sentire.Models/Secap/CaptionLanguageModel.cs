using System.Text.Json;
using System.Text.Json.Serialization;
using Sentire.IO;
using Sentire.Models.Decoders;
using Sentire.Tensors.Serialization;
using Sentire.Text;

namespace Sentire.Models.Secap;

/// <summary>Storage of the frozen caption LM's large matrices, as recipes (language_model_precision) and a captioner's
/// config.json spell it: f32, or bf16 (half the memory, for a large Hugging Face decoder).</summary>
[JsonConverter(typeof(OptionNamesJsonConverter))]
public enum LanguageModelPrecision { [JsonStringEnumMemberName("f32")] F32, [JsonStringEnumMemberName("bf16")] Bf16 }

/// <summary>
/// SECap's frozen decoder slot filled by a small LLaMA-architecture LM: a Hugging Face-style folder (config.json with
/// transformers' keys, model.safetensors, tokenizer.json) that <see cref="LlamaForCausalLM.Load(string)"/> reads, so a
/// real LLaMA/Qwen checkpoint folder with a tokenizer of ours can take its place.
/// </summary>
public static class CaptionLanguageModel
{
    public const string TokenizerFile = "tokenizer.json", ConfigFile = "config.json";

    public static void Save(string folder, LlamaForCausalLM model, BpeTokenizer tokenizer)
    {
        Directory.CreateDirectory(folder);
        var c = model.Config;
        var config = new Dictionary<string, object?>
        {
            ["architectures"] = new[] { "LlamaForCausalLM" },
            ["model_type"] = c.ModelType,
            ["vocab_size"] = c.VocabSize,
            ["hidden_size"] = c.HiddenSize,
            ["intermediate_size"] = c.IntermediateSize,
            ["num_hidden_layers"] = c.NumHiddenLayers,
            ["num_attention_heads"] = c.NumAttentionHeads,
            ["num_key_value_heads"] = c.NumKeyValueHeads,
            ["head_dim"] = c.HeadDim,
            ["rms_norm_eps"] = c.RmsNormEps,
            ["rope_theta"] = c.RopeTheta,
            ["max_position_embeddings"] = c.MaxPositionEmbeddings,
            ["tie_word_embeddings"] = c.TieWordEmbeddings,
            ["hidden_act"] = "silu",
            ["bos_token_id"] = c.BosTokenId,
            ["eos_token_id"] = c.EosTokenIds.Length == 1 ? c.EosTokenIds[0] : c.EosTokenIds,
            ["pad_token_id"] = c.PadTokenId,
            ["torch_dtype"] = "float32",
        };
        var json = JsonSerializer.SerializeToUtf8Bytes(config, new JsonSerializerOptions { WriteIndented = true });
        AtomicFile.Write(Path.Combine(folder, "config.json"), s => s.Write(json));
        SafeTensors.Write(Path.Combine(folder, "model.safetensors"), model.StateDict(), new Dictionary<string, string> { ["format"] = "pt" });
        tokenizer.Save(Path.Combine(folder, TokenizerFile));
    }

    /// <summary>The frozen LM in evaluation mode and its tokenizer: a folder written by <see cref="Save"/> or any Hugging
    /// Face LLaMA/Qwen2/Mistral checkpoint folder with its tokenizer files (read by <see cref="TokenizerLoader"/>).</summary>
    public static (LlamaForCausalLM Model, CaptionTokenizer Tokenizer) Load(string folder, LanguageModelPrecision precision = LanguageModelPrecision.F32)
    {
        var tokenizer = LoadTokenizer(folder);
        var weights = precision switch
        {
            LanguageModelPrecision.F32 => WeightPrecision.Float32,
            LanguageModelPrecision.Bf16 => WeightPrecision.BFloat16,
            _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, $"not one of {OptionNames.Allowed(typeof(LanguageModelPrecision))}"),
        };
        var model = LlamaForCausalLM.Load(folder, new LoadOptions { Precision = weights });
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new InvalidDataException($"{folder}: the tokenizer has {tokenizer.VocabSize} tokens but the model's vocab_size is {model.Config.VocabSize}");
        model.Freeze();
        model.Eval();
        return (model, tokenizer);
    }

    /// <summary>The tokenizer of a caption LM folder, with BOS/EOS completed from its config.json.</summary>
    public static CaptionTokenizer LoadTokenizer(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: caption language model folder not found");
        if (!File.Exists(Path.Combine(folder, ConfigFile)))
            throw new FileNotFoundException($"{folder}: not a language model folder (no {ConfigFile})", Path.Combine(folder, ConfigFile));
        ITokenizer tokenizer;
        try { tokenizer = TokenizerLoader.Load(folder); }
        catch (FileNotFoundException e) { throw new FileNotFoundException($"{folder}: no tokenizer beside the caption language model ({e.Message})", e); }
        return CaptionTokenizer.For(tokenizer, LlamaConfig.Load(folder), folder);
    }
}
