using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;
using Sentire.Audio.Dsp;
using Sentire.Audio.Prosody;

namespace Sentire.Models.Speech;

/// <summary>Settings of <see cref="LogMelFrontEnd"/>; stored in a model's config so inference matches training.</summary>
/// <param name="Prosody">append <see cref="ProsodyChannels"/> (frame F0 in semitones and voicing) to every log-mel frame</param>
public sealed record LogMelFrontEndConfig(int SampleRate = 16000, int NFft = 400, int HopLength = 160, int NMels = 80, float LogFloor = 1e-6f, bool Prosody = false)
{
    /// <summary>Columns of a frame: the mel bins, then the prosody channels when on.</summary>
    public int Columns => NMels + (Prosody ? ProsodyChannels.Count : 0);

    /// <summary>Encoder input frames per second (hop 160 at 16 kHz: 100 frames/s).</summary>
    public double FramesPerSecond => (double)SampleRate / HopLength;
}

/// <summary>
/// Audio to the log-mel frames our encoders read: 1) mono, 2) resampled to 16 kHz, 3) power mel spectrogram
/// (torchaudio.transforms.MelSpectrogram semantics: 25 ms Hann window, 10 ms hop, centre reflect padding, HTK
/// mel scale), 4) natural log of (power + floor), 5) optionally the frame pitch (<see cref="ProsodyChannels"/>).
/// Rows are frames: (frames, <see cref="LogMelFrontEndConfig.Columns"/>).
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

    /// <summary>Mixes down and resamples to the model rate (<see cref="Condition"/>, or as a stream).</summary>
    public Conditioner Conditioner => conditioner;

    /// <summary>Mono samples at the model rate.</summary>
    public float[] Condition(AudioClip clip) => conditioner.Apply(clip);

    /// <summary>Log-mel frames (with the prosody channels when configured) of mono samples at the model rate.
    /// <paramref name="defaultPitch"/>: a YIN track of the same samples with default <see cref="PitchOptions"/> (what
    /// <see cref="ProsodyAnalyzer.Track"/> makes for the prosody summary), reused for the channels when their options
    /// are those defaults, so a file is not pitch-tracked twice; otherwise ignored.</summary>
    public FeatureMatrix LogMel(float[] samples, PitchTrack? defaultPitch = null) =>
        Frames(mel.Compute(samples), () => defaultPitch is not null && ProsodyChannels.PitchOptions(Config.SampleRate, Config.HopLength) == new PitchOptions()
            ? defaultPitch
            : YinPitchTracker.Track(samples, Config.SampleRate, ProsodyChannels.PitchOptions(Config.SampleRate, Config.HopLength)));

    /// <summary>The power mel spectrogram this front end computes (centred frames).</summary>
    internal MelSpectrogram Mel => mel;

    /// <summary>Steps 4-5 on a power mel spectrogram of some samples (changed in place): log(power + floor), then the
    /// prosody channels from <paramref name="pitch"/>, a track of the same samples with <see cref="ProsodyChannels.PitchOptions"/>
    /// (asked for only when the channels are on).</summary>
    internal FeatureMatrix Frames(FeatureMatrix power, Func<PitchTrack> pitch)
    {
        var d = power.Data.AsSpan();
        System.Numerics.Tensors.TensorPrimitives.Add(d, Config.LogFloor, d);
        System.Numerics.Tensors.TensorPrimitives.Log(d, d);
        return Config.Prosody ? ProsodyChannels.Append(power, pitch()) : power;
    }

    public FeatureMatrix LogMel(AudioClip clip) => LogMel(Condition(clip));
}
