using Sentire.Models.Layers;
using Sentire.Tensors;
using Sentire.Tensors.Nn;

namespace Sentire.Models.Speech;

/// <summary>Sizes of <see cref="LogMelEncoder"/>.</summary>
public sealed record LogMelEncoderConfig(
    int NMels = 80,
    int StackFrames = 4,       // 10 ms log-mel frames stacked 4 at a time: 40 ms encoder frames
    int HiddenSize = 192,
    int Heads = 4,
    int Layers = 4,
    int FfnSize = 768,
    float Dropout = 0.1f,
    int MaxFrames = 1024)      // positions of the sinusoidal table (1024 x 40 ms = 41 s)
{
    public void Validate()
    {
        if (NMels <= 0 || StackFrames <= 0 || Layers <= 0 || FfnSize <= 0 || MaxFrames <= 0)
            throw new ArgumentException($"LogMelEncoderConfig sizes must be positive: {this}");
        if (HiddenSize % Heads != 0)
            throw new ArgumentException($"hidden size must be divisible by heads (got hidden size: {HiddenSize} and heads: {Heads})");
        if (Dropout is < 0f or >= 1f) throw new ArgumentException($"dropout must be in [0, 1), got {Dropout}");
    }
}

/// <summary>
/// A compact speech encoder trained from scratch on 80-bin log-mel frames: frames are stacked k at a time
/// (a low-frame-rate front end, x'_t = [x_{kt}; ...; x_{kt+k-1}]), projected to the model width, given
/// sinusoidal positions (Vaswani et al., 2017) and passed through pre-norm transformer layers. Its output
/// has the shape of a Hugging Face speech encoder's, so heads do not care which one they sit on.
/// </summary>
public sealed class LogMelEncoder : Module, ISpeechEncoder
{
    public LogMelEncoderConfig Config { get; }
    public Linear FeatureProjection { get; }
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
        FeatureProjection = RegisterModule("feature_projection", new Linear(config.NMels * config.StackFrames, config.HiddenSize, rngForInit));
        Layers = RegisterModule("layers", new ModuleList<TransformerEncoderLayer>(Enumerable.Range(0, config.Layers).Select(_ =>
            new TransformerEncoderLayer(config.HiddenSize, config.Heads, config.FfnSize, preNorm: true, config.Dropout, rngForDropout, rngForInit))));
        FinalNorm = RegisterModule("layer_norm", new LayerNorm(config.HiddenSize));
        FeatureMean = RegisterBuffer("feature_mean", Tensor.Zeros(config.NMels));
        FeatureStd = RegisterBuffer("feature_std", Tensor.Ones(config.NMels));
        positions = SinusoidalPositions(config.MaxFrames, config.HiddenSize);
    }

    public SpeechInput Input => SpeechInput.LogMel;
    public int HiddenSize => Config.HiddenSize;
    public int LayerCount => Config.Layers;

    /// <summary>Encoder frames produced from <paramref name="melFrames"/> log-mel frames.</summary>
    public int OutputFrames(int melFrames) => (melFrames + Config.StackFrames - 1) / Config.StackFrames;

    public SpeechEncoderOutput Encode(Tensor mel, int[]? lengths)
    {
        if (mel.Rank != 3 || mel.Dim(2) != Config.NMels)
            throw new ArgumentException($"expected log-mel input (B, T, {Config.NMels}), got {mel.ShapeString}");
        int b = mel.Dim(0), k = Config.StackFrames;
        int frames = OutputFrames(mel.Dim(1));
        if (frames > Config.MaxFrames)
            throw new ArgumentException($"{mel.Dim(1)} log-mel frames make {frames} encoder frames, more than the {Config.MaxFrames} this encoder has positions for; crop or segment the audio");
        mel = (mel - FeatureMean) / FeatureStd;                                                    // global per-bin normalisation
        int padded = frames * k;
        if (padded != mel.Dim(1)) mel = mel.Pad([0, 0, 0, padded - mel.Dim(1)]);
        var x = FeatureProjection.Forward(mel.Reshape(b, frames, Config.NMels * k));              // (B, T', D)
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
    public void SetFeatureStatistics(ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        if (mean.Length != Config.NMels || std.Length != Config.NMels)
            throw new ArgumentException($"statistics for {mean.Length}/{std.Length} bins, the encoder has {Config.NMels}");
        mean.CopyTo(FeatureMean.Data);
        std.CopyTo(FeatureStd.Data);
    }

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
