using Sentire.IO;

namespace Sentire.Models.HuggingFace.Speech;

/// <summary>Normalisation of the convolutional feature encoder (Hugging Face <c>feat_extract_norm</c>).</summary>
public enum FeatExtractNorm { Group, Layer }

/// <summary>Which Hugging Face model family a checkpoint is (config.json <c>model_type</c>).</summary>
public enum SpeechEncoderFamily
{
    /// <summary>wav2vec 2.0 (Baevski et al. 2020), <c>Wav2Vec2Model</c>.</summary>
    Wav2Vec2,
    /// <summary>HuBERT (Hsu et al. 2021), <c>HubertModel</c>: the wav2vec 2.0 network, trained on masked cluster prediction.</summary>
    Hubert,
    /// <summary>data2vec-audio (Baevski et al. 2022), <c>Data2VecAudioModel</c>: a stack of positional convolutions.</summary>
    Data2VecAudio,
    /// <summary>WavLM (Chen et al. 2022), <c>WavLMModel</c>: gated relative position bias in every attention layer.</summary>
    WavLM,
}

/// <summary>
/// The sizes and switches of a wav2vec 2.0-style speech encoder, read from a checkpoint's config.json with the
/// defaults of the transformers configuration class of each family (Wav2Vec2Config, HubertConfig,
/// Data2VecAudioConfig, WavLMConfig). Flat and validated once: every module takes plain values from here.
/// </summary>
public sealed record SpeechEncoderConfig
{
    public required SpeechEncoderFamily Family { get; init; }
    /// <summary>Output channels, kernel sizes and strides of the convolutional feature encoder (7 layers, 320x down-sampling in every released model).</summary>
    public int[] ConvDim { get; init; } = [512, 512, 512, 512, 512, 512, 512];
    public int[] ConvKernel { get; init; } = [10, 3, 3, 3, 3, 2, 2];
    public int[] ConvStride { get; init; } = [5, 2, 2, 2, 2, 2, 2];
    public bool ConvBias { get; init; }
    /// <summary>feat_extract_norm "group": GroupNorm(C, C) after the first convolution only (base models); "layer": LayerNorm over channels after every convolution (large models, data2vec).</summary>
    public FeatExtractNorm FeatExtractNorm { get; init; } = FeatExtractNorm.Group;
    public int HiddenSize { get; init; } = 768;
    public int NumHiddenLayers { get; init; } = 12;
    public int NumAttentionHeads { get; init; } = 12;
    public int IntermediateSize { get; init; } = 3072;
    public float LayerNormEps { get; init; } = 1e-5f;
    /// <summary>wav2vec2/HuBERT/WavLM: kernel of the positional convolution; data2vec-audio: number of positional convolution layers.</summary>
    public int NumConvPosEmbeddings { get; init; } = 128;
    public int NumConvPosEmbeddingGroups { get; init; } = 16;
    /// <summary>data2vec-audio only: kernel of each positional convolution layer.</summary>
    public int ConvPosKernelSize { get; init; } = 19;
    /// <summary>Pre-norm transformer layers with the encoder's layer norm after the last layer (large models).</summary>
    public bool DoStableLayerNorm { get; init; }
    /// <summary>HuBERT only: whether the feature projection starts with a layer norm.</summary>
    public bool FeatProjLayerNorm { get; init; } = true;
    /// <summary>WavLM only: relative position buckets and the distance where the logarithmic buckets end.</summary>
    public int NumBuckets { get; init; } = 320;
    public int MaxBucketDistance { get; init; } = 800;
    /// <summary>Dropout on residual branches when fine-tuning (hidden_dropout); inactive in eval mode.</summary>
    public float HiddenDropout { get; init; } = 0.1f;

    /// <summary>Input samples per output frame (the product of the strides: 320 = 20 ms at 16 kHz).</summary>
    public int FrameStride => ConvStride.Aggregate(1, (a, s) => a * s);

    /// <summary>Samples seen by one output frame (400 = 25 ms at 16 kHz for the released stack).</summary>
    public int ReceptiveField
    {
        get
        {
            int span = 1;
            for (int i = ConvKernel.Length - 1; i >= 0; i--) span = (span - 1) * ConvStride[i] + ConvKernel[i];
            return span;
        }
    }

    /// <summary>Output frames of the feature encoder for <paramref name="samples"/> input samples: L -> floor((L - K) / S) + 1
    /// per convolution (Hugging Face's _get_feat_extract_output_lengths); 0 when the input is shorter than the receptive field.</summary>
    public int OutputFrames(int samples)
    {
        long length = samples;
        for (int i = 0; i < ConvKernel.Length; i++)
        {
            if (length < ConvKernel[i]) return 0;
            length = (length - ConvKernel[i]) / ConvStride[i] + 1;
        }
        return (int)length;
    }

    /// <summary>Parameters of the encoder this config builds (Wav2Vec2Model without masked_spec_embed), counted from the
    /// sizes alone, so that a published checkpoint's size can be checked without allocating it.</summary>
    public long ParameterCount()
    {
        long d = HiddenSize, n = 0;
        for (int i = 0; i < ConvDim.Length; i++)
        {
            long cin = i == 0 ? 1 : ConvDim[i - 1], cout = ConvDim[i];
            n += cin * cout * ConvKernel[i] + (ConvBias ? cout : 0);
            if (FeatExtractNorm == FeatExtractNorm.Layer || i == 0) n += 2 * cout;                   // LayerNorm, or GroupNorm(C, C) on conv 0
        }
        long c = ConvDim[^1];
        n += (FeatProjLayerNorm ? 2 * c : 0) + c * d + d;                               // feature_projection
        long groupWidth = d / NumConvPosEmbeddingGroups;
        n += Family == SpeechEncoderFamily.Data2VecAudio
            ? NumConvPosEmbeddings * (d * groupWidth * ConvPosKernelSize + d)           // positional conv stack
            : NumConvPosEmbeddings + d * groupWidth * NumConvPosEmbeddings + d;         // weight_g (1, 1, K), weight_v, bias
        n += 2 * d;                                                                     // encoder.layer_norm
        long layer = 4 * (d * d + d) + 2 * d + (d * IntermediateSize + IntermediateSize + IntermediateSize * d + d) + 2 * d;
        if (Family == SpeechEncoderFamily.WavLM) layer += NumAttentionHeads + (d / NumAttentionHeads) * 8 + 8;   // gru_rel_pos_const, gru_rel_pos_linear
        n += NumHiddenLayers * layer;
        if (Family == SpeechEncoderFamily.WavLM) n += (long)NumBuckets * NumAttentionHeads;                       // rel_attn_embed (layer 0)
        return n;
    }

    /// <summary>Reads <paramref name="config"/> (a checkpoint's config.json) for <paramref name="family"/>.</summary>
    public static SpeechEncoderConfig From(HfConfig config, SpeechEncoderFamily family)
    {
        var d = new SpeechEncoderConfig { Family = family };
        var normName = config.String("feat_extract_norm", OptionNames.Of(d.FeatExtractNorm));
        var featExtractNorm = (FeatExtractNorm?)OptionNames.Parse(typeof(FeatExtractNorm), normName);
        var c = d with
        {
            ConvDim = config.Ints("conv_dim", d.ConvDim),
            ConvKernel = config.Ints("conv_kernel", d.ConvKernel),
            ConvStride = config.Ints("conv_stride", d.ConvStride),
            ConvBias = config.Bool("conv_bias", d.ConvBias),
            // Data2VecAudioFeatureEncoder always uses layer-norm convolutions (its config has no such switch).
            FeatExtractNorm = family == SpeechEncoderFamily.Data2VecAudio ? FeatExtractNorm.Layer : featExtractNorm ?? d.FeatExtractNorm,
            HiddenSize = config.Int("hidden_size", d.HiddenSize),
            NumHiddenLayers = config.Int("num_hidden_layers", d.NumHiddenLayers),
            NumAttentionHeads = config.Int("num_attention_heads", d.NumAttentionHeads),
            IntermediateSize = config.Int("intermediate_size", d.IntermediateSize),
            LayerNormEps = (float)config.Double("layer_norm_eps", d.LayerNormEps),
            NumConvPosEmbeddings = config.Int("num_conv_pos_embeddings", family == SpeechEncoderFamily.Data2VecAudio ? 5 : d.NumConvPosEmbeddings),
            NumConvPosEmbeddingGroups = config.Int("num_conv_pos_embedding_groups", d.NumConvPosEmbeddingGroups),
            ConvPosKernelSize = config.Int("conv_pos_kernel_size", d.ConvPosKernelSize),
            // Data2VecAudioModel always builds the post-norm encoder.
            DoStableLayerNorm = family != SpeechEncoderFamily.Data2VecAudio && config.Bool("do_stable_layer_norm", d.DoStableLayerNorm),
            FeatProjLayerNorm = family != SpeechEncoderFamily.Hubert || config.Bool("feat_proj_layer_norm", d.FeatProjLayerNorm),
            NumBuckets = config.Int("num_buckets", d.NumBuckets),
            MaxBucketDistance = config.Int("max_bucket_distance", d.MaxBucketDistance),
            HiddenDropout = (float)config.Double("hidden_dropout", d.HiddenDropout),
        };

        var problems = new List<string>();
        if (featExtractNorm is null) problems.Add($"'feat_extract_norm' is \"{normName}\", but has to be one of [{OptionNames.Allowed(typeof(FeatExtractNorm))}]");
        foreach (var key in new[] { "feat_extract_activation", "hidden_act" })
            if (config.String(key, "gelu") != "gelu") problems.Add($"'{key}' is \"{config.String(key, "gelu")}\", only \"gelu\" is supported");
        if (config.Bool("add_adapter", false)) problems.Add("'add_adapter' is true: the adapter after the encoder is not supported");
        if (config.Bool("conv_pos_batch_norm", false)) problems.Add("'conv_pos_batch_norm' is true: a batch norm before the positional convolution is not supported");
        if (config.Has("num_feat_extract_layers") && config.Int("num_feat_extract_layers", 0) != c.ConvDim.Length)
            problems.Add($"'num_feat_extract_layers' is {config.Int("num_feat_extract_layers", 0)} but conv_dim has {c.ConvDim.Length} entries");
        problems.AddRange(c.Problems());
        if (problems.Count > 0)
            throw new InvalidDataException($"{config.FilePath}: {string.Join("; ", problems)}");
        return c;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every inconsistent value.</summary>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems));
    }

    List<string> Problems()
    {
        var p = new List<string>();
        if (ConvDim.Length == 0 || ConvDim.Length != ConvKernel.Length || ConvDim.Length != ConvStride.Length)
            p.Add($"conv_dim, conv_kernel and conv_stride need the same non-zero length (got {ConvDim.Length}, {ConvKernel.Length}, {ConvStride.Length})");
        if (ConvDim.Any(v => v <= 0) || ConvKernel.Any(v => v <= 0) || ConvStride.Any(v => v <= 0))
            p.Add("conv_dim, conv_kernel and conv_stride must be positive");
        if (HiddenSize <= 0 || NumHiddenLayers <= 0 || IntermediateSize <= 0 || NumAttentionHeads <= 0)
            p.Add($"sizes must be positive (hidden_size {HiddenSize}, num_hidden_layers {NumHiddenLayers}, intermediate_size {IntermediateSize}, num_attention_heads {NumAttentionHeads})");
        else if (HiddenSize % NumAttentionHeads != 0)
            p.Add($"hidden_size must be divisible by num_attention_heads (got hidden_size: {HiddenSize} and num_attention_heads: {NumAttentionHeads})");
        if (NumConvPosEmbeddings <= 0 || NumConvPosEmbeddingGroups <= 0 || HiddenSize % Math.Max(1, NumConvPosEmbeddingGroups) != 0)
            p.Add($"num_conv_pos_embeddings ({NumConvPosEmbeddings}) must be positive and hidden_size ({HiddenSize}) divisible by num_conv_pos_embedding_groups ({NumConvPosEmbeddingGroups})");
        if (Family == SpeechEncoderFamily.Data2VecAudio && ConvPosKernelSize <= 0)
            p.Add($"conv_pos_kernel_size must be positive (got {ConvPosKernelSize})");
        if (Family == SpeechEncoderFamily.WavLM && (NumBuckets < 4 || MaxBucketDistance <= NumBuckets / 4))
            p.Add($"num_buckets ({NumBuckets}) must be at least 4 and max_bucket_distance ({MaxBucketDistance}) above num_buckets / 4");
        if (HiddenDropout is < 0f or >= 1f) p.Add($"hidden_dropout must be in [0, 1) (got {HiddenDropout})");
        return p;
    }
}
