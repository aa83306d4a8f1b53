using System.Globalization;
using System.Text.RegularExpressions;
using Sentire.Models.HuggingFace;
using Sentire.Models.HuggingFace.Speech;
using Sentire.Models.Layers;
using Sentire.Tensors;
using Sentire.Tensors.Nn;
using Sentire.Tensors.Serialization;
using YamlDotNet.RepresentationModel;

namespace Sentire.Models.FunAsr;

// emotion2vec / emotion2vec+ (Ma et al., "emotion2vec: Self-Supervised Pre-Training for Speech Emotion Representation",
// Findings of ACL 2024): a data2vec 2.0 audio model (Baevski et al., "Efficient Self-supervised Learning with
// Contextualized Target Representations for Vision, Speech and Language", ICML 2023) with a 9-way utterance head, as
// FunASR (funasr/models/emotion2vec) computes it:
//   x = (w - mean w) / sqrt(var w + 1e-5)          normalize: over the whole utterance (F.layer_norm(w, w.shape))
//   z = conv stack (no bias, LayerNorm over channels, GELU)        local_encoder                  (T', C)
//   h = W LN(z) + b                                                project_features               (T', D)
//   h = h + p(h),  p = depth x (grouped conv, LN without affine, GELU)   relative_positional_encoder
//   b_hij = -|i - j| m_h max(s_h, 0)                ALiBi (Press et al. 2022) slopes m_h, learned scale s_h
//   h = [e_1..e_E; h]                               extra tokens (bias 0 to and from them)
//   h = LN(h); h = prenet blocks(h, b); h = blocks(h, b)           post-norm AltBlocks
//   y = W_p mean_t h_{E+t} + b_p                    proj: 9 logits (angry, disgusted, fearful, happy, neutral, other, sad, surprised, unknown)
// AltBlock (post-norm): x = LN1(x + Attn(x, b)); x = LN2(x + MLP(x)); Attn has one fused qkv projection.
// The feature encoder, projection and positional stack are the wav2vec 2.0 / data2vec-audio modules (Wav2Vec2.cs,
// Data2VecAudio.cs); only their keys differ (fairseq's nn.Sequential indices), mapped in CheckpointKey.
// Shapes: T' frames, C conv channels, D embed_dim, H heads, E extra tokens.

/// <summary>The fields of a FunASR config.yaml that the network needs.</summary>
public sealed record Emotion2VecConfig
{
    public required int EmbedDim { get; init; }
    public required int NumHeads { get; init; }
    public required int Depth { get; init; }
    public required int PrenetDepth { get; init; }
    public required double MlpRatio { get; init; }
    public required int NumExtraTokens { get; init; }
    public required (int Channels, int Kernel, int Stride)[] FeatureEncoder { get; init; }
    public required int ConvPosWidth { get; init; }
    public required int ConvPosDepth { get; init; }
    public required int ConvPosGroups { get; init; }
    public float NormEps { get; init; } = 1e-5f;
    /// <summary>Whole-utterance normalisation of the waveform (model_conf.normalize).</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Kernel of each positional convolution: max(3, conv_pos_width / conv_pos_depth).</summary>
    public int ConvPosKernel => Math.Max(3, ConvPosWidth / ConvPosDepth);

    /// <summary>The equivalent wav2vec 2.0-family config, for the shared feature encoder, projection and positional stack.</summary>
    public SpeechEncoderConfig Encoder => new()
    {
        Family = SpeechEncoderFamily.Data2VecAudio,
        ConvDim = FeatureEncoder.Select(c => c.Channels).ToArray(),
        ConvKernel = FeatureEncoder.Select(c => c.Kernel).ToArray(),
        ConvStride = FeatureEncoder.Select(c => c.Stride).ToArray(),
        ConvBias = false,
        FeatExtractNorm = FeatExtractNorm.Layer,
        HiddenSize = EmbedDim,
        NumHiddenLayers = Depth,
        NumAttentionHeads = NumHeads,
        IntermediateSize = (int)(EmbedDim * MlpRatio),
        LayerNormEps = NormEps,
        NumConvPosEmbeddings = ConvPosDepth,
        NumConvPosEmbeddingGroups = ConvPosGroups,
        ConvPosKernelSize = ConvPosKernel,
        HiddenDropout = 0,
    };

    /// <summary>Reads config.yaml (model: Emotion2vec; model_conf with modalities.audio).</summary>
    public static Emotion2VecConfig Load(string path)
    {
        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            using (var reader = new StreamReader(path)) stream.Load(reader);
            root = stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode m ? m : throw new InvalidDataException($"{path}: expected a YAML mapping");
        }
        catch (YamlDotNet.Core.YamlException e) { throw new InvalidDataException($"{path}: not valid YAML ({e.Message})", e); }
        var model = Scalar(root, "model", path);
        if (model != "Emotion2vec") throw new InvalidDataException($"{path}: model is '{model}', expected 'Emotion2vec'");
        var conf = Mapping(root, "model_conf", path);
        var audio = Mapping(Mapping(conf, "modalities", path), "audio", path);
        var problems = new List<string>();
        if (Bool(conf, "layer_norm_first", false, path)) problems.Add("layer_norm_first is true (pre-norm blocks); released emotion2vec models are post-norm");
        if (!Bool(audio, "use_alibi_encoder", true, path)) problems.Add("use_alibi_encoder is false");
        if (Bool(audio, "learned_alibi", false, path)) problems.Add("learned_alibi is true (a learned bias table)");
        if (Bool(audio, "learned_alibi_scale_per_layer", false, path)) problems.Add("learned_alibi_scale_per_layer is true");
        if (Bool(audio, "conv_pos_pre_ln", false, path)) problems.Add("conv_pos_pre_ln is true");
        if (Has(audio, "extractor_mode") && Scalar(audio, "extractor_mode", path) != "layer_norm") problems.Add($"extractor_mode is '{Scalar(audio, "extractor_mode", path)}', only 'layer_norm' is supported");
        if (Has(conf, "norm_affine") && !Bool(conf, "norm_affine", true, path)) problems.Add("norm_affine is false");
        int heads = Int(conf, "num_heads", path);
        if (Has(audio, "num_alibi_heads") && Int(audio, "num_alibi_heads", path) != heads) problems.Add($"num_alibi_heads ({Int(audio, "num_alibi_heads", path)}) differs from num_heads ({heads})");
        var c = new Emotion2VecConfig
        {
            EmbedDim = Int(conf, "embed_dim", path),
            NumHeads = heads,
            Depth = Int(conf, "depth", path),
            PrenetDepth = Int(audio, "prenet_depth", path),
            MlpRatio = Double(conf, "mlp_ratio", path),
            NumExtraTokens = Int(audio, "num_extra_tokens", path),
            FeatureEncoder = ParseSpec(Scalar(audio, "feature_encoder_spec", path), path),
            ConvPosWidth = Int(audio, "conv_pos_width", path),
            ConvPosDepth = Int(audio, "conv_pos_depth", path),
            ConvPosGroups = Int(audio, "conv_pos_groups", path),
            NormEps = Has(conf, "norm_eps") ? (float)Double(conf, "norm_eps", path) : 1e-5f,
            Normalize = Bool(conf, "normalize", true, path),
        };
        if (c.EmbedDim <= 0 || c.NumHeads <= 0 || c.EmbedDim % c.NumHeads != 0)
            problems.Add($"embed_dim must be divisible by num_heads (got embed_dim: {c.EmbedDim} and num_heads: {c.NumHeads})");
        if (c.Depth < 0 || c.PrenetDepth < 0 || c.NumExtraTokens < 0 || c.ConvPosDepth <= 0 || c.ConvPosGroups <= 0 || c.EmbedDim % Math.Max(1, c.ConvPosGroups) != 0)
            problems.Add($"depth {c.Depth}, prenet_depth {c.PrenetDepth}, num_extra_tokens {c.NumExtraTokens}, conv_pos_depth {c.ConvPosDepth}, conv_pos_groups {c.ConvPosGroups} are not a valid model");
        if (problems.Count > 0) throw new InvalidDataException($"{path}: {string.Join("; ", problems)}");
        return c;
    }

    /// <summary>fairseq's feature_encoder_spec, a Python list expression such as
    /// "[(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512,2,2)] + [(512,2,2)]": terms joined by +, each a list of (dim, kernel,
    /// stride) tuples optionally repeated by * n.</summary>
    public static (int, int, int)[] ParseSpec(string spec, string path)
    {
        var layers = new List<(int, int, int)>();
        var term = new Regex(@"^\s*\[(?<tuples>[^\]]*)\]\s*(\*\s*(?<n>\d+))?\s*$");
        var tuple = new Regex(@"\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)");
        foreach (var part in spec.Split('+'))
        {
            var m = term.Match(part);
            if (!m.Success) throw new InvalidDataException($"{path}: feature_encoder_spec '{spec}' is not a sum of [(dim, kernel, stride), ...] * n lists");
            var tuples = tuple.Matches(m.Groups["tuples"].Value).Select(t => (int.Parse(t.Groups[1].Value, CultureInfo.InvariantCulture),
                int.Parse(t.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(t.Groups[3].Value, CultureInfo.InvariantCulture))).ToList();
            int repeat = m.Groups["n"].Success ? int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture) : 1;
            for (int r = 0; r < repeat; r++) layers.AddRange(tuples);
        }
        if (layers.Count == 0 || layers.Any(l => l.Item1 <= 0 || l.Item2 <= 0 || l.Item3 <= 0))
            throw new InvalidDataException($"{path}: feature_encoder_spec '{spec}' has no layers or a non-positive size");
        return [.. layers];
    }

    static bool Has(YamlMappingNode map, string key) => map.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode { Value: not (null or "null") } or YamlMappingNode;

    static YamlMappingNode Mapping(YamlMappingNode map, string key, string path) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlMappingNode m ? m : throw new InvalidDataException($"{path}: no '{key}' mapping");

    static string Scalar(YamlMappingNode map, string key, string path) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode { Value: { } s } ? s : throw new InvalidDataException($"{path}: no '{key}'");

    static int Int(YamlMappingNode map, string key, string path) =>
        int.TryParse(Scalar(map, key, path), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new InvalidDataException($"{path}: '{key}' is '{Scalar(map, key, path)}', expected an integer");

    static double Double(YamlMappingNode map, string key, string path) =>
        double.TryParse(Scalar(map, key, path), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new InvalidDataException($"{path}: '{key}' is '{Scalar(map, key, path)}', expected a number");

    static bool Bool(YamlMappingNode map, string key, bool fallback, string path) => !Has(map, key) ? fallback : Scalar(map, key, path).ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        var s => throw new InvalidDataException($"{path}: '{key}' is '{s}', expected true or false"),
    };
}

/// <summary>data2vec 2.0's AltBlock, post-norm: keys norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2.</summary>
public sealed class Emotion2VecBlock : Module
{
    readonly int heads;
    public LayerNorm Norm1 { get; }
    public Linear Qkv { get; }
    public Linear Proj { get; }
    public LayerNorm Norm2 { get; }
    public Linear Fc1 { get; }
    public Linear Fc2 { get; }

    /// <param name="half">keep qkv, proj, fc1 and fc2 in this 16-bit format (inference on a 16-bit checkpoint)</param>
    public Emotion2VecBlock(Emotion2VecConfig config, HalfFormat? half = null)
    {
        int d = config.EmbedDim, hidden = (int)(d * config.MlpRatio);
        heads = config.NumHeads;
        Norm1 = RegisterModule("norm1", new LayerNorm(d, config.NormEps));
        var attn = RegisterModule("attn", new Container());
        Qkv = attn.Add("qkv", new Linear(d, 3 * d, null, halfWeight: half));
        Proj = attn.Add("proj", new Linear(d, d, null, halfWeight: half));
        Norm2 = RegisterModule("norm2", new LayerNorm(d, config.NormEps));
        var mlp = RegisterModule("mlp", new Container());
        Fc1 = mlp.Add("fc1", new Linear(d, hidden, null, halfWeight: half));
        Fc2 = mlp.Add("fc2", new Linear(hidden, d, null, halfWeight: half));
    }

    /// <param name="x">(B, N, D)</param>
    /// <param name="bias">(1, H, N, N) additive attention bias</param>
    public Tensor Forward(Tensor x, Tensor bias)
    {
        int b = x.Dim(0), n = x.Dim(1), d = x.Dim(2), dh = d / heads;
        var qkv = Qkv.Forward(x).Reshape(b, n, 3, heads, dh).Permute(2, 0, 3, 1, 4);     // (3, B, H, N, dh)
        var attended = Attention.ScaledDotProduct(qkv.Narrow(0, 0, 1).Reshape(b, heads, n, dh), qkv.Narrow(0, 1, 1).Reshape(b, heads, n, dh),
            qkv.Narrow(0, 2, 1).Reshape(b, heads, n, dh), bias, isAdditive: true);                 // (B, H, N, dh)
        x = Norm1.Forward(x + Proj.Forward(attended.Transpose(1, 2).Reshape(b, n, d)));
        return Norm2.Forward(x + Fc2.Forward(Fc1.Forward(x).Gelu()));
    }

    /// <summary>A named holder of sub-modules, for the attn / mlp levels of the checkpoint's keys.</summary>
    sealed class Container : Module
    {
        public T Add<T>(string name, T module) where T : Module => RegisterModule(name, module);
    }
}

/// <summary>
/// emotion2vec / emotion2vec+ as FunASR publishes it: a folder with config.yaml, tokens.txt (nine "中文/english" labels,
/// "&lt;unk&gt;" last) and model.pt (a torch.save checkpoint, read by the restricted reader; the state dict bare or under
/// "model" / "state_dict"), or the same tensors as model.safetensors. Input: 16 kHz mono; output: 9 logits. In eval mode after <see cref="Load"/>.
/// </summary>
public sealed class Emotion2VecModel : Module
{
    public const int SampleRate = 16000;
    public const string ConfigFileName = "config.yaml", TokensFileName = "tokens.txt", WeightsFileName = "model.pt", SafeTensorsFileName = "model.safetensors";

    public Emotion2VecConfig Config { get; }
    public Wav2Vec2FeatureEncoder FeatureExtractor { get; }
    public Wav2Vec2FeatureProjection FeatureProjection { get; }
    public Data2VecAudioPositionalConvEmbedding PositionalEncoder { get; }
    public Tensor ExtraTokens { get; }
    public Tensor AlibiScale { get; }
    public LayerNorm ContextNorm { get; }
    public ModuleList<Emotion2VecBlock> PrenetBlocks { get; }
    public ModuleList<Emotion2VecBlock> Blocks { get; }
    public Linear Proj { get; }
    /// <summary>Labels in output order (tokens.txt, English part; "&lt;unk&gt;" is "unknown").</summary>
    public IReadOnlyList<string> Labels { get; }
    public IReadOnlyList<string> UnusedKeys { get; private set; } = [];
    /// <summary>The checkpoint's stored dtypes with their share of its elements (<see cref="Module.ParameterElementsByType"/> says how they are held in memory).</summary>
    public string StoredPrecision { get; private set; } = "unknown";

    /// <param name="half">keep the linear weights (feature projection, blocks, proj) in this 16-bit format</param>
    public Emotion2VecModel(Emotion2VecConfig config, IReadOnlyList<string> labels, HalfFormat? half = null)
    {
        Config = config;
        Labels = labels;
        var encoder = config.Encoder;
        FeatureExtractor = RegisterModule("feature_extractor", new Wav2Vec2FeatureEncoder(encoder));
        FeatureProjection = RegisterModule("feature_projection", new Wav2Vec2FeatureProjection(encoder, half));
        PositionalEncoder = RegisterModule("pos_conv", new Data2VecAudioPositionalConvEmbedding(encoder));
        ExtraTokens = RegisterParameter("extra_tokens", Tensor.Zeros(1, config.NumExtraTokens, config.EmbedDim));
        AlibiScale = RegisterParameter("alibi_scale", Tensor.Ones(1, 1, config.NumHeads, 1, 1));
        ContextNorm = RegisterModule("context_norm", new LayerNorm(config.EmbedDim, config.NormEps));
        PrenetBlocks = RegisterModule("prenet_blocks", new ModuleList<Emotion2VecBlock>(Enumerable.Range(0, config.PrenetDepth).Select(_ => new Emotion2VecBlock(config, half))));
        Blocks = RegisterModule("blocks", new ModuleList<Emotion2VecBlock>(Enumerable.Range(0, config.Depth).Select(_ => new Emotion2VecBlock(config, half))));
        Proj = RegisterModule("proj", new Linear(config.EmbedDim, labels.Count, null, halfWeight: half));
    }

    /// <summary>The checkpoint key of one of this module's state-dict names.</summary>
    public static string CheckpointKey(string own)
    {
        // relative_positional_encoder.0 is fairseq's TransposeLast, so block j is at index j + 1
        var pos = PositionalKey.Match(own);
        if (pos.Success)
            return $"modality_encoders.AUDIO.relative_positional_encoder.{int.Parse(pos.Groups[1].Value, CultureInfo.InvariantCulture) + 1}.0.{own[pos.Length..]}";
        foreach (var (pattern, replacement) in KeyMap)
            if (Regex.IsMatch(own, pattern)) return Regex.Replace(own, pattern, replacement);
        return own;
    }

    static readonly Regex PositionalKey = new(@"^pos_conv\.layers\.(\d+)\.conv\.");

    static readonly (string Pattern, string Replacement)[] KeyMap =
    [
        (@"^feature_extractor\.conv_layers\.(\d+)\.conv\.", "modality_encoders.AUDIO.local_encoder.conv_layers.$1.0."),
        (@"^feature_extractor\.conv_layers\.(\d+)\.layer_norm\.", "modality_encoders.AUDIO.local_encoder.conv_layers.$1.2.1."),
        (@"^feature_projection\.layer_norm\.", "modality_encoders.AUDIO.project_features.1."),
        (@"^feature_projection\.projection\.", "modality_encoders.AUDIO.project_features.2."),
        (@"^(extra_tokens|alibi_scale)$", "modality_encoders.AUDIO.$1"),
        (@"^context_norm\.", "modality_encoders.AUDIO.context_encoder.norm."),
        (@"^prenet_blocks\.", "modality_encoders.AUDIO.context_encoder.blocks."),
    ];

    /// <summary>ALiBi slopes of Press et al. for <paramref name="heads"/> heads (data2vec 2.0's get_slopes): geometric from
    /// 2^(-8/n) for a power of two; otherwise those of the nearest lower power of two, then every other slope of twice it.</summary>
    public static double[] AlibiSlopes(int heads)
    {
        static double[] PowerOfTwo(int n)
        {
            double start = Math.Pow(2, -Math.Pow(2, -(Math.Log2(n) - 3)));
            return Enumerable.Range(0, n).Select(i => start * Math.Pow(start, i)).ToArray();
        }
        if (int.IsPow2(heads)) return PowerOfTwo(heads);
        int closest = 1 << (int)Math.Floor(Math.Log2(heads));
        return [.. PowerOfTwo(closest), .. AlibiSlopes(2 * closest).Where((_, i) => i % 2 == 0).Take(heads - closest)];
    }

    /// <summary>b (1, H, E + T, E + T): -|i - j| m_h max(s_h, 0) between frames (float32 as the reference), 0 to and from
    /// the extra tokens.</summary>
    Tensor AlibiBias(int frames)
    {
        int h = Config.NumHeads, e = Config.NumExtraTokens, n = e + frames;
        var slopes = AlibiSlopes(h);
        var bias = Tensor.Zeros(1, h, n, n);
        var data = bias.Data;
        for (int head = 0; head < h; head++)
        {
            float slope = (float)slopes[head], scale = Math.Max(AlibiScale.Data[head], 0f);
            for (int i = 0; i < frames; i++)
                for (int j = 0; j < frames; j++)
                    data[((head * n) + e + i) * n + e + j] = slope * -Math.Abs(i - j) * scale;
        }
        return bias;
    }

    /// <param name="samples">one utterance at 16 kHz</param>
    /// <returns>the 9 logits</returns>
    public float[] Predict(ReadOnlySpan<float> samples)
    {
        using var _ = Autograd.NoGrad();
        var x = Tensor.FromArray(Config.Normalize ? Normalized(samples) : samples.ToArray(), 1, samples.Length);
        var h = FeatureProjection.Forward(FeatureExtractor.Forward(x));          // (1, T', D)
        int frames = h.Dim(1);
        h = h + PositionalEncoder.Forward(h, null);
        var bias = AlibiBias(frames);
        h = Tensor.Concat([ExtraTokens, h], 1);                                     // (1, E + T', D)
        h = ContextNorm.Forward(h);
        foreach (var block in PrenetBlocks) h = block.Forward(h, bias);
        foreach (var block in Blocks) h = block.Forward(h, bias);
        var pooled = h.Narrow(1, Config.NumExtraTokens, frames).Mean(1);            // (1, D)
        return Proj.Forward(pooled).Data.ToArray();
    }

    /// <summary>F.layer_norm(w, w.shape): (w - mean) / sqrt(var + 1e-5) over the whole utterance, in double.</summary>
    static float[] Normalized(ReadOnlySpan<float> w)
    {
        double mean = 0, sq = 0;
        foreach (var v in w) mean += v;
        mean /= w.Length;
        foreach (var v in w) sq += (v - mean) * (v - mean);
        double scale = 1 / Math.Sqrt(sq / w.Length + 1e-5);
        var y = new float[w.Length];
        for (int i = 0; i < w.Length; i++) y[i] = (float)((w[i] - mean) * scale);
        return y;
    }

    /// <summary>Whether <paramref name="folder"/> looks like a FunASR emotion2vec folder (config.yaml with model: Emotion2vec).</summary>
    public static bool IsEmotion2VecFolder(string folder)
    {
        var path = Path.Combine(folder, ConfigFileName);
        return File.Exists(path) && File.ReadLines(path).Any(l => l.Trim() == "model: Emotion2vec");
    }

    /// <summary>Reads an emotion2vec folder; a missing or misshapen tensor is an error naming the file and the keys. A 16-bit
    /// checkpoint keeps its linear weights in 16 bits unless <paramref name="halfWeights"/> says to widen them.</summary>
    public static Emotion2VecModel Load(string folder, HalfWeights halfWeights = HalfWeights.Keep)
    {
        var config = Emotion2VecConfig.Load(Path.Combine(folder, ConfigFileName));
        var labels = ReadTokens(Path.Combine(folder, TokensFileName));
        var weights = Path.Combine(folder, WeightsFileName);
        if (!File.Exists(weights)) weights = Path.Combine(folder, SafeTensorsFileName);
        if (!File.Exists(weights)) throw new FileNotFoundException($"{folder}: no {WeightsFileName} (the emotion2vec checkpoint) nor {SafeTensorsFileName}", Path.Combine(folder, WeightsFileName));
        using var store = SafeTensors.OpenModel(weights);
        var model = new Emotion2VecModel(config, labels, halfWeights.FormatFor(store));
        var prefix = new[] { "", "model.", "state_dict." }.FirstOrDefault(p => store.ContainsKey(p + "proj.weight"));
        if (prefix is null)
            throw new InvalidDataException(store.ContainsKey("blocks.0.attn.qkv.weight") || store.Keys.Any(k => k.EndsWith("blocks.0.attn.qkv.weight", StringComparison.Ordinal))
                ? $"{weights}: no proj.weight: this is an emotion2vec backbone without the emotion head (emotion2vec_base); use a fine-tuned emotion2vec+ checkpoint"
                : $"{weights}: no proj.weight nor blocks.0.attn.qkv.weight: not an emotion2vec checkpoint");
        var own = model.StateSlots().ToList();
        var missing = own.Select(s => prefix + CheckpointKey(s.Key)).Where(k => !store.ContainsKey(k)).ToList();
        if (missing.Count > 0) throw new InvalidDataException($"{weights}: {missing.Count} tensor(s) that config.yaml implies are missing: {string.Join(", ", missing.Take(20))}");
        var wrong = own.Where(s => !store.ShapeOf(prefix + CheckpointKey(s.Key)).AsSpan().SequenceEqual(s.Shape))
            .Select(s => $"{prefix}{CheckpointKey(s.Key)}: found [{string.Join(", ", store.ShapeOf(prefix + CheckpointKey(s.Key)))}], expected [{string.Join(", ", s.Shape)}]").ToList();
        if (wrong.Count > 0) throw new InvalidDataException($"{weights}: tensor(s) do not fit config.yaml and {TokensFileName} ({labels.Count} labels): {string.Join("; ", wrong.Take(20))}");
        foreach (var slot in own) slot.Load(store.Get(prefix + CheckpointKey(slot.Key)));
        var used = own.Select(s => prefix + CheckpointKey(s.Key)).ToHashSet(StringComparer.Ordinal);
        model.UnusedKeys = store.Keys.Where(k => !used.Contains(k)).Order(StringComparer.Ordinal).ToList();
        model.StoredPrecision = store.Precision();
        model.Eval();
        return model;
    }

    /// <summary>tokens.txt: one label per line, "中文/english" (the English part is kept), "&lt;unk&gt;" for unknown.</summary>
    static List<string> ReadTokens(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{Path.GetDirectoryName(path)}: no {TokensFileName} (the emotion labels)", path);
        var labels = File.ReadLines(path).Select(l => l.Trim()).Where(l => l.Length > 0)
            .Select(l => l == "<unk>" ? "unknown" : l[(l.LastIndexOf('/') + 1)..]).ToList();
        if (labels.Count == 0) throw new InvalidDataException($"{path}: no labels");
        if (labels.Distinct(StringComparer.Ordinal).Count() != labels.Count) throw new InvalidDataException($"{path}: a label repeats: {string.Join(", ", labels)}");
        return labels;
    }
}
