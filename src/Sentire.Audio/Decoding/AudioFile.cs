namespace Sentire.Audio.Decoding;

/// <summary>
/// Reads any audio file into an <see cref="AudioClip"/>, choosing the decoder from the file's first bytes
/// (never its extension): RIFF/RF64 WAVE with PCM or float samples → <see cref="WavReader"/>, fLaC (optionally after an ID3v2 tag)
/// → <see cref="FlacDecoder"/>, Ogg Opus → <see cref="OggOpusDecoder"/>, anything else → ffmpeg (<see cref="FfmpegDecoder"/>).
/// </summary>
public static class AudioFile
{
    /// <summary>Files larger than this are refused by <see cref="Read(string)"/> (whole files are decoded in memory;
    /// <see cref="Open"/> reads any size).</summary>
    public const long MaxFileBytes = int.MaxValue - 64;

    /// <summary>Decodes the file at <paramref name="path"/>.</summary>
    /// <exception cref="AudioFormatException">The file is not decodable; the message names it and says why.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static AudioClip Read(string path)
    {
        var bytes = ReadAllBytes(path);
        return Detect(bytes) switch
        {
            // WAV holding A-law, ADPCM, MP3 and the like: ffmpeg knows those encodings.
            AudioContainer.Wav when bytes.Length >= 12 && WavReader.ReadLayout(bytes, path).Format == WavSampleFormat.Other
                => FfmpegDecoder.Default.Decode(path),
            AudioContainer.Wav => WavReader.Read(bytes, path),
            AudioContainer.Flac => FlacDecoder.Decode(bytes, path),
            AudioContainer.OggOpus => OggOpusDecoder.Decode(bytes, path),
            _ => FfmpegDecoder.Default.Decode(path),
        };
    }

    /// <summary>Opens the file at <paramref name="path"/> for reading in chunks (<see cref="AudioStreamReader"/>): the
    /// samples <see cref="Read(string)"/> decodes, without holding the file or its decoded signal.</summary>
    /// <exception cref="AudioFormatException">The file is not decodable; the message names it and says why.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static AudioStreamReader Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        try
        {
            var length = stream.Length;
            if (length == 0) throw new AudioFormatException(path, "empty file (0 bytes)");
            Span<byte> header = stackalloc byte[(int)Math.Min(length, 64)];
            stream.ReadExactly(header);
            var container = Detect(header);
            stream.Position = 0;
            switch (container)
            {
                case AudioContainer.Wav when length >= 12:
                    if (WavReader.OpenStream(stream, path, length, AudioContainer.Wav, out var format) is { } wav) return wav;
                    if (format == WavSampleFormat.Other)
                    {
                        // A-law, ADPCM, MP3 and the like in a WAV: through ffmpeg's pipe, as Read(path) decodes them
                        stream.Dispose();
                        return FfmpegDecoder.Default.Open(path);
                    }
                    break;
                case AudioContainer.Flac:
                    return FlacDecoder.OpenStream(stream, path);
                case AudioContainer.OggOpus:
                    return OggOpusDecoder.OpenStream(stream, path);
                case AudioContainer.Ffmpeg:
                    stream.Dispose();
                    return FfmpegDecoder.Default.Open(path);
            }
            stream.Dispose();
            // a WAV header beyond the first 64 KB, or a WAV file of under 12 bytes: decoded whole
            return new ClipStreamReader(Read(path));
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Decodes WAV, FLAC or Ogg Opus bytes held in memory; <paramref name="name"/> names them in errors.
    /// Other formats need a file path (they go through ffmpeg) and are refused here.</summary>
    public static AudioClip Read(byte[] bytes, string name)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return Detect(bytes) switch
        {
            AudioContainer.Wav => WavReader.Read(bytes, name),
            AudioContainer.Flac => FlacDecoder.Decode(bytes, name),
            AudioContainer.OggOpus => OggOpusDecoder.Decode(bytes, name),
            _ => throw new AudioFormatException(name,
                $"neither WAV, FLAC nor Ogg Opus (starts with {DescribeMagic(bytes)}); other formats are decoded by ffmpeg from a file path, use AudioFile.Read(path)"),
        };
    }

    /// <summary>
    /// Decodes a whole file held in memory (an upload) as <see cref="Read(string)"/> decodes it from disk, with the same
    /// errors naming <paramref name="name"/>: WAV, FLAC and Ogg Opus in memory, anything else through ffmpeg from a temporary file.
    /// Audio longer than <paramref name="maxSeconds"/> is refused with <see cref="AudioTooLongException"/> before it is
    /// decoded when the header gives the length (WAV, FLAC), else once ffmpeg has decoded just past the limit.
    /// </summary>
    public static AudioClip Decode(byte[] bytes, string name, double maxSeconds)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length == 0) throw new AudioFormatException(name, "empty file (0 bytes)");
        var container = Detect(bytes);
        if (container == AudioContainer.Wav)
        {
            var layout = WavReader.ReadLayout(bytes, name);   // a broken header fails here as in Read(path)
            if (layout.Format != WavSampleFormat.Other)
            {
                CheckLength(name, layout.SampleRate > 0 ? (double)layout.Frames / layout.SampleRate : 0, maxSeconds);
                return WavReader.Read(bytes, name);
            }
        }
        if (container == AudioContainer.Flac)
        {
            var info = FlacDecoder.ReadStreamInfo(bytes, name);
            if (info.TotalSamples > 0) CheckLength(name, (double)info.TotalSamples / info.SampleRate, maxSeconds);
            var flac = FlacDecoder.Decode(bytes, name);
            CheckLength(name, flac.DurationSeconds, maxSeconds);
            return flac;
        }
        if (container == AudioContainer.OggOpus)
        {
            var opus = OggOpusDecoder.Decode(bytes, name);
            CheckLength(name, opus.DurationSeconds, maxSeconds);
            return opus;
        }
        var folder = Directory.CreateTempSubdirectory("sentire-upload-");
        try
        {
            // the name's extension guides ffmpeg's format probe as it does for the file on disk
            var extension = Path.GetExtension(name);
            var path = Path.Combine(folder.FullName, "upload" + (extension.Length <= 8 && extension.Skip(1).All(char.IsAsciiLetterOrDigit) ? extension : ""));
            File.WriteAllBytes(path, bytes);
            AudioClip clip;
            // a quarter second past the limit tells a clip longer than the limit from one just as long
            try { clip = FfmpegDecoder.Default.Decode(path, double.IsFinite(maxSeconds) ? maxSeconds + CutMargin : null); }
            catch (AudioFormatException e) { throw new AudioFormatException(name, e.Reason.Replace(path, name, StringComparison.Ordinal), e); }
            if (clip.DurationSeconds > maxSeconds)
                throw new AudioTooLongException(name, clip.DurationSeconds < maxSeconds + CutMargin - 0.01 ? clip.DurationSeconds : null, maxSeconds);
            return new AudioClip(clip.Samples, clip.SampleRate, clip.Channels, name, AudioContainer.Ffmpeg);
        }
        finally { folder.Delete(recursive: true); }
    }

    const double CutMargin = 0.25;

    static void CheckLength(string name, double seconds, double maxSeconds)
    {
        if (seconds > maxSeconds) throw new AudioTooLongException(name, seconds, maxSeconds);
    }

    /// <summary>The container named by the first bytes: Wav, Flac, OggOpus, or Ffmpeg for anything else.</summary>
    public static AudioContainer Detect(ReadOnlySpan<byte> header)
    {
        var riff = header.Length >= 4 && (header[..4].SequenceEqual("RIFF"u8) || header[..4].SequenceEqual("RF64"u8));
        // A RIFF header too short to name its form is a truncated WAV far more often than anything else.
        if (riff && (header.Length < 12 || header.Slice(8, 4).SequenceEqual("WAVE"u8)))
            return AudioContainer.Wav;
        var flacStart = SkipId3v2(header);
        if (header.Length - flacStart >= 4 && header.Slice(flacStart, 4).SequenceEqual("fLaC"u8))
            return AudioContainer.Flac;
        if (OggOpusDecoder.IsOggOpus(header)) return AudioContainer.OggOpus;
        return AudioContainer.Ffmpeg;
    }

    /// <summary>Offset just past an ID3v2 tag at the start (some FLAC and MP3 files carry one), or 0.</summary>
    internal static int SkipId3v2(ReadOnlySpan<byte> data)
    {
        // ID3v2 header: "ID3", version (2 bytes), flags, size as four 7-bit "syncsafe" bytes; flag 0x10 adds a 10-byte footer.
        if (data.Length < 10 || !data[..3].SequenceEqual("ID3"u8)) return 0;
        int size = 0;
        for (int i = 6; i < 10; i++)
        {
            if ((data[i] & 0x80) != 0) return 0;
            size = (size << 7) | data[i];
        }
        long end = 10L + size + ((data[5] & 0x10) != 0 ? 10 : 0);
        return end <= data.Length ? (int)end : 0;
    }

    internal static byte[] ReadAllBytes(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var length = stream.Length;
        if (length == 0) throw new AudioFormatException(path, "empty file (0 bytes)");
        if (length > MaxFileBytes)
            throw new AudioFormatException(path, $"file is {length} bytes; at most {MaxFileBytes} bytes can be decoded in memory");
        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    internal static string DescribeMagic(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) return "nothing: the file is empty";
        var head = bytes[..Math.Min(4, bytes.Length)];
        var printable = true;
        foreach (var b in head) printable &= b is >= 0x20 and < 0x7F;
        return printable
            ? $"\"{System.Text.Encoding.ASCII.GetString(head)}\""
            : $"bytes {Convert.ToHexString(head)}";
    }
}
