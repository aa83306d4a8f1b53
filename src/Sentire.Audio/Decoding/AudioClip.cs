namespace Sentire.Audio.Decoding;

/// <summary>The container a clip was decoded from.</summary>
public enum AudioContainer
{
    /// <summary>Built in memory, not read from a file.</summary>
    None,
    Wav,
    Flac,
    /// <summary>Ogg Opus, decoded in process (<see cref="OggOpusDecoder"/>).</summary>
    OggOpus,
    /// <summary>Any other format, decoded through ffmpeg.</summary>
    Ffmpeg,
}

/// <summary>
/// Decoded audio: interleaved float samples in [-1, 1) (integer PCM of b bits divided by 2^(b-1)),
/// frame-major: sample of channel c at frame t is <c>Samples[t * Channels + c]</c>.
/// </summary>
public sealed class AudioClip
{
    /// <param name="samples">Interleaved samples, length a multiple of <paramref name="channels"/>.</param>
    /// <param name="bitsPerSample">Bits of the stored encoding (16, 24, ...), 0 when unknown.</param>
    public AudioClip(float[] samples, int sampleRate, int channels, string source,
        AudioContainer container = AudioContainer.None, int bitsPerSample = 0, bool isFloatEncoding = false)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(source);
        if (sampleRate <= 0) throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "sample rate must be positive");
        if (channels <= 0) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channel count must be positive");
        if (samples.Length % channels != 0)
            throw new ArgumentException($"{samples.Length} samples is not a whole number of {channels}-channel frames", nameof(samples));
        Samples = samples;
        SampleRate = sampleRate;
        Channels = channels;
        Source = source;
        Container = container;
        BitsPerSample = bitsPerSample;
        IsFloatEncoding = isFloatEncoding;
    }

    /// <summary>Interleaved samples (frames x channels). Shared, not copied: treat as read-only.</summary>
    public float[] Samples { get; }

    /// <summary>Frames per second (Hz).</summary>
    public int SampleRate { get; }

    public int Channels { get; }

    /// <summary>Samples per channel.</summary>
    public int Frames => Samples.Length / Channels;

    public TimeSpan Duration => TimeSpan.FromSeconds(DurationSeconds);

    public double DurationSeconds => (double)Frames / SampleRate;

    /// <summary>Path or name the clip was read from.</summary>
    public string Source { get; }

    public AudioContainer Container { get; }

    /// <summary>Bits per sample of the stored encoding, 0 when unknown (ffmpeg-decoded formats).</summary>
    public int BitsPerSample { get; }

    /// <summary>Set when the file's header claims more frames than it holds (the frames present are decoded).</summary>
    public Truncation? Truncation { get; init; }

    /// <summary>True when the file stored floating-point samples (float WAV); false for integer PCM and for ffmpeg-decoded formats.</summary>
    public bool IsFloatEncoding { get; }

    /// <summary>A mono clip from one channel's samples.</summary>
    public static AudioClip FromMono(float[] samples, int sampleRate, string source = "(memory)") =>
        new(samples, sampleRate, 1, source);

    /// <summary>One channel's samples, copied out of the interleaved buffer.</summary>
    public float[] GetChannel(int channel)
    {
        if ((uint)channel >= (uint)Channels)
            throw new ArgumentOutOfRangeException(nameof(channel), channel, $"clip has {Channels} channels");
        var frames = Frames;
        var result = new float[frames];
        for (int t = 0, i = channel; t < frames; t++, i += Channels) result[t] = Samples[i];
        return result;
    }

    /// <summary>Mono by averaging the channels (this clip itself when already mono).</summary>
    public AudioClip ToMono()
    {
        if (Channels == 1) return this;
        var mono = new float[Frames];
        MixDown(Samples, Channels, mono);
        return new AudioClip(mono, SampleRate, 1, Source, Container, BitsPerSample, IsFloatEncoding);
    }

    /// <summary>Channel mean of each frame of <paramref name="interleaved"/> into <paramref name="mono"/> (one value per frame).</summary>
    public static void MixDown(ReadOnlySpan<float> interleaved, int channels, Span<float> mono)
    {
        var scale = 1f / channels;
        for (int t = 0; t < mono.Length; t++)
        {
            var frame = interleaved.Slice(t * channels, channels);
            float sum = 0;
            foreach (var s in frame) sum += s;
            mono[t] = sum * scale;
        }
    }

    public override string ToString() =>
        $"{Source}: {Container}, {SampleRate} Hz, {Channels} ch, {Frames} frames ({DurationSeconds:0.###} s)";
}
