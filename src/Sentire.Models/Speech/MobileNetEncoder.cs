using Sentire.Models.AudioTagging;
using Sentire.Models.Layers;
using Sentire.Tensors;
using Sentire.Tensors.Nn;

namespace Sentire.Models.Speech;

/// <summary>Sizes of <see cref="MobileNetEncoder"/>.</summary>
/// <param name="NMels">mel bins the network convolves over (the input's leading columns)</param>
/// <param name="ProsodyChannels">columns after the mel bins (F0, voicing): read by the CLAP head's window statistics, not by the network</param>
/// <param name="WidthMultiplier">MobileNetV3's width multiplier (the teacher, mn04: 0.4, a 384-d output)</param>
public sealed record MobileNetEncoderConfig(int NMels = 80, int ProsodyChannels = 0, float WidthMultiplier = 0.4f)
{
    /// <summary>Columns of an input frame: mel bins and prosody channels.</summary>
    public int InputChannels => NMels + ProsodyChannels;

    /// <summary>The network's layer sizes: the teacher's (<see cref="EfficientAtConfig"/>) at this width and mel resolution.</summary>
    public EfficientAtConfig Network => new(WidthMultiplier, MelBins: NMels);

    public void Validate()
    {
        if (NMels <= 0 || ProsodyChannels < 0)
            throw new ArgumentException($"MobileNetEncoderConfig needs mel bins > 0 and prosody channels >= 0, got {this}");
        if (!(WidthMultiplier is > 0f and <= 4f)) throw new ArgumentException($"the MobileNet width multiplier must be in (0, 4], got {WidthMultiplier}");
    }
}

/// <summary>
/// The teacher's architecture as a speech encoder trained from random weights: EfficientAT's MobileNetV3 "features"
/// (Schmid et al., 2023; <see cref="EfficientAtModel"/>) over our 80-bin log-mel, so that distilling the teacher's clip
/// embedding (the mean of the same layer over frequency and time) asks the student for a function it can represent.
///
///   x (B, T, n_mels [+ prosody])    standardised per column with the training set's statistics; the mel bins kept
///   features.0..16                   (B, 1, n_mels, T) -> (B, D, n_mels / 32, T / 32), D = 6 x scale(160) (384 at width 0.4)
///   mean over frequency              (B, D, T') -> frames (B, T', D), each 320 ms
///
/// Pooling the frames over time (as the CLAP head does) gives the teacher's embedding layout. Batch norm: batch
/// statistics in training, running statistics in eval mode.
/// </summary>
public sealed class MobileNetEncoder : Module, ISpeechEncoder, IStandardizedInput
{
    public MobileNetEncoderConfig Config { get; }
    public Sequential Features { get; }
    /// <summary>Per-column mean and standard deviation of the training set's frames, applied to every input.</summary>
    public Tensor FeatureMean { get; }
    public Tensor FeatureStd { get; }

    public MobileNetEncoder(MobileNetEncoderConfig config, Generator? rngForInit)
    {
        config.Validate();
        Config = config;
        Features = RegisterModule("features", EfficientAtModel.BuildFeatures(config.Network, rngForInit));
        FeatureMean = RegisterBuffer("feature_mean", Tensor.Zeros(config.InputChannels));
        FeatureStd = RegisterBuffer("feature_std", Tensor.Ones(config.InputChannels));
    }

    public SpeechInput Input => SpeechInput.LogMel;
    public int HiddenSize => Config.Network.EmbeddingChannels;
    /// <summary>One output: the last convolution's frames (a CNN has no layer stack to weigh).</summary>
    public int LayerCount => 0;

    public SpeechEncoderOutput Encode(Tensor mel, int[]? lengths)
    {
        if (mel.Rank != 3 || mel.Dim(2) != Config.InputChannels)
            throw new ArgumentException($"expected log-mel input (B, T, {Config.InputChannels}) ({Config.NMels} mel bins + {Config.ProsodyChannels} prosody channels), got {mel.ShapeString}");
        int b = mel.Dim(0), t = mel.Dim(1);
        var x = (mel - FeatureMean) / FeatureStd;                                                   // global per-column normalisation
        if (Config.ProsodyChannels > 0) x = x.Narrow(2, 0, Config.NMels);                           // (B, T, n_mels)
        x = x.Transpose(1, 2).Reshape(b, 1, Config.NMels, t);                                       // (B, 1, n_mels, T)
        var h = Features.Forward(x).Mean(2).Transpose(1, 2);                                       // (B, D, F', T') -> (B, T', D)
        int frames = h.Dim(1);

        Tensor? frameMask = null;
        if (lengths is not null)
        {
            if (lengths.Length != b) throw new ArgumentException($"{lengths.Length} lengths for a batch of {b}");
            frameMask = Tensor.Zeros(b, frames);
            for (int i = 0; i < b; i++)
                frameMask.Data.Slice(i * frames, Math.Clamp(EfficientAtModel.FeatureLength(lengths[i]), 1, frames)).Fill(1f);
        }
        return new SpeechEncoderOutput(h, [h], frameMask);
    }

    /// <summary>Sets the input normalisation from training features (rows: frames, columns: mel bins and prosody channels).</summary>
    public void SetFeatureStatistics(ReadOnlySpan<float> mean, ReadOnlySpan<float> std) =>
        Standardization.SetStatistics(FeatureMean, FeatureStd, mean, std, "the MobileNet encoder");
}
