using System.Text.Json;
using Sentire.IO;
using Sentire.Models.Decoders;
using Sentire.Tensors.Serialization;
using Sentire.Text;

namespace Sentire.Models.Secap;

/// <summary>
/// SECap's frozen decoder slot filled by a small LLaMA-architecture LM: a Hugging Face-style folder (config.json with
/// transformers' keys, model.safetensors, tokenizer.json) that <see cref="LlamaForCausalLM.Load(string)"/> reads, so a
/// real LLaMA/Qwen checkpoint folder with a tokenizer of ours can take its place.
/// </summary>
public static class CaptionLanguageModel
{
    public const string TokenizerFile = "tokenizer.json";

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

    /// <summary>The frozen LM in evaluation mode and its tokenizer.</summary>
    public static (LlamaForCausalLM Model, BpeTokenizer Tokenizer) Load(string folder)
    {
        var tokenizerPath = Path.Combine(folder, TokenizerFile);
        if (!File.Exists(tokenizerPath)) throw new FileNotFoundException($"{folder}: no {TokenizerFile} beside the caption language model", tokenizerPath);
        var model = LlamaForCausalLM.Load(folder);
        model.Freeze();
        model.Eval();
        return (model, BpeTokenizer.Load(tokenizerPath));
    }
}
