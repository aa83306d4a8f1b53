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
    public static AudioClip Decode(byte[] data, string name)
    {
        using var reader = OpenStream(new MemoryStream(data, writable: false), name);
        var pcm = new List<float>();
        reader.ReadAll(chunk => pcm.AddRange(chunk));
        return new AudioClip([.. pcm], SampleRate, reader.Channels, name, AudioContainer.OggOpus);
    }

    /// <summary>Opens an Ogg Opus stream (read from its start, disposed with the reader) for decoding in chunks: the
    /// samples of <see cref="Decode"/>, holding one page and the samples decoded past the last page's granule position
    /// (the end trim cannot be known before it), never the file.</summary>
    /// <exception cref="AudioFormatException">Not Ogg Opus, corrupt, or of an unsupported layout; the message says why.</exception>
    public static AudioStreamReader OpenStream(Stream stream, string name)
    {
        var pages = new OggPackets(stream, name);
        var head = pages.Next();
        var tags = head is null ? null : pages.Next();
        if (head is null || tags is null)
            throw new AudioFormatException(name, $"Ogg Opus stream with {(head is null ? 0 : 1) + (tags is null ? 0 : 1)} packets: the OpusHead and OpusTags headers are missing");
        if (head.Length < 19 || !head.AsSpan(0, 8).SequenceEqual("OpusHead"u8))
            throw new AudioFormatException(name, "first Ogg packet is not an OpusHead header (not an Ogg Opus file)");
        if (head[8] >> 4 != 0) throw new AudioFormatException(name, $"OpusHead version {head[8]} is not supported (major version 0 expected)");
        int channels = head[9];
        int preSkip = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(10));
        short gainQ8 = BinaryPrimitives.ReadInt16LittleEndian(head.AsSpan(16));
        int mapping = head[18];
        if (mapping != 0 || channels is < 1 or > 2)
            throw new AudioFormatException(name, $"Opus channel mapping family {mapping} with {channels} channels: only mono and stereo (family 0) are supported");
        if (!tags.AsSpan().StartsWith("OpusTags"u8))
            throw new AudioFormatException(name, "second Ogg packet is not an OpusTags header");
        return new OpusStreamReader(pages, name, channels, preSkip, gainQ8);
    }

    /// <summary>The audio packets decoded in order. Samples are positions of the 48 kHz decoder output, pre-skip included
    /// (RFC 7845 section 4): those before pre-skip are dropped, and the stream ends at the last page's granule position
    /// (or where decoding ends, if sooner). Granule positions never decrease (RFC 3533), so samples before the latest
    /// one seen are final; the ones after it wait for the next page that has one.</summary>
    sealed class OpusStreamReader : AudioStreamReader
    {
        readonly OggPackets pages;
        readonly IOpusDecoder decoder;
        readonly int preSkip;
        readonly float gain;
        readonly bool applyGain;
        readonly float[] frame;
        float[] pending = new float[4 * MaxFrameSamples];
        int pendingStart;
        /// <summary>Positions: the next sample to hand out (its first sample is pending[pendingStart]), and the end of
        /// what has been decoded.</summary>
        long next, decoded;
        int packet;
        bool ended;

        public OpusStreamReader(OggPackets pages, string name, int channels, int preSkip, short gainQ8)
            : base(name, OggOpusDecoder.SampleRate, channels, AudioContainer.OggOpus)
        {
            this.pages = pages;
            this.preSkip = preSkip;
            applyGain = gainQ8 != 0;
            gain = MathF.Pow(10f, gainQ8 / (20f * 256f));
            decoder = OpusCodecFactory.CreateDecoder(OggOpusDecoder.SampleRate, channels);
            frame = new float[MaxFrameSamples * channels];
        }

        public override int Read(Span<float> destination)
        {
            var room = destination.Length / Channels;
            while (true)
            {
                // the samples known to be in the output: before the end (or the latest granule position) and after pre-skip
                var final = Math.Min(decoded, ended ? pages.LastGranule < 0 ? decoded : pages.LastGranule : Math.Max(0, pages.LastGranule));
                if (next < preSkip && decoded > next) Drop(Math.Min(preSkip, decoded) - next);
                if (final > next && next >= preSkip)
                {
                    var n = (int)Math.Min(room, final - next);
                    var samples = pending.AsSpan(pendingStart, n * Channels);
                    if (applyGain) System.Numerics.Tensors.TensorPrimitives.Multiply(samples, gain, destination);
                    else samples.CopyTo(destination);
                    Drop(n);
                    return n * Channels;
                }
                if (ended) return 0;
                var data = pages.Next();
                if (pages.LastGranule >= 0 && pages.LastGranule < next && next > preSkip)
                    throw new AudioFormatException(Source, $"Ogg page {pages.Page - 1}: granule position {pages.LastGranule} is before samples already read ({next}); granule positions must not decrease");
                if (data is null) ended = true;
                else Decode(data);
            }
        }

        void Decode(byte[] data)
        {
            int samples;
            try { samples = decoder.Decode(data, frame, MaxFrameSamples, false); }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new AudioFormatException(Source, $"Opus packet {packet} could not be decoded: {e.Message}", e);
            }
            if (samples < 0) throw new AudioFormatException(Source, $"Opus packet {packet} could not be decoded (error {samples})");
            packet++;
            var held = (int)(decoded - next) * Channels;
            if (pendingStart + held + samples * Channels > pending.Length)
            {
                var target = held + samples * Channels > pending.Length ? new float[2 * (held + samples * Channels)] : pending;
                Array.Copy(pending, pendingStart, target, 0, held);
                pending = target;
                pendingStart = 0;
            }
            frame.AsSpan(0, samples * Channels).CopyTo(pending.AsSpan(pendingStart + held));
            decoded += samples;
        }

        /// <summary>Forgets the next <paramref name="frames"/> frames of samples.</summary>
        void Drop(long frames)
        {
            pendingStart += (int)frames * Channels;
            next += frames;
            if (next == decoded) pendingStart = 0;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                decoder.Dispose();
                pages.Dispose();
            }
        }
    }

    /// <summary>The packets of one logical Ogg stream (RFC 3533), read page by page from a stream: every page's capture
    /// pattern, version, length and CRC checked, one serial number, continued packets joined.</summary>
    sealed class OggPackets(Stream stream, string name) : IDisposable
    {
        readonly Queue<byte[]> ready = new();
        readonly List<byte> partial = [];
        readonly byte[] page = new byte[27 + 255 + 255 * 255];
        long offset;
        uint serial;

        /// <summary>Pages read.</summary>
        public int Page { get; private set; }

        /// <summary>The granule position of the last page read that has one (-1 if none has).</summary>
        public long LastGranule { get; private set; } = -1;

        /// <summary>The next packet, or null at the end of the stream.</summary>
        public byte[]? Next()
        {
            while (ready.Count == 0)
                if (!ReadPage()) return null;
            return ready.Dequeue();
        }

        bool ReadPage()
        {
            var got = stream.ReadAtLeast(page.AsSpan(0, 27), 27, throwOnEndOfStream: false);
            if (got == 0) return false;
            if (got < 27 || !page.AsSpan(0, 4).SequenceEqual("OggS"u8))
                throw new AudioFormatException(name, $"Ogg page {Page} at byte {offset}: no 'OggS' capture pattern (truncated or not an Ogg file)");
            var h = page.AsSpan(0, 27);
            if (h[4] != 0) throw new AudioFormatException(name, $"Ogg page {Page}: stream structure version {h[4]}, expected 0");
            byte flags = h[5];
            long granule = BinaryPrimitives.ReadInt64LittleEndian(h[6..]);
            uint pageSerial = BinaryPrimitives.ReadUInt32LittleEndian(h[14..]);
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(h[22..]);
            int segments = h[26];
            if (stream.ReadAtLeast(page.AsSpan(27, segments), segments, throwOnEndOfStream: false) < segments)
                throw new AudioFormatException(name, $"Ogg page {Page}: truncated segment table");
            var lacing = page.AsSpan(27, segments);
            int bodyLength = 0;
            foreach (var l in lacing) bodyLength += l;
            int pageLength = 27 + segments + bodyLength;
            var body = stream.ReadAtLeast(page.AsSpan(27 + segments, bodyLength), bodyLength, throwOnEndOfStream: false);
            if (body < bodyLength)
                throw new AudioFormatException(name, $"Ogg page {Page}: truncated ({27 + segments + body} of {pageLength} bytes)");
            if (OggCrc(page.AsSpan(0, pageLength)) != crc)
                throw new AudioFormatException(name, $"Ogg page {Page}: CRC mismatch (corrupt file)");
            if (Page == 0) serial = pageSerial;
            else if (pageSerial != serial)
                throw new AudioFormatException(name, $"Ogg page {Page}: a second logical stream (serial {pageSerial:x8}); multiplexed or chained Ogg files are not supported");
            if ((flags & 1) == 0 && partial.Count > 0)
                throw new AudioFormatException(name, $"Ogg page {Page}: a packet continues from the previous page but the page is not marked as a continuation");
            int at = 27 + segments;
            foreach (var l in page.AsSpan(27, segments))
            {
                partial.AddRange(page.AsSpan(at, l));
                at += l;
                if (l < 255)
                {
                    ready.Enqueue([.. partial]);
                    partial.Clear();
                }
            }
            if (granule != -1) LastGranule = granule;
            offset += pageLength;
            Page++;
            return true;
        }

        public void Dispose() => stream.Dispose();
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
