using System.Buffers.Binary;
using Concentus;

namespace Sentire.Audio.Decoding;

/// <summary>
/// Ogg Opus files (RFC 7845) decoded in process: the Ogg pages (RFC 3533; CRC-32 of polynomial 0x04C11DB7 checked) are
/// demuxed into packets here, the Opus packets (RFC 6716) are decoded by Concentus at 48 kHz. Per RFC 7845: the first
/// packet is the "OpusHead" header (channels, pre-skip, output gain; channel mapping family 0, i.e. mono or stereo), the
/// second "OpusTags"; the decoder's first pre-skip samples are dropped and the last page's granule position (in 48 kHz
/// samples, pre-skip included) ends the stream; the output gain (Q7.8 dB) is applied. One logical stream (no chaining).
/// </summary>
public static class OggOpusDecoder
{
    /// <summary>Opus always decodes at 48 kHz here (RFC 7845: granule positions count 48 kHz samples).</summary>
    public const int SampleRate = 48000;
    const int MaxFrameSamples = 5760;   // 120 ms at 48 kHz, the longest Opus packet

    /// <summary>True when <paramref name="header"/> starts an Ogg page whose first packet is an OpusHead.</summary>
    public static bool IsOggOpus(ReadOnlySpan<byte> header) =>
        header.Length >= 36 && header[..4].SequenceEqual("OggS"u8) && header.Slice(28, 8).SequenceEqual("OpusHead"u8);

    /// <summary>Decodes a whole Ogg Opus file held in memory; <paramref name="name"/> names it in errors.</summary>
    /// <exception cref="AudioFormatException">Not Ogg Opus, corrupt, or of an unsupported layout; the message says why.</exception>
    public static AudioClip Decode(ReadOnlySpan<byte> data, string name)
    {
        var packets = new List<(byte[] Packet, long Granule)>();
        long lastGranule = -1;
        uint serial = 0;
        var partial = new List<byte>();
        int offset = 0, page = 0;
        while (offset < data.Length)
        {
            if (data.Length - offset < 27 || !data.Slice(offset, 4).SequenceEqual("OggS"u8))
                throw new AudioFormatException(name, $"Ogg page {page} at byte {offset}: no 'OggS' capture pattern (truncated or not an Ogg file)");
            var h = data.Slice(offset, 27);
            if (h[4] != 0) throw new AudioFormatException(name, $"Ogg page {page}: stream structure version {h[4]}, expected 0");
            byte flags = h[5];
            long granule = BinaryPrimitives.ReadInt64LittleEndian(h[6..]);
            uint pageSerial = BinaryPrimitives.ReadUInt32LittleEndian(h[14..]);
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(h[22..]);
            int segments = h[26];
            if (data.Length - offset < 27 + segments)
                throw new AudioFormatException(name, $"Ogg page {page}: truncated segment table");
            var lacing = data.Slice(offset + 27, segments);
            int bodyLength = 0;
            foreach (var l in lacing) bodyLength += l;
            int pageLength = 27 + segments + bodyLength;
            if (data.Length - offset < pageLength)
                throw new AudioFormatException(name, $"Ogg page {page}: truncated ({data.Length - offset} of {pageLength} bytes)");
            if (OggCrc(data.Slice(offset, pageLength)) != crc)
                throw new AudioFormatException(name, $"Ogg page {page}: CRC mismatch (corrupt file)");
            if (page == 0) serial = pageSerial;
            else if (pageSerial != serial)
                throw new AudioFormatException(name, $"Ogg page {page}: a second logical stream (serial {pageSerial:x8}); multiplexed or chained Ogg files are not supported");
            if ((flags & 1) == 0 && partial.Count > 0)
                throw new AudioFormatException(name, $"Ogg page {page}: a packet continues from the previous page but the page is not marked as a continuation");
            var body = data.Slice(offset + 27 + segments, bodyLength);
            int at = 0;
            foreach (var l in lacing)
            {
                partial.AddRange(body.Slice(at, l));
                at += l;
                if (l < 255)
                {
                    packets.Add((partial.ToArray(), granule));
                    partial.Clear();
                }
            }
            if (granule != -1) lastGranule = granule;
            offset += pageLength;
            page++;
        }
        if (packets.Count < 2) throw new AudioFormatException(name, $"Ogg Opus stream with {packets.Count} packets: the OpusHead and OpusTags headers are missing");

        var head = packets[0].Packet;
        if (head.Length < 19 || !head.AsSpan(0, 8).SequenceEqual("OpusHead"u8))
            throw new AudioFormatException(name, "first Ogg packet is not an OpusHead header (not an Ogg Opus file)");
        if (head[8] >> 4 != 0) throw new AudioFormatException(name, $"OpusHead version {head[8]} is not supported (major version 0 expected)");
        int channels = head[9];
        int preSkip = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(10));
        short gainQ8 = BinaryPrimitives.ReadInt16LittleEndian(head.AsSpan(16));
        int mapping = head[18];
        if (mapping != 0 || channels is < 1 or > 2)
            throw new AudioFormatException(name, $"Opus channel mapping family {mapping} with {channels} channels: only mono and stereo (family 0) are supported");
        if (!packets[1].Packet.AsSpan().StartsWith("OpusTags"u8))
            throw new AudioFormatException(name, "second Ogg packet is not an OpusTags header");

        using var decoder = OpusCodecFactory.CreateDecoder(SampleRate, channels);
        var pcm = new List<float>();
        var frame = new float[MaxFrameSamples * channels];
        for (int i = 2; i < packets.Count; i++)
        {
            int samples;
            try { samples = decoder.Decode(packets[i].Packet, frame, MaxFrameSamples, false); }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new AudioFormatException(name, $"Opus packet {i - 2} could not be decoded: {e.Message}", e);
            }
            if (samples < 0) throw new AudioFormatException(name, $"Opus packet {i - 2} could not be decoded (error {samples})");
            pcm.AddRange(frame.AsSpan(0, samples * channels));
        }
        // RFC 7845 section 4: drop pre-skip samples at the start; the last granule position (minus pre-skip) is the length
        long decoded = pcm.Count / channels;
        long end = lastGranule < 0 ? decoded : Math.Min(decoded, lastGranule);
        int frames = (int)Math.Max(0, end - preSkip);
        var result = new float[frames * channels];
        if (frames > 0) System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pcm).Slice(preSkip * channels, result.Length).CopyTo(result);
        if (gainQ8 != 0)
        {
            float gain = MathF.Pow(10f, gainQ8 / (20f * 256f));
            System.Numerics.Tensors.TensorPrimitives.Multiply(result, gain, result);
        }
        return new AudioClip(result, SampleRate, channels, name, AudioContainer.OggOpus);
    }

    static readonly uint[] CrcTable = BuildCrcTable();

    static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint r = i << 24;
            for (int k = 0; k < 8; k++) r = (r & 0x80000000) != 0 ? (r << 1) ^ 0x04C11DB7 : r << 1;
            table[i] = r;
        }
        return table;
    }

    /// <summary>Ogg's CRC-32 (polynomial 0x04C11DB7, initial 0, no reflection) of a page with its CRC field as zeros.</summary>
    static uint OggCrc(ReadOnlySpan<byte> page)
    {
        uint crc = 0;
        for (int i = 0; i < page.Length; i++)
        {
            byte b = i is >= 22 and < 26 ? (byte)0 : page[i];
            crc = (crc << 8) ^ CrcTable[(byte)(crc >> 24) ^ b];
        }
        return crc;
    }
}
