namespace Sentire.Audio.Decoding;

/// <summary>Receives the next samples of a signal that is read in chunks.</summary>
public delegate void SampleSink(ReadOnlySpan<float> samples);

/// <summary>
/// Decoded audio read in chunks from the start of a file, so a recording of any length passes through a bounded buffer:
/// the same samples as <see cref="AudioFile.Read(string)"/> gives, in the same interleaved layout (frame-major, floats in
/// [-1, 1)). Opened by <see cref="AudioFile.Open"/>.
/// </summary>
public abstract class AudioStreamReader : IDisposable
{
    protected AudioStreamReader(string source, int sampleRate, int channels, AudioContainer container)
    {
        if (sampleRate <= 0) throw new AudioFormatException(source, $"sample rate {sampleRate} Hz");
        if (channels <= 0) throw new AudioFormatException(source, $"{channels} channels");
        Source = source;
        SampleRate = sampleRate;
        Channels = channels;
        Container = container;
    }

    public string Source { get; }
    public int SampleRate { get; }
    public int Channels { get; }
    public AudioContainer Container { get; }

    /// <summary>Set when the file's header claims more frames than it holds (known from the header, or at the end).</summary>
    public Truncation? Truncation { get; protected set; }

    /// <summary>Reads the next whole frames into <paramref name="destination"/> (at least one frame long); returns the
    /// number of samples written (a multiple of <see cref="Channels"/>), 0 at the end.</summary>
    /// <exception cref="AudioFormatException">The file is corrupt at this point; the message names it and says why.</exception>
    public abstract int Read(Span<float> destination);

    /// <summary>Reads to the end, handing each chunk of interleaved samples to <paramref name="sink"/>.</summary>
    public void ReadAll(SampleSink sink, int chunkFrames = 16384)
    {
        var buffer = new float[chunkFrames * Channels];
        int read;
        while ((read = Read(buffer)) > 0) sink(buffer.AsSpan(0, read));
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) { }
}

/// <summary>A clip decoded whole, read in chunks (formats without an incremental decoder here).</summary>
sealed class ClipStreamReader(AudioClip clip) : AudioStreamReader(clip.Source, clip.SampleRate, clip.Channels, clip.Container)
{
    int position;

    public override int Read(Span<float> destination)
    {
        var count = Math.Min(destination.Length / Channels * Channels, clip.Samples.Length - position);
        clip.Samples.AsSpan(position, count).CopyTo(destination);
        position += count;
        Truncation = clip.Truncation;
        return count;
    }
}
