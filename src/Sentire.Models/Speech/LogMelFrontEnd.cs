using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;
using Sentire.Audio.Dsp;

namespace Sentire.Models.Speech;

/// <summary>Settings of <see cref="LogMelFrontEnd"/>; stored in a model's config so inference matches training.</summary>
public sealed record LogMelFrontEndConfig(int SampleRate = 16000, int NFft = 400, int HopLength = 160, int NMels = 80, float LogFloor = 1e-6f)
{
    /// <summary>Encoder input frames per second (hop 160 at 16 kHz: 100 frames/s).</summary>
    public double FramesPerSecond => (double)SampleRate / HopLength;
}

/// <summary>
/// Audio to the log-mel frames our encoders read: 1) mono, 2) resampled to 16 kHz, 3) power mel spectrogram
/// (torchaudio.transforms.MelSpectrogram semantics: 25 ms Hann window, 10 ms hop, centre reflect padding, HTK
/// mel scale), 4) natural log of (power + floor). Rows are frames: (frames, n_mels).
/// </summary>
public sealed class LogMelFrontEnd
{
    readonly Conditioner conditioner;
    readonly MelSpectrogram mel;

    public LogMelFrontEnd(LogMelFrontEndConfig config)
    {
        Config = config;
        conditioner = new Conditioner(new ConditioningOptions { SampleRate = config.SampleRate });
        mel = new MelSpectrogram(new MelSpectrogramOptions { SampleRate = config.SampleRate, NFft = config.NFft, HopLength = config.HopLength, NMels = config.NMels });
    }

    public LogMelFrontEndConfig Config { get; }

    /// <summary>Mono samples at the model rate.</summary>
    public float[] Condition(AudioClip clip) => conditioner.Apply(clip);

    /// <summary>Log-mel frames of mono samples at the model rate.</summary>
    public FeatureMatrix LogMel(float[] samples)
    {
        var m = mel.Compute(samples);
        var d = m.Data.AsSpan();
        System.Numerics.Tensors.TensorPrimitives.Add(d, Config.LogFloor, d);
        System.Numerics.Tensors.TensorPrimitives.Log(d, d);
        return m;
    }

    public FeatureMatrix LogMel(AudioClip clip) => LogMel(Condition(clip));
}
