using Sentire.Models.Layers;
using Sentire.Models.Speech;
using Sentire.Tensors;
using Sentire.Tensors.Nn;

namespace Sentire.Models.HuggingFace.Speech;

// wav2vec 2.0 (Baevski et al., "wav2vec 2.0: A Framework for Self-Supervised Learning of Speech Representations",
// NeurIPS 2020), as Hugging Face's Wav2Vec2Model computes it, with its parameter names:
//   z = f(x)                      feature encoder: 7 strided convolutions, 320x down-sampling (sec. 2)
//   h_0 = W LN(z) + b             feature_projection
//   h_0 = h_0 + GELU(conv_pos(h_0))   relative positional embedding: one grouped, weight-normalised convolution
//   h_l = Transformer_l(h_{l-1})  post-norm (base) or pre-norm "stable layer norm" (large)
// HuBERT (Hsu et al. 2021) is this network (only the pre-training target differs), without the projection's layer
// norm when feat_proj_layer_norm is false; data2vec-audio swaps the positional convolution for a stack
// (Data2VecAudio.cs); WavLM adds a gated relative position bias to the attention (WavLM.cs).
// Shapes: B batch, S samples, C conv channels, T' frames, D hidden size.

/// <summary>One convolution of the feature encoder: conv -> (GroupNorm | LayerNorm over channels)? -> GELU.
/// Keys conv.weight, conv.bias (conv_bias), layer_norm.weight/bias.</summary>
public sealed class Wav2Vec2ConvLayer : Module
{
    public Conv1d Conv { get; }
    readonly GroupNorm? groupNorm;
    readonly LayerNorm? layerNorm;

    /// <param name="norm">GroupNorm(C, C), LayerNorm over channels, or null (no normalisation).</param>
    public Wav2Vec2ConvLayer(int inChannels, int outChannels, int kernel, int stride, bool bias, FeatExtractNorm? norm)
    {
        Conv = RegisterModule("conv", new Conv1d(inChannels, outChannels, kernel, null, stride: stride, bias: bias));
        if (norm == FeatExtractNorm.Group) groupNorm = RegisterModule("layer_norm", new GroupNorm(outChannels, outChannels));
        else if (norm == FeatExtractNorm.Layer) layerNorm = RegisterModule("layer_norm", new LayerNorm(outChannels));
    }

    /// <param name="x">(N, Cin, L)</param>
    /// <returns>(N, Cout, L')</returns>
    public Tensor Forward(Tensor x)
    {
        var h = Conv.Forward(x);
        if (groupNorm is not null) h = groupNorm.Forward(h);                                  // per channel over time
        if (layerNorm is not null) h = layerNorm.Forward(h.Transpose(1, 2)).Transpose(1, 2);  // per frame over channels
        return h.Gelu();
    }
}

/// <summary>The convolutional feature encoder (Wav2Vec2FeatureEncoder), key prefix conv_layers.N.</summary>
public sealed class Wav2Vec2FeatureEncoder : Module
{
    public ModuleList<Wav2Vec2ConvLayer> ConvLayers { get; }

    public Wav2Vec2FeatureEncoder(SpeechEncoderConfig config)
    {
        ConvLayers = RegisterModule("conv_layers", new ModuleList<Wav2Vec2ConvLayer>());
        for (int i = 0; i < config.ConvDim.Length; i++)
        {
            FeatExtractNorm? norm = config.FeatExtractNorm == FeatExtractNorm.Layer ? FeatExtractNorm.Layer : i == 0 ? FeatExtractNorm.Group : null;
            ConvLayers.Add(new Wav2Vec2ConvLayer(i == 0 ? 1 : config.ConvDim[i - 1], config.ConvDim[i], config.ConvKernel[i],
                config.ConvStride[i], config.ConvBias, norm));
        }
    }

    /// <param name="waveform">(N, S)</param>
    /// <returns>(N, T', C)</returns>
    public Tensor Forward(Tensor waveform)
    {
        var x = waveform.Reshape(waveform.Dim(0), 1, waveform.Dim(1));
        foreach (var layer in ConvLayers) x = layer.Forward(x);
        return x.Transpose(1, 2);
    }
}

/// <summary>feature_projection: h = W LN(z) + b (layer_norm absent in HuBERT with feat_proj_layer_norm = false).</summary>
public sealed class Wav2Vec2FeatureProjection : Module
{
    public LayerNorm? Norm { get; }
    public Linear Projection { get; }

    public Wav2Vec2FeatureProjection(SpeechEncoderConfig config, HalfFormat? half = null)
    {
        int c = config.ConvDim[^1];
        if (config.FeatProjLayerNorm) Norm = RegisterModule("layer_norm", new LayerNorm(c, config.LayerNormEps));
        Projection = RegisterModule("projection", new Linear(c, config.HiddenSize, null, halfWeight: half));
    }

    /// <param name="z">(B, T', C)</param>
    /// <returns>(B, T', D)</returns>
    public Tensor Forward(Tensor z) => Projection.Forward(Norm?.Forward(z) ?? z);
}

/// <summary>The term a positional convolution adds to the encoder input.</summary>
public interface IConvPositionalEmbedding
{
    /// <param name="x">(B, T', D), zero on padded frames</param>
    /// <param name="frameMask">(B, T') 1 = real frame, or null</param>
    /// <returns>(B, T', D)</returns>
    Tensor Forward(Tensor x, Tensor? frameMask);
}

/// <summary>
/// nn.Conv1d under weight normalisation (Salimans and Kingma 2016) over dim 2, as torch.nn.utils.weight_norm(conv,
/// dim=2) stores it: w[o, i, k] = g[k] v[o, i, k] / ||v[:, :, k]||. Keys weight_g (1, 1, K), weight_v (Cout, Cin/groups, K)
/// and bias; newer checkpoints' parametrizations.weight.original0/original1 are renamed to these on load.
/// The weight is recomputed on every forward, so fine-tuning trains g and v as PyTorch does.
/// </summary>
public sealed class WeightNormConv1d : Module
{
    public Tensor WeightG { get; }
    public Tensor WeightV { get; }
    public Tensor Bias { get; }
    public int Padding { get; }
    public int Groups { get; }

    public WeightNormConv1d(int channels, int kernel, int padding, int groups)
    {
        WeightG = RegisterParameter("weight_g", Tensor.Ones(1, 1, kernel));
        WeightV = RegisterParameter("weight_v", Tensor.Zeros(channels, channels / groups, kernel));
        Bias = RegisterParameter("bias", Tensor.Zeros(channels));
        Padding = padding;
        Groups = groups;
    }

    /// <summary>w = g v / ||v|| with the norm over every dimension but the kernel's.</summary>
    public Tensor Weight() => WeightV * (WeightG / WeightV.Square().Sum([0, 1], keepDim: true).Sqrt());

    /// <param name="x">(B, D, T)</param>
    public Tensor Forward(Tensor x) => x.Conv1d(Weight(), Bias, padding: Padding, groups: Groups);
}

/// <summary>
/// Wav2Vec2PositionalConvEmbedding: GELU(conv(h)) with a kernel of num_conv_pos_embeddings frames (128 = 2.56 s),
/// num_conv_pos_embedding_groups groups and K/2 zero padding; an even kernel yields one frame too many, which
/// SamePad drops from the end. Keys conv.weight_g, conv.weight_v, conv.bias.
/// </summary>
public sealed class Wav2Vec2PositionalConvEmbedding : Module, IConvPositionalEmbedding
{
    public WeightNormConv1d Conv { get; }

    public Wav2Vec2PositionalConvEmbedding(SpeechEncoderConfig config)
    {
        int k = config.NumConvPosEmbeddings;
        Conv = RegisterModule("conv", new WeightNormConv1d(config.HiddenSize, k, k / 2, config.NumConvPosEmbeddingGroups));
    }

    public Tensor Forward(Tensor x, Tensor? frameMask)
    {
        int t = x.Dim(1);
        var y = Conv.Forward(x.Transpose(1, 2));            // (B, D, T' + 1 for an even kernel)
        if (y.Dim(2) != t) y = y.Narrow(2, 0, t);             // SamePad
        return y.Gelu().Transpose(1, 2);
    }
}

/// <summary>
/// The transformer part (Wav2Vec2Encoder / Wav2Vec2EncoderStableLayerNorm): padded frames zeroed, the positional
/// convolution added, then the layers. Post-norm: layer_norm right after the positional term and hidden_states[0]
/// is its output. Stable layer norm: pre-norm layers and layer_norm after the last one, which replaces the last
/// hidden state. Keys pos_conv_embed.*, layer_norm.*, layers.N.*.
/// </summary>
public sealed class Wav2Vec2Encoder : Module
{
    public bool StableLayerNorm { get; }
    public IConvPositionalEmbedding PositionalEmbedding { get; }
    public LayerNorm Norm { get; }
    /// <summary>wav2vec2, HuBERT, data2vec-audio layers (null for WavLM).</summary>
    public ModuleList<TransformerEncoderLayer>? Layers { get; }
    /// <summary>WavLM layers (null for the others).</summary>
    public ModuleList<WavLMEncoderLayer>? WavLMLayers { get; }
    readonly Dropout dropout;

    /// <param name="half">keep the layers' linear weights in this 16-bit format (inference on a loaded checkpoint)</param>
    public Wav2Vec2Encoder(SpeechEncoderConfig config, HalfFormat? half = null)
    {
        StableLayerNorm = config.DoStableLayerNorm;
        var rng = new Generator(0);   // dropout only; weights come from the checkpoint
        Module pos = config.Family == SpeechEncoderFamily.Data2VecAudio
            ? new Data2VecAudioPositionalConvEmbedding(config)
            : new Wav2Vec2PositionalConvEmbedding(config);
        PositionalEmbedding = (IConvPositionalEmbedding)RegisterModule("pos_conv_embed", pos);
        Norm = RegisterModule("layer_norm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        dropout = RegisterModule("dropout", new Dropout(config.HiddenDropout, rng));
        var range = Enumerable.Range(0, config.NumHiddenLayers);
        if (config.Family == SpeechEncoderFamily.WavLM)
            WavLMLayers = RegisterModule("layers", new ModuleList<WavLMEncoderLayer>(range.Select(i => new WavLMEncoderLayer(config, i == 0, rng, half))));
        else
            Layers = RegisterModule("layers", new ModuleList<TransformerEncoderLayer>(range.Select(_ => new TransformerEncoderLayer(
                config.HiddenSize, config.NumAttentionHeads, config.IntermediateSize, config.DoStableLayerNorm, config.HiddenDropout, rng, null,
                config.LayerNormEps, half))));
    }

    /// <param name="x">(B, T', D) projected features</param>
    /// <param name="frameMask">(B, T') or null</param>
    /// <returns>the L + 1 hidden states of Hugging Face's output_hidden_states, each (B, T', D)</returns>
    public List<Tensor> Forward(Tensor x, Tensor? frameMask)
    {
        if (frameMask is not null) x = x * frameMask.Reshape(x.Dim(0), x.Dim(1), 1);   // padded frames are 0
        x = x + PositionalEmbedding.Forward(x, frameMask);
        if (!StableLayerNorm) x = Norm.Forward(x);
        x = dropout.Forward(x);

        var hidden = new List<Tensor> { x };
        if (WavLMLayers is not null)
        {
            var bias = WavLMLayers[0].Attention.PositionBias(x.Dim(1));   // layer 0's table serves every layer
            foreach (var layer in WavLMLayers) hidden.Add(x = layer.Forward(x, bias, frameMask));
        }
        else
            foreach (var layer in Layers!) hidden.Add(x = layer.Forward(x, frameMask));
        if (StableLayerNorm) hidden[^1] = Norm.Forward(x);
        return hidden;
    }
}

/// <summary>
/// A Hugging Face wav2vec 2.0-family speech encoder (Wav2Vec2Model, HubertModel, Data2VecAudioModel, WavLMModel) with
/// its checkpoint's parameter names (feature_extractor.*, feature_projection.*, encoder.*). Load one with
/// <see cref="PretrainedSpeechEncoder.Load"/>. Input: 16 kHz waveforms; output: every hidden state and a frame mask.
/// Padded batches: each item's feature encoder runs on its own samples only and padded frames are zeroed before
/// every positional convolution and masked in attention, so an item's valid frames equal its unpadded result
/// (Hugging Face's group-norm models and data2vec-audio differ slightly when padded; see docs/pretrained/speech.md).
/// </summary>
public sealed class Wav2Vec2Model : Module, ISpeechEncoder
{
    /// <summary>Added to the variance in the input normalisation, as Wav2Vec2FeatureExtractor does.</summary>
    public const double NormalizeEpsilon = 1e-7;

    public SpeechEncoderConfig Config { get; }
    public Wav2Vec2FeatureEncoder FeatureExtractor { get; }
    public Wav2Vec2FeatureProjection FeatureProjection { get; }
    public Wav2Vec2Encoder Encoder { get; }

    /// <summary>Zero-mean, unit-variance normalisation of each utterance over its valid samples (preprocessor do_normalize).</summary>
    public bool NormalizeInput { get; set; }

    /// <summary>The rate the checkpoint was trained at (preprocessor sampling_rate): inputs must be at this rate.</summary>
    public int SampleRate { get; init; } = 16000;

    /// <summary>Tensors of the checkpoint that the encoder did not use (task heads, masked_spec_embed, quantizer, ...),
    /// with their names in the file; set by <see cref="PretrainedSpeechEncoder.Load"/>.</summary>
    public IReadOnlyList<string> IgnoredKeys { get; internal set; } = [];

    /// <param name="half">keep the linear layers' weights in this 16-bit format (inference; <see cref="HalfWeights.Keep"/>):
    /// the convolutions, norms and biases stay float32</param>
    public Wav2Vec2Model(SpeechEncoderConfig config, HalfFormat? half = null)
    {
        config.Validate();
        Config = config;
        FeatureExtractor = RegisterModule("feature_extractor", new Wav2Vec2FeatureEncoder(config));
        FeatureProjection = RegisterModule("feature_projection", new Wav2Vec2FeatureProjection(config, half));
        Encoder = RegisterModule("encoder", new Wav2Vec2Encoder(config, half));
    }

    public SpeechInput Input => SpeechInput.Waveform;
    public int HiddenSize => Config.HiddenSize;
    public int LayerCount => Config.NumHiddenLayers;

    /// <param name="input">(B, S) waveforms at <see cref="SampleRate"/>, zero-padded on the right</param>
    /// <param name="lengths">valid samples of each item, or null when none is padded</param>
    public SpeechEncoderOutput Encode(Tensor input, int[]? lengths)
    {
        if (input.Rank != 2) throw new ArgumentException($"expected a waveform batch (B, S), got {input.ShapeString}");
        int b = input.Dim(0), s = input.Dim(1);
        int frames = Config.OutputFrames(s);
        if (frames < 1) throw new ArgumentException(TooShort(s));
        if (lengths is not null)
        {
            if (lengths.Length != b) throw new ArgumentException($"{lengths.Length} lengths for a batch of {b}");
            for (int i = 0; i < b; i++)
            {
                if (lengths[i] > s || lengths[i] < 0) throw new ArgumentException($"item {i}: length {lengths[i]} outside [0, {s}]");
                if (Config.OutputFrames(lengths[i]) < 1) throw new ArgumentException($"item {i}: {TooShort(lengths[i])}");
            }
        }

        Tensor features;                                                                       // (B, T', C)
        if (lengths is null || lengths.All(l => l == s))
            features = FeatureExtractor.Forward(NormalizeInput ? Normalized(input) : input);
        else
        {
            // Each item on its own samples: GroupNorm statistics and edge frames then match the unpadded item.
            var items = new Tensor[b];
            for (int i = 0; i < b; i++)
            {
                var x = input.Narrow(0, i, 1).Narrow(1, 0, lengths[i]);
                var z = FeatureExtractor.Forward(NormalizeInput ? Normalized(x) : x);
                items[i] = z.Dim(1) == frames ? z : z.Pad([0, 0, 0, frames - z.Dim(1)]);
            }
            features = Tensor.Concat(items, 0);
        }

        Tensor? frameMask = null;
        if (lengths is not null)
        {
            frameMask = Tensor.Zeros(b, frames);
            for (int i = 0; i < b; i++) frameMask.Data.Slice(i * frames, Config.OutputFrames(lengths[i])).Fill(1f);
        }

        var hidden = Encoder.Forward(FeatureProjection.Forward(features), frameMask);
        return new SpeechEncoderOutput(hidden[^1], hidden, frameMask);
    }

    /// <summary>Encodes one long recording in overlapping chunks (<see cref="SpeechChunking"/>); frames as for one pass.</summary>
    public SpeechEncoderOutput EncodeLong(ReadOnlySpan<float> samples, SpeechChunking? chunking = null) =>
        (chunking ?? SpeechChunking.Default).Encode(this, samples);

    string TooShort(int samples) =>
        $"{samples} samples are shorter than the feature encoder's receptive field ({Config.ReceptiveField} samples, {1000.0 * Config.ReceptiveField / SampleRate:0.#} ms at {SampleRate} Hz)";

    /// <summary>(x - mean) / sqrt(var + 1e-7) per row (Wav2Vec2FeatureExtractor.zero_mean_unit_var_norm), in double.</summary>
    internal static Tensor Normalized(Tensor x)
    {
        int rows = x.Dim(0), n = x.Dim(1);
        var y = Tensor.Zeros(rows, n);
        for (int r = 0; r < rows; r++)
        {
            var src = x.Data.Slice(r * n, n);
            double mean = 0, sq = 0;
            foreach (var v in src) mean += v;
            mean /= n;
            foreach (var v in src) sq += (v - mean) * (v - mean);
            double scale = 1.0 / Math.Sqrt(sq / n + NormalizeEpsilon);
            var dst = y.Data.Slice(r * n, n);
            for (int i = 0; i < n; i++) dst[i] = (float)((src[i] - mean) * scale);
        }
        return y;
    }
}
