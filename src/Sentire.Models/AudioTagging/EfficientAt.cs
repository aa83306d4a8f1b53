using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;
using Sentire.Audio.Dsp;
using Sentire.Tensors;
using Sentire.Tensors.Nn;
using Sentire.Tensors.Serialization;

namespace Sentire.Models.AudioTagging;

// EfficientAT: F. Schmid, K. Koutini, G. Widmer, "Efficient Large-Scale Audio Tagging via Transformer-to-CNN Knowledge
// Distillation", ICASSP 2023 (arXiv:2211.04772); the network is MobileNetV3-Large (A. Howard et al., "Searching for
// MobileNetV3", ICCV 2019) with one input channel, every channel count scaled by a width multiplier and rounded to a
// multiple of 8, squeeze-excitation over channels, and an MLP head for the 527 AudioSet classes. mn04_as is width 0.4.
//
//   x (N, 1, 128 mel, T frames)
//   features.0        conv 3x3 /2 (1 -> 8) + BN + hard-swish                                      (N, 8, 64, T/2)
//   features.1..15    inverted residual blocks (table below): [expand 1x1 + BN + act] -> depthwise kxk /s + BN + act
//                     -> [SE: s = sigmoid(fc2(relu(fc1(mean_hw)))), x s] -> project 1x1 + BN; + x when s = 1, in = out
//   features.16       conv 1x1 (64 -> 384) + BN + hard-swish                                       (N, 384, 8, T/32)
//   embedding e       mean over (frequency, time)                                                 (N, 384)
//   classifier        logits = classifier.5(hardswish(classifier.2(e)))  (dropout between them)    (N, 527)
// Batch norms have eps 1e-3 (momentum 0.01), convolutions no bias. Module names are the checkpoint's state-dict keys.
// The SE gate is the logistic sigmoid (EfficientAT's SqueezeExcitation default), not torchvision's hard-sigmoid.

/// <summary>One inverted-residual row of MobileNetV3-Large's table before width scaling: input, kernel, expanded and
/// output channels, squeeze-excitation, hard-swish (else ReLU), stride.</summary>
public readonly record struct InvertedResidualRow(int Input, int Kernel, int Expanded, int Output, bool SqueezeExcitation, bool HardSwish, int Stride);

/// <summary>Sizes of an EfficientAT MobileNet ("mn" models); the defaults are mn04_as.</summary>
public sealed record EfficientAtConfig(float WidthMultiplier = 0.4f, int Classes = 527, int MelBins = 128, float BatchNormEps = 1e-3f,
    float BatchNormMomentum = 0.01f, int SqueezeReduction = 4)
{
    /// <summary>MobileNetV3-Large (Howard et al. 2019, table 1), strides at C1-C4 = 2, no reduced tail, no dilation.</summary>
    public static IReadOnlyList<InvertedResidualRow> LargeTable { get; } =
    [
        new(16, 3, 16, 16, false, false, 1),
        new(16, 3, 64, 24, false, false, 2),   // C1
        new(24, 3, 72, 24, false, false, 1),
        new(24, 5, 72, 40, true, false, 2),    // C2
        new(40, 5, 120, 40, true, false, 1),
        new(40, 5, 120, 40, true, false, 1),
        new(40, 3, 240, 80, false, true, 2),   // C3
        new(80, 3, 200, 80, false, true, 1),
        new(80, 3, 184, 80, false, true, 1),
        new(80, 3, 184, 80, false, true, 1),
        new(80, 3, 480, 112, true, true, 1),
        new(112, 3, 672, 112, true, true, 1),
        new(112, 5, 672, 160, true, true, 2),  // C4
        new(160, 5, 960, 160, true, true, 1),
        new(160, 5, 960, 160, true, true, 1),
    ];

    /// <summary>The head's hidden width: 1280 scaled.</summary>
    public int HeadChannels => Scale(1280);

    /// <summary>Width of features.16 and of the embedding: 6 x the last block's output.</summary>
    public int EmbeddingChannels => 6 * Scale(LargeTable[^1].Output);

    /// <summary>channels x width, rounded to a multiple of 8 and never more than 10 % below (torchvision's _make_divisible).</summary>
    public int Scale(int channels) => MakeDivisible(channels * WidthMultiplier);

    public static int MakeDivisible(float value, int divisor = 8)
    {
        int rounded = Math.Max(divisor, (int)(value + divisor / 2f) / divisor * divisor);
        return rounded < 0.9f * value ? rounded + divisor : rounded;
    }
}

/// <summary>The activation after a convolution's batch norm.</summary>
public enum ConvActivation
{
    None,
    Relu,
    HardSwish,
}

/// <summary>torchvision's Conv2dNormActivation: "0" conv (no bias, padding (k - 1) / 2), "1" batch norm, then the activation.</summary>
public sealed class ConvNormActivation : Module<Tensor, Tensor>
{
    public Conv2d Conv { get; }
    public BatchNorm2d Norm { get; }
    public ConvActivation Activation { get; }

    public ConvNormActivation(int input, int output, int kernel, int stride, int groups, ConvActivation activation, EfficientAtConfig config, Generator? rng)
    {
        Conv = RegisterModule("0", new Conv2d(input, output, kernel, rng, stride, (kernel - 1) / 2, groups: groups, bias: false));
        Norm = RegisterModule("1", new BatchNorm2d(output, config.BatchNormEps, config.BatchNormMomentum));
        Activation = activation;
    }

    public override Tensor Forward(Tensor x)
    {
        var y = Norm.Forward(Conv.Forward(x));
        return Activation switch
        {
            ConvActivation.Relu => y.Relu(),
            ConvActivation.HardSwish => y.HardSwish(),
            _ => y,
        };
    }
}

/// <summary>Squeeze-excitation over channels (Hu et al. 2018): s = sigmoid(fc2(relu(fc1(mean over H, W)))), y = x s.</summary>
public sealed class SqueezeExcitation : Module<Tensor, Tensor>
{
    public Linear Fc1 { get; }
    public Linear Fc2 { get; }

    public SqueezeExcitation(int channels, int squeeze, Generator? rng)
    {
        Fc1 = RegisterModule("fc1", new Linear(channels, squeeze, rng));
        Fc2 = RegisterModule("fc2", new Linear(squeeze, channels, rng));
    }

    public override Tensor Forward(Tensor x)
    {
        var s = Fc2.Forward(Fc1.Forward(x.Mean([2, 3])).Relu()).Sigmoid();   // (N, C)
        return x * s.Unsqueeze(-1).Unsqueeze(-1);                               // (N, C, H, W) x (N, C, 1, 1)
    }
}

/// <summary>EfficientAT's ConcurrentSEBlock with se_dims = 'c': one channel SE ("conc_se_layers.0"); the max over
/// the stack of concurrent gates is that gate.</summary>
public sealed class ConcurrentSqueezeExcitation : Module<Tensor, Tensor>
{
    public ModuleList<SqueezeExcitation> Layers { get; }

    public ConcurrentSqueezeExcitation(int channels, int squeeze, Generator? rng)
    {
        Layers = RegisterModule("conc_se_layers", new ModuleList<SqueezeExcitation>([new SqueezeExcitation(channels, squeeze, rng)]));
    }

    public override Tensor Forward(Tensor x) => Layers[0].Forward(x);
}

/// <summary>MobileNetV3's inverted residual: "block" = [expand] depthwise [SE] project, plus the input when the shape allows.</summary>
public sealed class InvertedResidual : Module<Tensor, Tensor>
{
    public Sequential Block { get; }
    public bool Residual { get; }

    public InvertedResidual(InvertedResidualRow row, EfficientAtConfig config, Generator? rng)
    {
        int input = config.Scale(row.Input), expanded = config.Scale(row.Expanded), output = config.Scale(row.Output);
        var act = row.HardSwish ? ConvActivation.HardSwish : ConvActivation.Relu;
        var layers = new List<Module<Tensor, Tensor>>();
        if (expanded != input) layers.Add(new ConvNormActivation(input, expanded, 1, 1, 1, act, config, rng));
        layers.Add(new ConvNormActivation(expanded, expanded, row.Kernel, row.Stride, expanded, act, config, rng));
        if (row.SqueezeExcitation)
            layers.Add(new ConcurrentSqueezeExcitation(expanded, EfficientAtConfig.MakeDivisible(expanded / config.SqueezeReduction), rng));
        layers.Add(new ConvNormActivation(expanded, output, 1, 1, 1, ConvActivation.None, config, rng));
        Block = RegisterModule("block", new Sequential([.. layers]));
        Residual = row.Stride == 1 && input == output;
    }

    public override Tensor Forward(Tensor x)
    {
        var y = Block.Forward(x);
        return Residual ? y + x : y;
    }
}

/// <summary>The head "mlp": "2" Linear (384 -> 512), hard-swish, dropout, "5" Linear (512 -> classes) on the pooled embedding.</summary>
public sealed class EfficientAtHead : Module<Tensor, Tensor>
{
    public Linear Hidden { get; }
    public Linear Output { get; }

    public EfficientAtHead(int input, int hidden, int classes, Generator? rng)
    {
        Hidden = RegisterModule("2", new Linear(input, hidden, rng));
        Output = RegisterModule("5", new Linear(hidden, classes, rng));
    }

    /// <summary>(N, embedding) -> (N, classes) logits. Dropout is left out: the head is only evaluated.</summary>
    public override Tensor Forward(Tensor embedding) => Output.Forward(Hidden.Forward(embedding).HardSwish());
}

/// <summary>What the network gives for a batch: the 384-d embedding (mean of features.16 over frequency and time) and
/// the AudioSet logits (sigmoid for probabilities).</summary>
public sealed record EfficientAtOutput(Tensor Embedding, Tensor Logits);

/// <summary>The EfficientAT MobileNet ("features" 0..16, "classifier").</summary>
public sealed class EfficientAtModel : Module
{
    public EfficientAtConfig Config { get; }
    public Sequential Features { get; }
    public EfficientAtHead Classifier { get; }

    public EfficientAtModel(EfficientAtConfig config, Generator? rng = null)
    {
        Config = config;
        Features = RegisterModule("features", BuildFeatures(config, rng));
        Classifier = RegisterModule("classifier", new EfficientAtHead(config.EmbeddingChannels, config.HeadChannels, config.Classes, rng));
    }

    /// <summary>"features" 0..16: (N, 1, mel bins, T) -> (N, 384, mel bins / 32, T / 32) (each stride-2 layer takes ceil(n / 2)).</summary>
    public static Sequential BuildFeatures(EfficientAtConfig config, Generator? rng)
    {
        var table = EfficientAtConfig.LargeTable;
        var layers = new List<Module<Tensor, Tensor>>
        {
            new ConvNormActivation(1, config.Scale(table[0].Input), 3, 2, 1, ConvActivation.HardSwish, config, rng),
        };
        foreach (var row in table) layers.Add(new InvertedResidual(row, config, rng));
        int last = config.Scale(table[^1].Output);
        layers.Add(new ConvNormActivation(last, config.EmbeddingChannels, 1, 1, 1, ConvActivation.HardSwish, config, rng));
        return new Sequential([.. layers]);
    }

    /// <summary>Frames (or bins) left of <paramref name="n"/> after "features": ceil(n / 2) per stride-2 layer (kernel k, padding (k - 1) / 2).</summary>
    public static int FeatureLength(int n)
    {
        n = (n + 1) / 2;                                                               // features.0
        foreach (var row in EfficientAtConfig.LargeTable) if (row.Stride == 2) n = (n + 1) / 2;
        return n;
    }

    /// <summary>(N, 1, mel bins, frames) normalised log-mel -> embedding (N, 384) and logits (N, 527).</summary>
    public EfficientAtOutput Forward(Tensor mel)
    {
        if (mel.Rank != 4 || mel.Dim(1) != 1 || mel.Dim(2) != Config.MelBins)
            throw new ArgumentException($"EfficientAT expects (N, 1, {Config.MelBins}, frames), found {mel.ShapeString}");
        var embedding = Features.Forward(mel).Mean([2, 3]);
        return new EfficientAtOutput(embedding, Classifier.Forward(embedding));
    }
}

/// <summary>Settings of <see cref="EfficientAtFrontEnd"/> (EfficientAT's AugmentMelSTFT in evaluation mode).</summary>
public sealed record EfficientAtFrontEndConfig(int SampleRate = 32000, int NFft = 1024, int WinLength = 800, int HopLength = 320,
    int NMels = 128, double FMin = 0, double FMax = 15000, float Preemphasis = 0.97f, float LogOffset = 1e-5f, float Shift = 4.5f, float Scale = 5f);

/// <summary>
/// Audio to EfficientAT's input: 1) mono at 32 kHz (the project's resampler), 2) pre-emphasis y[n] = x[n+1] - 0.97 x[n]
/// (a 2-tap convolution without padding: one sample shorter), 3) power STFT (n_fft 1024, symmetric Hann window of 800,
/// hop 320, centred with reflect padding), 4) 128 Kaldi mel banks between 0 and 15 kHz (zero weight on the Nyquist bin),
/// 5) ln(mel + 1e-5), 6) (x + 4.5) / 5. Output (mel bins, frames), frames = 1 + (samples - 1) / 320.
/// </summary>
public sealed class EfficientAtFrontEnd
{
    readonly Conditioner conditioner;
    readonly Stft stft;
    readonly MelFilterbank banks;

    public EfficientAtFrontEnd(EfficientAtFrontEndConfig? config = null)
    {
        Config = config ?? new EfficientAtFrontEndConfig();
        conditioner = new Conditioner(new ConditioningOptions { SampleRate = Config.SampleRate });
        stft = new Stft(new StftOptions
        {
            NFft = Config.NFft, WinLength = Config.WinLength, HopLength = Config.HopLength, Window = WindowKind.Hann,
            PeriodicWindow = false, Center = true, PadMode = PadMode.Reflect,
        });
        banks = MelFilterbank.Kaldi(Config.NMels, Config.NFft, Config.SampleRate, Config.FMin, Config.FMax);
    }

    public EfficientAtFrontEndConfig Config { get; }

    /// <summary>Mono samples at 32 kHz.</summary>
    public float[] Condition(AudioClip clip) => conditioner.Apply(clip);

    /// <summary>Frames for <paramref name="samples"/> samples at 32 kHz.</summary>
    public int FrameCount(int samples) => samples < 2 ? 0 : stft.FrameCount(samples - 1);

    /// <summary>Normalised log-mel (mel bins, frames) of mono 32 kHz samples; a clip must outlast the reflect padding
    /// (more than n_fft / 2 + 1 samples).</summary>
    public Tensor LogMel(ReadOnlySpan<float> samples)
    {
        if (samples.Length <= Config.NFft / 2 + 1)
            throw new ArgumentException($"EfficientAT's front end needs more than {Config.NFft / 2 + 1} samples ({(Config.NFft / 2 + 1) * 1000.0 / Config.SampleRate:F0} ms at {Config.SampleRate} Hz), got {samples.Length}");
        var emphasised = new float[samples.Length - 1];
        // y[n] = x[n + 1] - 0.97 x[n]
        TensorPrimitives.MultiplyAdd(samples[..^1], -Config.Preemphasis, samples[1..], emphasised);
        int frames = stft.FrameCount(emphasised.Length), mels = Config.NMels;
        var result = new float[mels * frames];
        float scale = 1f / Config.Scale, offset = Config.Shift / Config.Scale;
        stft.ForEachFrame(emphasised, 2f, (t, spectrum) =>
        {
            Span<float> mel = stackalloc float[mels];
            banks.Apply(spectrum, mel);
            for (int m = 0; m < mels; m++) result[m * frames + t] = MathF.Log(mel[m] + Config.LogOffset) * scale + offset;
        });
        return new Tensor(result, mels, frames);
    }

    public Tensor LogMel(AudioClip clip) => LogMel(Condition(clip));
}

/// <summary>
/// EfficientAT as a clip tagger and embedder: front end + network in evaluation mode, with a <see cref="TensorArena"/>
/// so repeated calls reuse their storage. Not thread-safe (one instance per worker).
/// </summary>
public sealed class EfficientAtTagger
{
    readonly TensorArena arena = new();

    public EfficientAtTagger(EfficientAtModel model, EfficientAtFrontEnd? frontEnd = null)
    {
        Model = model;
        Model.Eval();
        FrontEnd = frontEnd ?? new EfficientAtFrontEnd();
    }

    public EfficientAtModel Model { get; }
    public EfficientAtFrontEnd FrontEnd { get; }

    /// <summary>Loads mn04_as-shaped weights from a state dict (strict: every key and shape must match).</summary>
    public static EfficientAtTagger Load(IReadOnlyDictionary<string, Tensor> stateDict, EfficientAtConfig? config = null)
    {
        var model = new EfficientAtModel(config ?? new EfficientAtConfig());
        model.LoadStateDict(stateDict);
        return new EfficientAtTagger(model);
    }

    /// <summary>Loads the checkpoint's state dict from a file <see cref="SafeTensors.OpenModel"/> reads (the published
    /// torch.save .pt, or safetensors).</summary>
    public static EfficientAtTagger Load(string path, EfficientAtConfig? config = null)
    {
        using var store = SafeTensors.OpenModel(path);
        return Load(store, config);
    }

    /// <summary>Embedding (384) and logits (527) of a normalised log-mel (mel bins, frames).</summary>
    public (float[] Embedding, float[] Logits) Run(Tensor logMel)
    {
        using var scope = arena.Enter();
        var output = Model.Forward(logMel.Reshape(1, 1, logMel.Dim(0), logMel.Dim(1)));
        return (output.Embedding.Data.ToArray(), output.Logits.Data.ToArray());
    }

    /// <summary>Embedding and logits of mono samples at 32 kHz.</summary>
    public (float[] Embedding, float[] Logits) Run(ReadOnlySpan<float> samples32k) => Run(FrontEnd.LogMel(samples32k));

    /// <summary>Embedding and logits of a clip (any rate or channel count).</summary>
    public (float[] Embedding, float[] Logits) Run(AudioClip clip) => Run(FrontEnd.Condition(clip));
}
