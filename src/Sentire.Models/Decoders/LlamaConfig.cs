using System.Text.Json;
using Sentire.Models.HuggingFace;

namespace Sentire.Models.Decoders;

/// <summary>How RoPE frequencies are stretched for contexts longer than the model was trained on (config.json "rope_scaling").</summary>
public enum RopeScalingType
{
    /// <summary>No scaling: inv_freq[i] = theta^(-2i/D).</summary>
    None,
    /// <summary>Position interpolation (Chen et al. 2023): inv_freq / factor.</summary>
    Linear,
    /// <summary>Dynamic NTK: the base grows with the current sequence length once it passes max_position_embeddings.</summary>
    Dynamic,
    /// <summary>Llama 3.1: low frequencies divided by factor, high ones kept, a smooth blend between.</summary>
    Llama3,
}

/// <summary>The "rope_scaling" object of config.json, as transformers' ROPE_INIT_FUNCTIONS read it.</summary>
public sealed record RopeScaling(RopeScalingType Type, double Factor, double LowFreqFactor = 1, double HighFreqFactor = 4,
    int OriginalMaxPositionEmbeddings = 8192);

/// <summary>
/// The configuration of a LLaMA-family causal decoder (model_type llama, qwen2 or mistral), with the field names
/// and defaults of the transformers config classes. Qwen2 is LLaMA with biases on q/k/v; Mistral adds an optional
/// sliding attention window.
/// </summary>
public sealed record LlamaConfig
{
    public string ModelType { get; init; } = "llama";
    public int VocabSize { get; init; } = 32000;
    public int HiddenSize { get; init; } = 4096;
    public int IntermediateSize { get; init; } = 11008;
    public int NumHiddenLayers { get; init; } = 32;
    public int NumAttentionHeads { get; init; } = 32;
    public int NumKeyValueHeads { get; init; } = 32;
    /// <summary>Per-head width; hidden_size / num_attention_heads unless config.json says otherwise.</summary>
    public int HeadDim { get; init; } = 128;
    public float RmsNormEps { get; init; } = 1e-6f;
    public double RopeTheta { get; init; } = 10000;
    public RopeScaling? RopeScaling { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 2048;
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Biases on q_proj, k_proj and v_proj (Qwen2 always has them; LLaMA's attention_bias also puts one on o_proj).</summary>
    public bool AttentionBias { get; init; }
    /// <summary>Bias on o_proj (LLaMA with attention_bias; not Qwen2).</summary>
    public bool OutputBias { get; init; }
    public bool MlpBias { get; init; }
    /// <summary>Mistral's sliding window: a query sees at most this many most recent keys (itself included); null = full causal.</summary>
    public int? SlidingWindow { get; init; }
    public int? BosTokenId { get; init; }
    public int[] EosTokenIds { get; init; } = [];
    public int? PadTokenId { get; init; }
    public string SourcePath { get; init; } = "";

    /// <summary>Reads <c>folder/config.json</c>.</summary>
    public static LlamaConfig Load(string folder) => FromHf(HfConfig.Load(folder));

    /// <summary>The decoder configuration from a parsed config.json; unsupported model types and RoPE variants are errors naming the file.</summary>
    public static LlamaConfig FromHf(HfConfig hf)
    {
        var file = hf.FilePath;
        var type = hf.String("model_type", "llama");
        if (type is not ("llama" or "qwen2" or "mistral"))
            throw new NotSupportedException($"{file}: model_type \"{type}\" is not a supported decoder (expected llama, qwen2 or mistral)");
        bool qwen = type == "qwen2";
        int hidden = hf.Int("hidden_size", 4096), heads = hf.Int("num_attention_heads", 32);
        bool attentionBias = qwen || hf.Bool("attention_bias", false);
        int? window = type switch
        {
            "mistral" => hf.Has("sliding_window") ? hf.Int("sliding_window", 4096) : null,
            // Qwen2 declares a window but uses it only with use_sliding_window (off in every released checkpoint).
            "qwen2" when hf.Bool("use_sliding_window", false) =>
                throw new NotSupportedException($"{file}: use_sliding_window = true (Qwen2's per-layer sliding window) is not supported"),
            _ => null,
        };
        var config = new LlamaConfig
        {
            ModelType = type,
            VocabSize = hf.Int("vocab_size", qwen ? 151936 : 32000),
            HiddenSize = hidden,
            IntermediateSize = hf.Int("intermediate_size", qwen ? 22016 : 11008),
            NumHiddenLayers = hf.Int("num_hidden_layers", 32),
            NumAttentionHeads = heads,
            NumKeyValueHeads = hf.Int("num_key_value_heads", heads),
            HeadDim = hf.Int("head_dim", heads > 0 ? hidden / heads : 0),
            RmsNormEps = (float)hf.Double("rms_norm_eps", 1e-6),
            RopeTheta = hf.Double("rope_theta", 10000),
            RopeScaling = ReadRopeScaling(hf),
            MaxPositionEmbeddings = hf.Int("max_position_embeddings", qwen ? 32768 : 2048),
            TieWordEmbeddings = hf.Bool("tie_word_embeddings", false),
            AttentionBias = attentionBias,
            OutputBias = !qwen && attentionBias,
            MlpBias = hf.Bool("mlp_bias", false),
            SlidingWindow = window,
            BosTokenId = OptionalInt(hf, "bos_token_id"),
            EosTokenIds = TokenIds(hf, "eos_token_id"),
            PadTokenId = OptionalInt(hf, "pad_token_id"),
            SourcePath = file,
        };
        config.Validate();
        return config;
    }

    /// <summary>Checks the sizes fit together; the message names the file the configuration came from.</summary>
    public void Validate()
    {
        string where = SourcePath.Length > 0 ? SourcePath + ": " : "";
        void Require(bool ok, string problem) { if (!ok) throw new InvalidDataException(where + problem); }
        Require(VocabSize > 0 && HiddenSize > 0 && IntermediateSize > 0 && NumHiddenLayers > 0, $"sizes must be positive (vocab {VocabSize}, hidden {HiddenSize}, intermediate {IntermediateSize}, layers {NumHiddenLayers})");
        Require(NumAttentionHeads > 0 && NumKeyValueHeads > 0 && NumAttentionHeads % NumKeyValueHeads == 0,
            $"num_attention_heads ({NumAttentionHeads}) must be a positive multiple of num_key_value_heads ({NumKeyValueHeads})");
        Require(HeadDim > 0 && HeadDim % 2 == 0, $"head_dim must be positive and even for RoPE, found {HeadDim}");
        Require(RopeTheta > 0, $"rope_theta must be positive, found {RopeTheta}");
        Require(SlidingWindow is null or > 0, $"sliding_window must be positive, found {SlidingWindow}");
        if (RopeScaling is { } s)
            Require(s.Factor > 0 && (s.Type != RopeScalingType.Llama3 || s.HighFreqFactor > s.LowFreqFactor),
                $"rope_scaling needs factor > 0 (found {s.Factor}) and, for llama3, high_freq_factor > low_freq_factor (found {s.HighFreqFactor} vs {s.LowFreqFactor})");
    }

    static RopeScaling? ReadRopeScaling(HfConfig hf)
    {
        if (hf.Element("rope_scaling") is not { } e) return null;
        var file = hf.FilePath;
        if (e.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{file}: rope_scaling is {e.ValueKind}, expected an object");
        string? name = e.TryGetProperty("rope_type", out var rt) ? rt.GetString() : e.TryGetProperty("type", out var t) ? t.GetString() : null;
        double Number(string key, double fallback) => !e.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null ? fallback
            : v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw new InvalidDataException($"{file}: rope_scaling.{key} is {v.ValueKind}, expected a number");
        var type = name switch
        {
            null or "default" => RopeScalingType.None,
            "linear" => RopeScalingType.Linear,
            "dynamic" => RopeScalingType.Dynamic,
            "llama3" => RopeScalingType.Llama3,
            _ => throw new NotSupportedException($"{file}: rope_scaling type \"{name}\" is not supported (default, linear, dynamic and llama3 are)"),
        };
        if (type == RopeScalingType.None) return null;
        return new RopeScaling(type, Number("factor", 1), Number("low_freq_factor", 1), Number("high_freq_factor", 4),
            (int)Number("original_max_position_embeddings", 8192));
    }

    static int? OptionalInt(HfConfig hf, string key) => hf.Has(key) ? hf.Int(key, 0) : null;

    /// <summary>eos_token_id is a number or a list of numbers (Llama 3 stops on several).</summary>
    static int[] TokenIds(HfConfig hf, string key) => hf.Element(key) switch
    {
        null => [],
        { ValueKind: JsonValueKind.Number } v => [v.GetInt32()],
        { ValueKind: JsonValueKind.Array } => hf.Ints(key, []),
        var v => throw new InvalidDataException($"{hf.FilePath}: '{key}' is {v.Value.ValueKind}, expected a number or a list of numbers"),
    };
}
