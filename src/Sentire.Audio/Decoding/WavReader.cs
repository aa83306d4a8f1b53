using System.Buffers.Binary;

namespace Sentire.Audio.Decoding;

/// <summary>How WAV samples are stored.</summary>
public enum WavSampleFormat
{
    /// <summary>Integer PCM (8-bit unsigned, 16/24/32-bit signed little-endian).</summary>
    Pcm,
    /// <summary>IEEE float, 32 or 64 bits.</summary>
    Float,
    /// <summary>Anything else (ADPCM, A-law, MP3 in WAV...): left to ffmpeg.</summary>
    Other,
}

/// <summary>What the fmt and data chunks of a WAV file say.</summary>
/// <param name="FormatTag">wFormatTag, or the sub-format of WAVE_FORMAT_EXTENSIBLE.</param>
/// <param name="BitsPerSample">Container bits per sample (8, 16, 24, 32, 64).</param>
/// <param name="ValidBitsPerSample">Significant bits (extensible files may store 20 bits in 24).</param>
/// <param name="DataOffset">Offset of the first sample byte.</param>
/// <param name="DataBytes">Sample bytes present (a whole number of frames).</param>
public sealed record WavLayout(WavSampleFormat Format, int FormatTag, int Channels, int SampleRate,
    int BitsPerSample, int ValidBitsPerSample, bool Extensible, int DataOffset, long DataBytes)
{
    public int BytesPerFrame => Channels * (BitsPerSample / 8);
    public long Frames => BytesPerFrame == 0 ? 0 : DataBytes / BytesPerFrame;

    /// <summary>Set when the data chunk's size runs past the end of the file.</summary>
    public Truncation? Truncation { get; init; }
}

/// <summary>
/// RIFF WAVE reader (Microsoft/IBM "Multimedia Programming Interface and Data Specifications 1.0", 1991;
/// WAVE_FORMAT_EXTENSIBLE from "Multiple Channel Audio Data and WAVE Files", Microsoft 2007; RF64 from EBU Tech 3306).
/// Chunks are walked by their sizes with the pad byte after odd-sized chunks; unknown chunks (LIST, fact, cue...)
/// are skipped; a data size of 0, 0xFFFFFFFF (streamed writers) or past the end of the file means "to the end".
/// Integer samples of b container bits become s / 2^(b-1); 8-bit samples are unsigned with 128 as zero.
/// </summary>
public static class WavReader
{
    const int FormatPcm = 1;
    const int FormatFloat = 3;
    const int FormatExtensible = 0xFFFE;

    /// <summary>KSDATAFORMAT_SUBTYPE_* GUIDs are {tag-0000-0010-8000-00AA00389B71}: bytes 2..15 of the GUID as stored.</summary>
    internal static ReadOnlySpan<byte> SubFormatGuidTail => [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];

    /// <summary>Decodes a whole WAV file held in <paramref name="data"/>; <paramref name="name"/> names it in errors.</summary>
    public static AudioClip Read(ReadOnlySpan<byte> data, string name)
    {
        var layout = ReadLayout(data, name);
        if (layout.Format == WavSampleFormat.Other)
            throw new AudioFormatException(name,
                $"WAV encoding 0x{layout.FormatTag:X4} is not PCM or IEEE float; decode it from a file path so ffmpeg is used");
        var samples = DecodeSamples(data.Slice(layout.DataOffset, checked((int)layout.DataBytes)), layout, name);
        return new AudioClip(samples, layout.SampleRate, layout.Channels, name, AudioContainer.Wav,
            layout.ValidBitsPerSample, layout.Format == WavSampleFormat.Float) { Truncation = layout.Truncation };
    }

    /// <summary>Parses the chunk structure and the fmt chunk without decoding samples.</summary>
    public static WavLayout ReadLayout(ReadOnlySpan<byte> data, string name) => ReadLayout(data, name, data.Length, inMemory: true);

    /// <summary>The layout of a file of <paramref name="fileLength"/> bytes from its first bytes <paramref name="data"/>,
    /// which must hold every chunk header up to the data chunk's (else <see cref="HeaderBeyondPrefixException"/>);
    /// <paramref name="inMemory"/> refuses data larger than one array.</summary>
    internal static WavLayout ReadLayout(ReadOnlySpan<byte> data, string name, long fileLength, bool inMemory)
    {
        if (data.Length < 12)
            throw new AudioFormatException(name, $"truncated header: {data.Length} bytes, a WAV header needs at least 12");
        var isRf64 = data[..4].SequenceEqual("RF64"u8);
        if (!(isRf64 || data[..4].SequenceEqual("RIFF"u8)) || !data.Slice(8, 4).SequenceEqual("WAVE"u8))
            throw new AudioFormatException(name, $"not a WAV file: expected \"RIFF\"/\"RF64\" ... \"WAVE\", found {AudioFile.DescribeMagic(data)}");

        ReadOnlySpan<byte> fmt = default;
        var haveFmt = false;
        int dataOffset = -1;
        long dataBytes = 0;
        long ds64DataSize = -1;
        long claimedDataBytes = -1;
        long pos = 12;
        while (pos + 8 <= fileLength)
        {
            if (pos + 8 > data.Length)
            {
                if (haveFmt && dataOffset >= 0) break;   // chunks after the data (a file read in chunks)
                throw new HeaderBeyondPrefixException();
            }
            var id = data.Slice((int)pos, 4);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(data[((int)pos + 4)..]);
            long bodyStart = pos + 8;
            long available = fileLength - bodyStart;
            if (id.SequenceEqual("data"u8))
            {
                if (isRf64 && size == 0xFFFFFFFF && ds64DataSize >= 0) size = ds64DataSize;
                // Streamed writers leave 0 or 0xFFFFFFFF; a size past the end means a truncated file: take what is there.
                var toEnd = size == 0 || size == 0xFFFFFFFF || size > available;
                if (bodyStart > int.MaxValue) throw new HeaderBeyondPrefixException();
                dataOffset = (int)bodyStart;
                dataBytes = toEnd ? available : size;
                if (size > available && size != 0xFFFFFFFF) claimedDataBytes = size;
                if (toEnd) break;
            }
            else if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16 || size > available)
                    throw new AudioFormatException(name, $"fmt chunk of {size} bytes ({available} left in the file), expected at least 16");
                if (bodyStart + size > data.Length) throw new HeaderBeyondPrefixException();
                fmt = data.Slice((int)bodyStart, (int)size);
                haveFmt = true;
            }
            else if (isRf64 && id.SequenceEqual("ds64"u8) && size >= 16 && size <= available)
            {
                if (bodyStart + 16 > data.Length) throw new HeaderBeyondPrefixException();
                // ds64: RIFF size (8 bytes), data size (8 bytes), sample count (8 bytes), table...
                var value = BinaryPrimitives.ReadUInt64LittleEndian(data[((int)bodyStart + 8)..]);
                ds64DataSize = value > long.MaxValue ? long.MaxValue : (long)value;
            }
            pos = bodyStart + size + (size & 1);
        }
        if (!haveFmt) throw new AudioFormatException(name, "no fmt chunk before the end of the file");
        if (dataOffset < 0) throw new AudioFormatException(name, "no data chunk");
        var layout = ParseFormat(fmt, name, dataOffset, dataBytes, inMemory);
        return claimedDataBytes < 0 || layout.BytesPerFrame == 0 ? layout
            : layout with { Truncation = new Truncation(claimedDataBytes / layout.BytesPerFrame, layout.Frames) };
    }

    /// <summary>A chunk header before the data lies past the bytes read so far.</summary>
    internal sealed class HeaderBeyondPrefixException() : Exception("WAV header beyond the bytes read");

    static WavLayout ParseFormat(ReadOnlySpan<byte> fmt, string name, int dataOffset, long dataBytes, bool inMemory)
    {
        int tag = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
        int channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt[2..]);
        uint sampleRate = BinaryPrimitives.ReadUInt32LittleEndian(fmt[4..]);
        int bits = BinaryPrimitives.ReadUInt16LittleEndian(fmt[14..]);
        int validBits = bits;
        var extensible = tag == FormatExtensible;
        if (extensible)
        {
            if (fmt.Length < 40)
                throw new AudioFormatException(name, $"WAVE_FORMAT_EXTENSIBLE fmt chunk of {fmt.Length} bytes, expected 40");
            validBits = BinaryPrimitives.ReadUInt16LittleEndian(fmt[18..]);
            var guid = fmt.Slice(24, 16);
            tag = guid[2..].SequenceEqual(SubFormatGuidTail) ? BinaryPrimitives.ReadUInt16LittleEndian(guid) : -1;
            if (validBits == 0 || validBits > bits) validBits = bits;
        }
        if (channels == 0) throw new AudioFormatException(name, "zero channels in the fmt chunk");
        if (sampleRate == 0 || sampleRate > int.MaxValue)
            throw new AudioFormatException(name, $"sample rate {sampleRate} Hz, expected 1 to {int.MaxValue}");

        var format = tag switch { FormatPcm => WavSampleFormat.Pcm, FormatFloat => WavSampleFormat.Float, _ => WavSampleFormat.Other };
        if (format == WavSampleFormat.Pcm && bits is not (8 or 16 or 24 or 32))
            throw new AudioFormatException(name, $"integer PCM with {bits} bits per sample, expected 8, 16, 24 or 32");
        if (format == WavSampleFormat.Float && bits is not (32 or 64))
            throw new AudioFormatException(name, $"float samples of {bits} bits, expected 32 or 64");
        if (format == WavSampleFormat.Other)
            return new WavLayout(format, tag, channels, (int)sampleRate, bits, validBits, extensible, dataOffset, dataBytes);

        int frameBytes = channels * (bits / 8);
        long wholeFrames = dataBytes / frameBytes;
        if (inMemory && wholeFrames * channels > Array.MaxLength)
            throw new AudioFormatException(name, $"{wholeFrames} frames of {channels} channels exceed the largest array ({Array.MaxLength} samples)");
        return new WavLayout(format, tag, channels, (int)sampleRate, bits, validBits, extensible, dataOffset, wholeFrames * frameBytes);
    }

    static float[] DecodeSamples(ReadOnlySpan<byte> bytes, WavLayout layout, string name)
    {
        var samples = new float[bytes.Length / (layout.BitsPerSample / 8)];
        DecodeSamples(bytes, layout, name, samples, firstFrame: 0);
        return samples;
    }

    /// <summary>Samples of <paramref name="bytes"/> (whole frames, starting at frame <paramref name="firstFrame"/> of the
    /// file) into <paramref name="samples"/>.</summary>
    internal static void DecodeSamples(ReadOnlySpan<byte> bytes, WavLayout layout, string name, Span<float> samples, long firstFrame)
    {
        switch (layout.Format, layout.BitsPerSample)
        {
            case (WavSampleFormat.Pcm, 8):
                for (int i = 0; i < samples.Length; i++) samples[i] = (bytes[i] - 128) * (1f / 128);
                break;
            case (WavSampleFormat.Pcm, 16):
                for (int i = 0; i < samples.Length; i++)
                    samples[i] = BinaryPrimitives.ReadInt16LittleEndian(bytes[(2 * i)..]) * (1f / 32768);
                break;
            case (WavSampleFormat.Pcm, 24):
                for (int i = 0, j = 0; i < samples.Length; i++, j += 3)
                    samples[i] = (bytes[j] | (bytes[j + 1] << 8) | ((sbyte)bytes[j + 2] << 16)) * (1f / 8388608);
                break;
            case (WavSampleFormat.Pcm, 32):
                for (int i = 0; i < samples.Length; i++)
                    samples[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]) * (1f / 2147483648);
                break;
            case (WavSampleFormat.Float, 32):
                for (int i = 0; i < samples.Length; i++)
                    samples[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                break;
            case (WavSampleFormat.Float, 64):
                for (int i = 0; i < samples.Length; i++)
                    samples[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..]);
                break;
            default:
                throw new AudioFormatException(name, $"unsupported WAV layout {layout.Format} {layout.BitsPerSample}-bit");
        }
        if (layout.Format == WavSampleFormat.Float) RequireFinite(samples, layout.Channels, name, firstFrame);
    }

    /// <summary>NaN or infinite samples poison every feature computed from them, so they are refused here.</summary>
    internal static void RequireFinite(ReadOnlySpan<float> samples, int channels, string name, long firstFrame = 0)
    {
        for (int i = 0; i < samples.Length; i++)
            if (!float.IsFinite(samples[i]))
                throw new AudioFormatException(name,
                    $"sample {samples[i]} at frame {firstFrame + i / channels}, channel {i % channels}: float audio must be finite");
    }

    /// <summary>Opens a WAV stream (a file, or ffmpeg's output) for reading in chunks; <paramref name="length"/> is the
    /// stream's length when known (a file), else null (a pipe: the data runs to the end). Null when the header is not
    /// within the first bytes read, or the encoding is not PCM or float (the caller decodes those whole).</summary>
    internal static WavStreamReader? OpenStream(Stream stream, string name, long? length, AudioContainer container) =>
        OpenStream(stream, name, length, container, out _);

    /// <param name="format">the header's sample format (<see cref="WavSampleFormat.Other"/>, with null returned, for an
    /// encoding only ffmpeg decodes); null when the header was beyond the first bytes</param>
    internal static WavStreamReader? OpenStream(Stream stream, string name, long? length, AudioContainer container, out WavSampleFormat? format)
    {
        format = null;
        var prefix = new byte[(int)Math.Min(length ?? WavStreamReader.HeaderBytes, WavStreamReader.HeaderBytes)];
        var read = stream.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false);
        WavLayout layout;
        try { layout = ReadLayout(prefix.AsSpan(0, read), name, length ?? long.MaxValue, inMemory: false); }
        catch (HeaderBeyondPrefixException) when (length is not null) { return null; }
        catch (HeaderBeyondPrefixException) { throw new AudioFormatException(name, $"no WAV data chunk in the first {read} bytes"); }
        format = layout.Format;
        if (layout.Format == WavSampleFormat.Other) return null;
        return new WavStreamReader(stream, name, layout, prefix.AsSpan(layout.DataOffset, Math.Max(0, read - layout.DataOffset)), length is null, container);
    }
}

/// <summary>PCM or float WAV samples read in chunks from a stream positioned after the first bytes (whose data part is
/// <c>pending</c>); <c>toEnd</c> reads to the end of the stream whatever the header says (ffmpeg's streamed WAV).</summary>
sealed class WavStreamReader : AudioStreamReader
{
    /// <summary>Bytes read for the header (chunks before the data: fmt, LIST, ...).</summary>
    public const int HeaderBytes = 1 << 16;

    readonly Stream stream;
    readonly WavLayout layout;
    readonly bool toEnd;
    byte[] bytes = new byte[1 << 16];
    int held;
    long remaining, frame;

    internal WavStreamReader(Stream stream, string name, WavLayout layout, ReadOnlySpan<byte> pending, bool toEnd, AudioContainer container)
        : base(name, layout.SampleRate, layout.Channels, container)
    {
        this.stream = stream;
        this.layout = layout;
        this.toEnd = toEnd;
        remaining = toEnd ? long.MaxValue : layout.DataBytes;
        pending = pending[..(int)Math.Min(pending.Length, remaining)];
        if (bytes.Length < pending.Length) bytes = new byte[pending.Length];
        pending.CopyTo(bytes);
        held = pending.Length;
        remaining -= held;
        Truncation = layout.Truncation;
    }

    public override int Read(Span<float> destination)
    {
        var frameBytes = layout.BytesPerFrame;
        var frames = destination.Length / Channels;
        if (frames == 0) throw new ArgumentException($"room for {destination.Length} samples, a frame has {Channels}");
        var want = frames * frameBytes;
        if (bytes.Length < want) Array.Resize(ref bytes, Math.Max(want, held));
        while (held < want && remaining > 0)
        {
            var n = stream.Read(bytes, held, (int)Math.Min(want - held, remaining));
            if (n == 0) break;
            held += n;
            remaining -= n;
        }
        var whole = Math.Min(frames, held / frameBytes);
        if (whole == 0) return 0;   // the end (a partial last frame is dropped, as when the file is read whole)
        var count = whole * Channels;
        WavReader.DecodeSamples(bytes.AsSpan(0, whole * frameBytes), layout, Source, destination[..count], frame);
        frame += whole;
        held -= whole * frameBytes;
        bytes.AsSpan(whole * frameBytes, held).CopyTo(bytes);
        return count;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) stream.Dispose();
    }
}
