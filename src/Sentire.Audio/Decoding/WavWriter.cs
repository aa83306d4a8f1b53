using System.Buffers.Binary;

namespace Sentire.Audio.Decoding;

/// <summary>Sample encodings <see cref="WavWriter"/> can write.</summary>
public enum WavEncoding
{
    /// <summary>16-bit signed integer PCM: round(x * 32768) clamped to [-32768, 32767].</summary>
    Pcm16,
    /// <summary>32-bit IEEE float, samples stored as they are.</summary>
    Float32,
}

/// <summary>
/// Writes canonical RIFF WAVE files: a 16-byte PCM fmt chunk (or 18-byte float fmt plus a fact chunk, as the
/// specification asks of non-PCM data), WAVE_FORMAT_EXTENSIBLE when there are more than two channels.
/// </summary>
public static class WavWriter
{
    /// <summary>Writes <paramref name="clip"/> to <paramref name="path"/>.</summary>
    public static void Write(string path, AudioClip clip, WavEncoding encoding = WavEncoding.Pcm16) =>
        File.WriteAllBytes(path, ToBytes(clip, encoding));

    /// <summary>The bytes of a WAV file holding <paramref name="clip"/>.</summary>
    public static byte[] ToBytes(AudioClip clip, WavEncoding encoding = WavEncoding.Pcm16)
    {
        ArgumentNullException.ThrowIfNull(clip);
        var bytesPerSample = encoding == WavEncoding.Pcm16 ? 2 : 4;
        var extensible = clip.Channels > 2;
        var isFloat = encoding == WavEncoding.Float32;
        var fmtSize = extensible ? 40 : isFloat ? 18 : 16;
        var factSize = isFloat ? 12 : 0;
        long dataBytes = (long)clip.Samples.Length * bytesPerSample;
        long total = 12 + 8 + fmtSize + factSize + 8 + dataBytes;
        if (total - 8 > uint.MaxValue || total > Array.MaxLength)
            throw new ArgumentException($"{clip.Samples.Length} samples make a {total}-byte WAV, over the 4 GiB RIFF limit", nameof(clip));

        var bytes = new byte[total];
        var span = bytes.AsSpan();
        "RIFF"u8.CopyTo(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], (uint)(total - 8));
        "WAVE"u8.CopyTo(span[8..]);
        "fmt "u8.CopyTo(span[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[16..], (uint)fmtSize);
        var fmt = span.Slice(20, fmtSize);
        var tag = isFloat ? 3 : 1;
        BinaryPrimitives.WriteUInt16LittleEndian(fmt, (ushort)(extensible ? 0xFFFE : tag));
        BinaryPrimitives.WriteUInt16LittleEndian(fmt[2..], (ushort)clip.Channels);
        BinaryPrimitives.WriteUInt32LittleEndian(fmt[4..], (uint)clip.SampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(fmt[8..], (uint)(clip.SampleRate * clip.Channels * bytesPerSample));
        BinaryPrimitives.WriteUInt16LittleEndian(fmt[12..], (ushort)(clip.Channels * bytesPerSample));
        BinaryPrimitives.WriteUInt16LittleEndian(fmt[14..], (ushort)(8 * bytesPerSample));
        if (extensible)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(fmt[16..], 22); // cbSize
            BinaryPrimitives.WriteUInt16LittleEndian(fmt[18..], (ushort)(8 * bytesPerSample)); // valid bits
            BinaryPrimitives.WriteUInt32LittleEndian(fmt[20..], 0); // channel mask: no speaker positions
            BinaryPrimitives.WriteUInt16LittleEndian(fmt[24..], (ushort)tag);
            WavReader.SubFormatGuidTail.CopyTo(fmt[26..]);
        }
        var pos = 20 + fmtSize;
        if (isFloat)
        {
            "fact"u8.CopyTo(span[pos..]);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(pos + 4)..], 4);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(pos + 8)..], (uint)clip.Frames);
            pos += 12;
        }
        "data"u8.CopyTo(span[pos..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(pos + 4)..], (uint)dataBytes);
        var data = span[(pos + 8)..];
        var samples = clip.Samples;
        if (isFloat)
        {
            for (int i = 0; i < samples.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(data[(4 * i)..], samples[i]);
        }
        else
        {
            for (int i = 0; i < samples.Length; i++)
            {
                var scaled = MathF.Round(samples[i] * 32768f);
                var value = float.IsNaN(scaled) ? (short)0 : (short)Math.Clamp(scaled, short.MinValue, short.MaxValue);
                BinaryPrimitives.WriteInt16LittleEndian(data[(2 * i)..], value);
            }
        }
        return bytes;
    }
}
