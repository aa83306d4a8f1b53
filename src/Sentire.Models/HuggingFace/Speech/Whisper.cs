using Sentire.Audio.Dsp;
using Sentire.Models.Layers;
using Sentire.Tensors;
using Sentire.Tensors.Nn;
using Sentire.Tensors.Serialization;

namespace Sentire.Models.HuggingFace.Speech;

// Whisper's audio encoder: Radford et al. 2022, "Robust Speech Recognition via Large-Scale Weak Supervision", sec. 2.2-2.3
// and figure 1; layout and names of transformers' models/whisper/modeling_whisper.py (WhisperEncoder, WhisperEncoderLayer,
// WhisperForAudioClassification), front end of openai/whisper's audio.py and WhisperFeatureExtractor.
//
//   X   = (max(log10 max(M |STFT(pad30(x))|^2, 1e-10), max - 8) + 4) / 4       (n_mels, 3000)  M: Slaney mel filters, 0-8 kHz
//   h_0 = GELU(conv2(GELU(conv1(X))))^T + P                                    (1500, D)       conv2 stride 2; P sinusoidal
//   h_l = h_{l-1} + Attn(LN(h_{l-1}));  h_l = h_l + fc2(GELU(fc1(LN(h_l))))   (1500, D)       pre-norm; k_proj has no bias
//   H   = LN(h_L)                                                              (1500, D)       last_hidden_state
// WhisperForAudioClassification:
//   z = sum_l softmax(w)_l s_l over s = (h_0 .. h_{L-1}, H) when use_weighted_layer_sum, else H
//   y = classifier(mean_t projector(z))                                        (K)             over all 1500 positions
// Shapes: D d_model, L encoder_layers, K labels. Every clip is one 30 s window (zero-padded), as the reference pipelines.

/// <summary>The encoder fields of a Whisper config.json (the decoder's are not read).</summary>
public sealed record WhisperConfig(int NumMelBins, int DModel, int EncoderLayers, int EncoderAttentionHeads, int EncoderFfnDim, int MaxSourcePositions)
{
    public int HeadDim => DModel / EncoderAttentionHeads;

    /// <summary>Reads and validates the encoder's sizes (transformers' WhisperConfig defaults are whisper-tiny's).</summary>
    public static WhisperConfig From(HfConfig hf)
    {
        var c = new WhisperConfig(hf.Int("num_mel_bins", 80), hf.Int("d_model", 384), hf.Int("encoder_layers", 4),
            hf.Int("encoder_attention_heads", 6), hf.Int("encoder_ffn_dim", 1536), hf.Int("max_source_positions", 1500));
        var activation = hf.String("activation_function", "gelu");
        if (activation != "gelu") throw new InvalidDataException($"{hf.FilePath}: activation_function is \"{activation}\", expected \"gelu\"");
        if (c.NumMelBins <= 0 || c.DModel <= 0 || c.EncoderLayers <= 0 || c.EncoderFfnDim <= 0 || c.MaxSourcePositions <= 0)
            throw new InvalidDataException($"{hf.FilePath}: Whisper sizes must be positive (num_mel_bins {c.NumMelBins}, d_model {c.DModel}, encoder_layers {c.EncoderLayers}, encoder_ffn_dim {c.EncoderFfnDim}, max_source_positions {c.MaxSourcePositions})");
        if (c.EncoderAttentionHeads <= 0 || c.DModel % c.EncoderAttentionHeads != 0)
            throw new InvalidDataException($"{hf.FilePath}: d_model must be divisible by encoder_attention_heads (got d_model: {c.DModel} and encoder_attention_heads: {c.EncoderAttentionHeads})");
        return c;
    }

    /// <summary>conv1 + conv2 + positions + layers + final norm.</summary>
    public long ParameterCount()
    {
        long d = DModel, f = EncoderFfnDim;
        long layer = 4 * d * d + 3 * d + 4 * d + d * f + f + f * d + d;   // q, k (no bias), v, out; 2 norms; fc1, fc2
        return NumMelBins * d * 3 + d + d * d * 3 + d + MaxSourcePositions * d + EncoderLayers * layer + 2 * d;
    }
}

/// <summary>
/// Whisper's log-mel input (audio.py, WhisperFeatureExtractor): 1) pad with zeros or cut to 30 s at 16 kHz, 2) power
/// STFT, n_fft 400, hop 160, periodic Hann, centre reflect padding, the last frame dropped (3000 frames), 3) Slaney mel
/// filters from 0 to 8 kHz (librosa's, 80 or 128 bins), 4) log10 of max(mel, 1e-10), 5) floored at the maximum - 8,
/// 6) (x + 4) / 4.
/// </summary>
public sealed class WhisperFeatureExtractor
{
    public const int SampleRate = 16000;
    public const int NFft = 400;                                  // 25 ms window
    public const int HopLength = 160;                             // 10 ms hop
    public const int ChunkLength = 30;                            // seconds per window
    public const int NSamples = ChunkLength * SampleRate;         // 480000 samples
    public const int NFrames = NSamples / HopLength;              // 3000 frames

    readonly MelSpectrogram mel;

    public WhisperFeatureExtractor(int nMels)
    {
        NMels = nMels;
        mel = new MelSpectrogram(new MelSpectrogramOptions
        {
            SampleRate = SampleRate, NFft = NFft, HopLength = HopLength, NMels = nMels, FMin = 0, FMax = SampleRate / 2,
            Norm = MelNorm.Slaney, MelScale = MelScale.Slaney, Power = 2f, Center = true, PadMode = PadMode.Reflect,
        });
    }

    public int NMels { get; }

    /// <summary>The (n_mels, 3000) input features of mono 16 kHz samples (only the first 30 s are read).</summary>
    public Tensor Compute(ReadOnlySpan<float> samples)
    {
        // 1) pad or trim to one 30 s window
        var window = new float[NSamples];
        samples[..Math.Min(samples.Length, NSamples)].CopyTo(window);
        // 2-3) power mel spectrogram, 3001 frames as rows; the last is dropped
        var m = mel.Compute(window);
        // 4-6) log10, floor at max - 8, rescale; transposed to (n_mels, frames)
        var features = Tensor.Zeros(NMels, NFrames);
        var x = features.Data;
        float max = float.NegativeInfinity;
        for (int t = 0; t < NFrames; t++)
            for (int k = 0; k < NMels; k++)
            {
                float v = MathF.Log10(Math.Max(m.Data[t * NMels + k], 1e-10f));
                x[k * NFrames + t] = v;
                max = Math.Max(max, v);
            }
        for (int i = 0; i < x.Length; i++) x[i] = (Math.Max(x[i], max - 8f) + 4f) / 4f;
        return features;
    }
}

/// <summary>One pre-norm encoder block: self_attn, self_attn_layer_norm, fc1, fc2, final_layer_norm.</summary>
public sealed class WhisperEncoderLayer : Module
{
    public MultiHeadAttention SelfAttn { get; }
    public LayerNorm SelfAttnLayerNorm { get; }
    public Linear Fc1 { get; }
    public Linear Fc2 { get; }
    public LayerNorm FinalLayerNorm { get; }

    /// <param name="half">keep the linear weights in this 16-bit format (inference on a 16-bit checkpoint)</param>
    public WhisperEncoderLayer(WhisperConfig c, HalfFormat? half = null)
    {
        SelfAttn = RegisterModule("self_attn", new MultiHeadAttention(c.DModel, c.EncoderAttentionHeads, null, bias: true, keyBias: false, half: half));
        SelfAttnLayerNorm = RegisterModule("self_attn_layer_norm", new LayerNorm(c.DModel));
        Fc1 = RegisterModule("fc1", new Linear(c.DModel, c.EncoderFfnDim, null, halfWeight: half));
        Fc2 = RegisterModule("fc2", new Linear(c.EncoderFfnDim, c.DModel, null, halfWeight: half));
        FinalLayerNorm = RegisterModule("final_layer_norm", new LayerNorm(c.DModel));
    }

    /// <param name="h">(B, T, D)</param>
    public Tensor Forward(Tensor h)
    {
        h = h + SelfAttn.Forward(SelfAttnLayerNorm.Forward(h), null);             // (B, T, D)
        return h + Fc2.Forward(Fc1.Forward(FinalLayerNorm.Forward(h)).Gelu());      // (B, T, D)
    }
}

/// <summary>Whisper's audio encoder (WhisperEncoder): checkpoint keys conv1.*, conv2.*, embed_positions.weight, layers.N.*, layer_norm.*.</summary>
public sealed class WhisperEncoder : Module
{
    public WhisperConfig Config { get; }
    public Conv1d Conv1 { get; }
    public Conv1d Conv2 { get; }
    public Embedding EmbedPositions { get; }
    public ModuleList<WhisperEncoderLayer> Layers { get; }
    public LayerNorm LayerNorm { get; }

    /// <param name="half">keep the layers' linear weights in this 16-bit format; convolutions, positions and norms stay float32</param>
    public WhisperEncoder(WhisperConfig c, HalfFormat? half = null)
    {
        Config = c;
        Conv1 = RegisterModule("conv1", new Conv1d(c.NumMelBins, c.DModel, 3, null, padding: 1));
        Conv2 = RegisterModule("conv2", new Conv1d(c.DModel, c.DModel, 3, null, stride: 2, padding: 1));
        EmbedPositions = RegisterModule("embed_positions", new Embedding(c.MaxSourcePositions, c.DModel, null));
        Sinusoids(EmbedPositions.Weight);
        Layers = RegisterModule("layers", new ModuleList<WhisperEncoderLayer>(Enumerable.Range(0, c.EncoderLayers).Select(_ => new WhisperEncoderLayer(c, half))));
        LayerNorm = RegisterModule("layer_norm", new LayerNorm(c.DModel));
    }

    /// <summary>whisper/model.py sinusoids: P[t, i] = sin(t / 10000^(i/(D/2-1))) for i &lt; D/2, cos for the second half
    /// (checkpoints store it as embed_positions.weight; this is its value when they do not).</summary>
    public static void Sinusoids(Tensor positions)
    {
        int length = positions.Dim(0), channels = positions.Dim(1), half = channels / 2;
        double increment = Math.Log(10000) / Math.Max(1, half - 1);
        var p = positions.Data;
        for (int t = 0; t < length; t++)
            for (int i = 0; i < half; i++)
            {
                double angle = t * Math.Exp(-increment * i);
                p[t * channels + i] = (float)Math.Sin(angle);
                p[t * channels + half + i] = (float)Math.Cos(angle);
            }
    }

    /// <param name="features">(B, n_mels, 2 * max_source_positions): 3000 frames for a 30 s window</param>
    /// <returns>the L + 1 hidden states: the input of each layer, then the final-normed output (B, T, D)</returns>
    public List<Tensor> Forward(Tensor features)
    {
        if (features.Rank != 3 || features.Dim(1) != Config.NumMelBins || features.Dim(2) != 2 * Config.MaxSourcePositions)
            throw new ArgumentException($"Whisper expects input features of shape (B, {Config.NumMelBins}, {2 * Config.MaxSourcePositions}), found {features.ShapeString}: pad the audio to 30 s");
        var x = Conv1.Forward(features).Gelu();                                    // (B, D, 3000)
        x = Conv2.Forward(x).Gelu().Transpose(1, 2);                               // (B, 1500, D)
        x = x + EmbedPositions.Weight.Narrow(0, 0, x.Dim(1));                      // (B, 1500, D)
        var states = new List<Tensor>(Config.EncoderLayers + 1);
        foreach (var layer in Layers)
        {
            states.Add(x);
            x = layer.Forward(x);
        }
        states.Add(LayerNorm.Forward(x));                                          // last_hidden_state
        return states;
    }

    /// <summary>The encoder of a WhisperModel / WhisperForConditionalGeneration / WhisperForAudioClassification
    /// checkpoint folder (keys under "encoder." or "model.encoder."), in eval mode; a 16-bit checkpoint keeps its linear
    /// weights in 16 bits unless <paramref name="halfWeights"/> says to widen them.</summary>
    public static WhisperEncoder Load(string folder, HalfWeights halfWeights = HalfWeights.Keep)
    {
        var hf = HfConfig.Load(folder);
        RequireWhisper(hf);
        using var store = SafeTensors.OpenModel(folder);
        var encoder = new WhisperEncoder(WhisperConfig.From(hf), halfWeights.FormatFor(store));
        var prefix = store.ContainsKey("encoder.conv1.weight") ? "encoder." : store.ContainsKey("model.encoder.conv1.weight") ? "model.encoder."
            : throw new InvalidDataException($"{folder}: no Whisper encoder in the checkpoint (neither encoder.conv1.weight nor model.encoder.conv1.weight)");
        LoadInto(encoder, new PrefixedTensorStore(store, prefix), folder, prefix);
        encoder.Eval();
        return encoder;
    }

    internal static void RequireWhisper(HfConfig hf)
    {
        var type = hf.String("model_type", "");
        if (type != "whisper") throw new InvalidDataException($"{hf.FilePath}: model_type is \"{type}\", expected \"whisper\"");
    }

    /// <summary>Strict load: every tensor of <paramref name="module"/> present with its shape (errors give found vs expected).</summary>
    internal static void LoadInto(Module module, IReadOnlyDictionary<string, Tensor> state, string folder, string prefix)
    {
        var report = module.LoadStateDict(state, strict: false);
        if (report.Missing.Count > 0)
            throw new InvalidDataException($"{folder}: {report.Missing.Count} Whisper tensor(s) are missing: {string.Join(", ", report.Missing.Take(20).Select(k => prefix + k))}");
        if (report.Mismatched.Count > 0)
            throw new InvalidDataException($"{folder}: {report.Mismatched.Count} Whisper tensor(s) do not fit config.json's sizes: {string.Join("; ", report.Mismatched.Take(20).Select(m => prefix + m))}");
    }
}

/// <summary>
/// WhisperForAudioClassification: keys encoder.*, layer_weights (use_weighted_layer_sum), projector.*, classifier.*;
/// labels (or arousal/dominance/valence) from config.json's id2label, as <see cref="SpeechHeadConfig"/> reads them.
/// </summary>
public sealed class WhisperForAudioClassification : Module
{
    public WhisperEncoder Encoder { get; }
    public WeightedLayerSum? LayerSum { get; }
    public Linear Projector { get; }
    public Linear Classifier { get; }
    public SpeechHeadConfig Head { get; }
    public WhisperFeatureExtractor FeatureExtractor { get; }

    /// <summary>Checkpoint tensors the model does not use (a WhisperModel's decoder, ...).</summary>
    public IReadOnlyList<string> UnusedKeys { get; private set; } = [];
    /// <summary>Stored dtypes and their shares.</summary>
    public string StoredPrecision { get; private set; } = "unknown";

    /// <param name="half">keep the linear weights (encoder layers, projector, classifier) in this 16-bit format</param>
    public WhisperForAudioClassification(WhisperConfig config, SpeechHeadConfig head, HalfFormat? half = null)
    {
        Head = head;
        Encoder = RegisterModule("encoder", new WhisperEncoder(config, half));
        if (head.UseWeightedLayerSum)
        {
            LayerSum = new WeightedLayerSum(config.EncoderLayers + 1);
            RegisterParameter("layer_weights", LayerSum.LayerWeights);   // the checkpoint keeps it at the root
        }
        Projector = RegisterModule("projector", new Linear(config.DModel, head.ClassifierProjSize, null, halfWeight: half));
        Classifier = RegisterModule("classifier", new Linear(head.ClassifierProjSize, head.Labels.Count, null, halfWeight: half));
        FeatureExtractor = new WhisperFeatureExtractor(config.NumMelBins);
    }

    /// <param name="features">(B, n_mels, 3000)</param>
    /// <returns>logits or dimension values (B, K)</returns>
    public Tensor Forward(Tensor features)
    {
        var states = Encoder.Forward(features);
        var z = LayerSum?.Forward(states) ?? states[^1];                           // (B, 1500, D)
        return Classifier.Forward(Projector.Forward(z).Mean(1));                  // (B, K)
    }

    /// <summary>The outputs of one clip of mono 16 kHz samples (its first 30 s, zero-padded to 30 s).</summary>
    public float[] Predict(ReadOnlySpan<float> samples)
    {
        using var _ = Autograd.NoGrad();
        var features = FeatureExtractor.Compute(samples);
        return Forward(features.Reshape(1, features.Dim(0), features.Dim(1))).Data.ToArray();
    }

    /// <summary>Reads a WhisperForAudioClassification folder: config.json (model_type whisper, id2label, head fields),
    /// the weights (safetensors or pytorch_model.bin, sharded or not); every tensor must be there with its size. A 16-bit
    /// checkpoint keeps its linear weights in 16 bits unless <paramref name="halfWeights"/> says to widen them.</summary>
    public static WhisperForAudioClassification Load(string folder, HalfWeights halfWeights = HalfWeights.Keep)
    {
        var hf = HfConfig.Load(folder);
        WhisperEncoder.RequireWhisper(hf);
        using var store = SafeTensors.OpenModel(folder);
        if (!store.ContainsKey("classifier.weight") || !store.ContainsKey("projector.weight"))
            throw new InvalidDataException($"{folder}: the checkpoint has no classification head (projector.weight, classifier.weight): a bare Whisper encoder gives no emotions");
        var model = new WhisperForAudioClassification(WhisperConfig.From(hf), SpeechHeadConfig.From(hf, SpeechHeadKind.SequenceClassification),
            halfWeights.FormatFor(store));
        WhisperEncoder.LoadInto(model, store, folder, "");
        var used = model.StateSlots().Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        model.UnusedKeys = store.Keys.Where(k => !used.Contains(k)).Order(StringComparer.Ordinal).ToList();
        model.StoredPrecision = store.Precision();
        model.Eval();
        return model;
    }
}
