using Sentire.Tensors;
using Sentire.Tensors.Nn;
using Sentire.Models.Layers;

namespace Sentire.Models.Student;

/// <summary>Sizes of <see cref="TinyStudent"/>. The defaults give 73,643 parameters (<see cref="ParameterCount"/>), the
/// budget of Wav2Small (72K).</summary>
public sealed record TinyStudentConfig(
    int NMels = 80,
    int Channels = 96,
    int StemKernel = 3,
    int StemStride = 2,          // 100 log-mel frames/s in, 50 student frames/s out
    int BlockKernel = 5,
    int[]? Dilations = null,     // one depthwise-separable block per entry; null = [1, 2, 4, 1, 2]
    int Categories = 8,
    int Dimensions = 3)          // arousal, valence, dominance in [0, 1]
{
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<int> BlockDilations => Dilations ?? [1, 2, 4, 1, 2];

    public void Validate()
    {
        if (NMels <= 0 || Channels <= 0 || StemKernel <= 0 || StemStride <= 0 || Categories <= 0 || Dimensions < 0)
            throw new ArgumentException($"TinyStudentConfig sizes must be positive: {this}");
        if (BlockKernel <= 0 || BlockKernel % 2 == 0)
            throw new ArgumentException($"block kernel must be odd so a block keeps the frame count (got block kernel: {BlockKernel})");
        if (BlockDilations.Any(d => d <= 0)) throw new ArgumentException($"dilations must be positive, got [{string.Join(", ", BlockDilations)}]");
    }

    /// <summary>Parameters of a student of these sizes, counted from the model itself (the one figure help, docs and
    /// exports quote).</summary>
    public long ParameterCount() => new TinyStudent(this, new Generator(0)).ParameterCount();

    /// <summary>Student frames made from <paramref name="melFrames"/> log-mel frames (the stem's output length).</summary>
    public int OutputFrames(int melFrames) => (melFrames + 2 * (StemKernel / 2) - StemKernel) / StemStride + 1;
}

/// <summary>One depthwise-separable block (MobileNet, Howard et al., 2017) with a residual connection:
/// x <- x + ReLU(W_pw ReLU(W_dw *_d x)), where *_d is a per-channel (groups = C) convolution with dilation d.</summary>
public sealed class TinyStudentBlock : Module<Tensor, Tensor>
{
    public Conv1d Depthwise { get; }
    public Conv1d Pointwise { get; }

    public TinyStudentBlock(int channels, int kernel, int dilation, Generator? rng)
    {
        Depthwise = RegisterModule("depthwise", new Conv1d(channels, channels, kernel, rng, padding: dilation * (kernel / 2), dilation: dilation, groups: channels));
        Pointwise = RegisterModule("pointwise", new Conv1d(channels, channels, 1, rng));
    }

    public override Tensor Forward(Tensor x) => x + Pointwise.Forward(DepthwiseConvolution(x).Relu()).Relu();   // (B, C, T)

    /// <summary>
    /// y[c, t] = b[c] + sum_j W[c, 0, j] x[c, t + j d - p], computed as K shifted multiply-adds over the whole (B, C, T)
    /// tensor: the engine's grouped Conv1d lowers to one tiny GEMM per channel, which made this layer most of the
    /// student's run time. Same parameters and result as <c>Depthwise.Forward(x)</c> (the exports use a grouped Conv).
    /// </summary>
    Tensor DepthwiseConvolution(Tensor x)
    {
        int channels = x.Dim(1), frames = x.Dim(2), kernel = Depthwise.KernelSize, d = Depthwise.Dilation;
        var padded = x.Pad([Depthwise.Padding, Depthwise.Padding]);                    // (B, C, T + 2p)
        var w = Depthwise.Weight.Reshape(channels, kernel);                            // (C, K)
        var y = Depthwise.Bias!.Reshape(channels, 1) + padded.Narrow(2, 0, frames) * w.Narrow(1, 0, 1);
        for (int j = 1; j < kernel; j++) y = y + padded.Narrow(2, j * d, frames) * w.Narrow(1, j, 1);
        return y;                                                                      // (B, C, T)
    }
}

/// <summary>
/// A 73,643-parameter (default sizes) student for speech emotion, distilled from a large teacher in the manner of Wav2Small
/// (Kounadis-Bastian et al., 2024, "Wav2Small: Distilling Wav2Vec2 to 72K parameters for low-resource speech
/// emotion recognition"). Taken from Wav2Small: the log-mel input instead of raw-waveform convolutions, the
/// parameter budget, and training on nothing but the teacher's outputs over all audio (labelled or not).
/// Our own choices: the layers are 1-D depthwise-separable convolutions over time with the mel bins as channels
/// (dilated so five blocks see about 1.5 s), mean pooling instead of attention pooling, and two heads, category
/// logits and arousal/valence/dominance.
/// <code>
/// x  = (mel - mu) / sigma                       (B, T, M)   per-bin normalisation from the distillation audio
/// h  = ReLU(Conv_stem(x^T))                     (B, C, T')  kernel 3, stride 2: T' = ceil(T / 2)
/// h <- h + ReLU(W_pw ReLU(W_dw *_d h))          (B, C, T')  for d in dilations
/// z  = mean_t h                                 (B, C)      over real frames only (padding zeroed after each layer)
/// logits = W_c z + b_c                          (B, K)      K = categories
/// dims   = sigmoid(W_d z + b_d)                 (B, 3)      arousal, valence, dominance
/// </code>
/// Legend: B batch, T log-mel frames, M mel bins, C channels, T' student frames.
/// </summary>
public sealed class TinyStudent : Module
{
    public TinyStudentConfig Config { get; }
    public Tensor FeatureMean { get; }
    public Tensor FeatureStd { get; }
    public Conv1d Stem { get; }
    public ModuleList<TinyStudentBlock> Blocks { get; }
    public Linear CategoryHead { get; }
    public Linear DimensionHead { get; }

    public TinyStudent(TinyStudentConfig config, Generator? rngForInit)
    {
        config.Validate();
        Config = config;
        FeatureMean = RegisterBuffer("feature_mean", Tensor.Zeros(config.NMels));
        FeatureStd = RegisterBuffer("feature_std", Tensor.Ones(config.NMels));
        Stem = RegisterModule("stem", new Conv1d(config.NMels, config.Channels, config.StemKernel, rngForInit, stride: config.StemStride, padding: config.StemKernel / 2));
        Blocks = RegisterModule("blocks", new ModuleList<TinyStudentBlock>(config.BlockDilations.Select(d => new TinyStudentBlock(config.Channels, config.BlockKernel, d, rngForInit))));
        CategoryHead = RegisterModule("category_head", new Linear(config.Channels, config.Categories, rngForInit));
        DimensionHead = RegisterModule("dimension_head", new Linear(config.Channels, config.Dimensions, rngForInit));
    }

    /// <summary>Category logits (B, K) and dimensions (B, 3) of log-mel input (B, T, M); <paramref name="lengths"/>
    /// gives each item's real frame count when the batch is padded at the end.</summary>
    public (Tensor Logits, Tensor Dimensions) Forward(Tensor mel, int[]? lengths = null)
    {
        if (mel.Rank != 3 || mel.Dim(2) != Config.NMels)
            throw new ArgumentException($"expected log-mel input (B, T, {Config.NMels}), got {mel.ShapeString}");
        int b = mel.Dim(0), t = mel.Dim(1);
        if (t < 1) throw new ArgumentException("the log-mel input has no frames");
        var x = (mel - FeatureMean) / FeatureStd;                                  // (B, T, M)
        if (lengths is not null) x = x * FrameMask(lengths, b, t).Reshape(b, t, 1);  // padding reads as the mean
        var h = Stem.Forward(x.Transpose(1, 2)).Relu();                             // (B, C, T')
        int frames = h.Dim(2);
        // Padded frames are zeroed after every layer, so each item's convolutions see exactly the zero padding they see
        // alone: a padded batch gives the same outputs as one clip at a time.
        var m = lengths is null ? null : FrameMask(lengths.Select(Config.OutputFrames).ToArray(), b, frames).Reshape(b, 1, frames);
        if (m is not null) h = h * m;
        foreach (var block in Blocks) h = m is null ? block.Forward(h) : block.Forward(h) * m;
        var z = m is null ? h.Mean(2) : h.Sum(2) / m.Sum(2).Clamp(1f, null);       // (B, C)
        return (CategoryHead.Forward(z), DimensionHead.Forward(z).Sigmoid());
    }

    static Tensor FrameMask(int[] lengths, int batch, int frames)
    {
        if (lengths.Length != batch) throw new ArgumentException($"{lengths.Length} lengths for a batch of {batch}");
        var mask = Tensor.Zeros(batch, frames);
        for (int i = 0; i < batch; i++) mask.Data.Slice(i * frames, Math.Clamp(lengths[i], 1, frames)).Fill(1f);
        return mask;
    }

    /// <summary>Sets the input normalisation from the distillation audio's log-mel statistics.</summary>
    public void SetFeatureStatistics(ReadOnlySpan<float> mean, ReadOnlySpan<float> std) =>
        Standardization.SetStatistics(FeatureMean, FeatureStd, mean, std, "the student");
}
