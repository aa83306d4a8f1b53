using System.Text.Json.Serialization;
using Sentire.IO;
using Sentire.Models.Layers;
using Sentire.Tensors;
using Sentire.Tensors.Nn;

namespace Sentire.Models.Speech;

/// <summary>How 10 ms log-mel frames become encoder frames: frame stacking or strided 1-D convolutions. Recipes
/// (encoder.subsampling) and config.json spell it "stack" or "conv".</summary>
[JsonConverter(typeof(OptionNamesJsonConverter))]
public enum Subsampling { Stack, Conv }

/// <summary>Sizes of <see cref="LogMelEncoder"/>.</summary>
public sealed record LogMelEncoderConfig(
    int NMels = 80,
    int StackFrames = 4,       // 10 ms log-mel frames stacked 4 at a time: 40 ms encoder frames
    int HiddenSize = 192,
    int Heads = 4,
    int Layers = 4,
    int FfnSize = 768,
    float Dropout = 0.1f,
    int MaxFrames = 1024,      // positions of the sinusoidal table (1024 x 40 ms = 41 s)
    Subsampling Subsampling = Subsampling.Stack,      // stack (frame stacking) or conv (strided 1-D convolutions)
    int ProsodyChannels = 0)   // extra input columns after the mel bins (Speech.ProsodyChannels: F0 and voicing)
{
    /// <summary>Columns of an input frame: mel bins and prosody channels.</summary>
    public int InputChannels => NMels + ProsodyChannels;

    public void Validate()
    {
        if (NMels <= 0 || ProsodyChannels < 0 || StackFrames <= 0 || Layers <= 0 || FfnSize <= 0 || MaxFrames <= 0)
            throw new ArgumentException($"LogMelEncoderConfig sizes must be positive: {this}");
        if (HiddenSize % Heads != 0)
            throw new ArgumentException($"hidden size must be divisible by heads (got hidden size: {HiddenSize} and heads: {Heads})");
        if (Dropout is < 0f or >= 1f) throw new ArgumentException($"dropout must be in [0, 1), got {Dropout}");
        if (!Enum.IsDefined(Subsampling)) throw new ArgumentException($"subsampling must be one of {OptionNames.Allowed(typeof(Subsampling))}, got {Subsampling}");
        if (Subsampling == Subsampling.Conv && StackFrames is not (1 or 2 or 4 or 8))
            throw new ArgumentException($"the conv front end subsamples by a power of two (1, 2, 4 or 8), got stack_frames {StackFrames}");
    }
}

/// <summary>
/// A compact speech encoder trained from scratch on 80-bin log-mel frames. The front end brings 10 ms frames to
/// the encoder rate k x 10 ms in one of two ways:
///   stack: x'_t = W [x_{kt}; ...; x_{kt+k-1}] (a low-frame-rate front end, one linear map);
///   conv:  as Whisper's stem (Radford et al., 2022), h = GELU(conv1(x)) with kernel 3 over time and the mel bins as
///          channels, then log2(k) times h = GELU(conv(h)) with kernel 3 and stride 2, so neighbouring frames are
///          combined through learned local filters before attention.
/// The frames get sinusoidal positions (Vaswani et al., 2017) and pass through pre-norm transformer layers. Its output
/// has the shape of a Hugging Face speech encoder's, so heads do not care which one they sit on.
/// </summary>
public sealed class LogMelEncoder : Module, ISpeechEncoder, IStandardizedInput
{
    public LogMelEncoderConfig Config { get; }
    /// <summary>The stacking front end's projection (null for the conv front end).</summary>
    public Linear? FeatureProjection { get; }
    /// <summary>The conv front end: conv1 (stride 1), then conv2.. with stride 2 (empty for the stacking front end).</summary>
    public IReadOnlyList<Conv1d> Convs { get; }
    public ModuleList<TransformerEncoderLayer> Layers { get; }
    public LayerNorm FinalNorm { get; }
    /// <summary>Per-bin mean and standard deviation of the training set's log-mel frames, applied to every input.</summary>
    public Tensor FeatureMean { get; }
    public Tensor FeatureStd { get; }
    readonly Tensor positions;

    public LogMelEncoder(LogMelEncoderConfig config, Generator rngForDropout, Generator? rngForInit)
    {
        config.Validate();
        Config = config;
        if (config.Subsampling == Subsampling.Stack)
        {
            FeatureProjection = RegisterModule("feature_projection", new Linear(config.InputChannels * config.StackFrames, config.HiddenSize, rngForInit));
            Convs = [];
        }
        else
        {
            var convs = new List<Conv1d> { RegisterModule("conv1", new Conv1d(config.InputChannels, config.HiddenSize, 3, rngForInit, padding: 1)) };
            for (int k = config.StackFrames; k > 1; k /= 2)
                convs.Add(RegisterModule($"conv{convs.Count + 1}", new Conv1d(config.HiddenSize, config.HiddenSize, 3, rngForInit, stride: 2, padding: 1)));
            Convs = convs;
        }
        Layers = RegisterModule("layers", new ModuleList<TransformerEncoderLayer>(Enumerable.Range(0, config.Layers).Select(_ =>
            new TransformerEncoderLayer(config.HiddenSize, config.Heads, config.FfnSize, preNorm: true, config.Dropout, rngForDropout, rngForInit))));
        FinalNorm = RegisterModule("layer_norm", new LayerNorm(config.HiddenSize));
        FeatureMean = RegisterBuffer("feature_mean", Tensor.Zeros(config.InputChannels));
        FeatureStd = RegisterBuffer("feature_std", Tensor.Ones(config.InputChannels));
        positions = SinusoidalPositions(config.MaxFrames, config.HiddenSize);
    }

    public SpeechInput Input => SpeechInput.LogMel;
    public int HiddenSize => Config.HiddenSize;
    public int LayerCount => Config.Layers;

    /// <summary>Encoder frames produced from <paramref name="melFrames"/> log-mel frames.</summary>
    public int OutputFrames(int melFrames) => (melFrames + Config.StackFrames - 1) / Config.StackFrames;

    public SpeechEncoderOutput Encode(Tensor mel, int[]? lengths)
    {
        if (mel.Rank != 3 || mel.Dim(2) != Config.InputChannels)
            throw new ArgumentException($"expected log-mel input (B, T, {Config.InputChannels}) ({Config.NMels} mel bins + {Config.ProsodyChannels} prosody channels), got {mel.ShapeString}");
        int b = mel.Dim(0), k = Config.StackFrames;
        int frames = OutputFrames(mel.Dim(1));
        if (frames > Config.MaxFrames)
            throw new ArgumentException($"{mel.Dim(1)} log-mel frames make {frames} encoder frames, more than the {Config.MaxFrames} this encoder has positions for; crop or segment the audio");
        mel = (mel - FeatureMean) / FeatureStd;                                                    // global per-bin normalisation
        Tensor x;
        if (FeatureProjection is not null)
        {
            int padded = frames * k;
            if (padded != mel.Dim(1)) mel = mel.Pad([0, 0, 0, padded - mel.Dim(1)]);
            x = FeatureProjection.Forward(mel.Reshape(b, frames, Config.InputChannels * k));              // (B, T', D)
        }
        else
        {
            x = mel.Transpose(1, 2);                                                                // (B, n_mels, T)
            foreach (var conv in Convs) x = conv.Forward(x).Gelu();                                 // length ceil(T / 2) per stride-2 conv
            x = x.Transpose(1, 2);                                                                  // (B, T', D)
        }
        x = x + positions.Narrow(0, 0, frames);                                                     // broadcast over B

        Tensor? frameMask = null;
        if (lengths is not null)
        {
            if (lengths.Length != b) throw new ArgumentException($"{lengths.Length} lengths for a batch of {b}");
            frameMask = Tensor.Zeros(b, frames);
            for (int i = 0; i < b; i++)
            {
                int valid = Math.Clamp(OutputFrames(lengths[i]), 1, frames);
                frameMask.Data.Slice(i * frames, valid).Fill(1f);
            }
        }

        var hidden = new List<Tensor>(Config.Layers + 1) { x };
        foreach (var layer in Layers)
        {
            x = layer.Forward(x, frameMask);
            hidden.Add(x);
        }
        x = FinalNorm.Forward(x);
        hidden[^1] = x;
        return new SpeechEncoderOutput(x, hidden, frameMask);
    }

    /// <summary>Sets the input normalisation from training features (rows: frames, columns: mel bins).</summary>
    public void SetFeatureStatistics(ReadOnlySpan<float> mean, ReadOnlySpan<float> std) =>
        Standardization.SetStatistics(FeatureMean, FeatureStd, mean, std, "the log-mel encoder");

    /// <summary>PE(t, 2i) = sin(t / 10000^(2i/D)), PE(t, 2i+1) = cos(t / 10000^(2i/D)).</summary>
    static Tensor SinusoidalPositions(int count, int dim)
    {
        var pe = Tensor.Zeros(count, dim);
        for (int t = 0; t < count; t++)
            for (int i = 0; i < dim / 2; i++)
            {
                double angle = t / Math.Pow(10000, 2.0 * i / dim);
                pe[t, 2 * i] = (float)Math.Sin(angle);
                pe[t, 2 * i + 1] = (float)Math.Cos(angle);
            }
        return pe;
    }
}
