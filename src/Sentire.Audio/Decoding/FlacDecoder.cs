using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Sentire.Audio.Decoding;

/// <summary>The STREAMINFO metadata block (RFC 9639 §8.2).</summary>
/// <param name="TotalSamples">Samples per channel, 0 when the encoder did not know.</param>
/// <param name="Md5">MD5 of the decoded samples (little-endian, interleaved, whole bytes); all zero when not computed.</param>
public sealed record FlacStreamInfo(int MinBlockSize, int MaxBlockSize, int MinFrameSize, int MaxFrameSize,
    int SampleRate, int Channels, int BitsPerSample, long TotalSamples, byte[] Md5)
{
    public bool HasMd5 => Md5.Any(b => b != 0);
}

/// <summary>Integer samples of a decoded FLAC stream, interleaved (frame-major), as stored: no scaling.</summary>
public sealed record FlacPcm(int[] Samples, FlacStreamInfo Info)
{
    public int Frames => Samples.Length / Info.Channels;
}

/// <summary>
/// FLAC decoder after RFC 9639 ("Free Lossless Audio Codec", 2024). Per frame (§9): header with CRC-8, one
/// subframe per channel (constant, verbatim, fixed predictor of order 0-4, or LPC of order 1-32 with
/// quantised coefficients, all with optional wasted bits), Rice-coded residuals in 2^p partitions with
/// 4- or 5-bit parameters and escape codes, stereo decorrelation (left/side, side/right, mid/side), and a
/// CRC-16 footer. The MD5 in STREAMINFO is checked over the whole output. Any violation is an
/// <see cref="AudioFormatException"/> naming the byte offset.
/// </summary>
public static class FlacDecoder
{
    /// <summary>Decodes to floats: a sample s of b bits becomes s / 2^(b-1).</summary>
    public static AudioClip Decode(ReadOnlySpan<byte> data, string name, bool verifyMd5 = true)
    {
        var samples = DecodeSamples<float>(data, name, verifyMd5, trace: null, out var info);
        return new AudioClip(samples, info.SampleRate, info.Channels, name, AudioContainer.Flac, info.BitsPerSample);
    }

    /// <summary>The STREAMINFO block of the stream, without decoding audio.</summary>
    public static FlacStreamInfo ReadStreamInfo(ReadOnlySpan<byte> data, string name) => ReadMetadata(data, name, out _);

    /// <summary>Decodes to the integer samples the encoder was given.</summary>
    public static FlacPcm DecodeInt(ReadOnlySpan<byte> data, string name, bool verifyMd5 = true) =>
        DecodeInt(data, name, verifyMd5, trace: null);

    /// <summary>As <see cref="DecodeInt(ReadOnlySpan{byte}, string, bool)"/>, recording the coding features met in <paramref name="trace"/>.</summary>
    internal static FlacPcm DecodeInt(ReadOnlySpan<byte> data, string name, bool verifyMd5, FlacTrace? trace) =>
        new(DecodeSamples<int>(data, name, verifyMd5, trace, out var info), info);

    /// <summary>Decodes to interleaved <typeparamref name="T"/>: int (as stored) or float (s / 2^(bits-1)).</summary>
    static T[] DecodeSamples<T>(ReadOnlySpan<byte> data, string name, bool verifyMd5, FlacTrace? trace, out FlacStreamInfo info)
        where T : unmanaged
    {
        info = ReadMetadata(data, name, out var position);
        int channels = info.Channels;
        long claimed = info.TotalSamples * channels;
        if (claimed > Array.MaxLength)
            throw new AudioFormatException(name, $"STREAMINFO claims {info.TotalSamples} samples of {channels} channels, more than one array can hold ({Array.MaxLength})");
        // Never trust the claim for the allocation: a small file can claim hours. Start from what the file
        // plausibly holds (FLAC rarely compresses below 1/8; about one sample per byte when the length is
        // unknown) and grow by doubling while frames really decode.
        long plausible = (claimed > 0 ? 8L : 1L) * data.Length + 65536L * channels;
        var output = new T[Math.Min(claimed > 0 ? Math.Min(claimed, plausible) : plausible, Array.MaxLength)];
        long written = 0;
        using var frames = new FrameLoop(info, name, verifyMd5, trace);
        int blockSize;
        while ((blockSize = frames.Next(data, 0, ref position)) > 0)
        {
            long needed = written + (long)blockSize * channels;
            if (needed > output.Length)
            {
                if (needed > Array.MaxLength)
                    throw new AudioFormatException(name, $"decoded audio exceeds the largest array ({Array.MaxLength} samples)");
                Array.Resize(ref output, (int)Math.Min(Array.MaxLength, Math.Max(needed, 2L * output.Length)));
            }
            frames.Interleave(output.AsSpan((int)written, blockSize * channels));
            written = needed;
        }
        frames.Finish();
        if (output.Length != written) Array.Resize(ref output, (int)written);
        return output;
    }

    /// <summary>The frames of a stream one at a time, as <see cref="Decode(ReadOnlySpan{byte}, string, bool)"/> reads them
    /// and as <see cref="OpenStream"/> reads them in chunks: sync codes, trailing tags, the STREAMINFO sample count and
    /// the MD5 of the decoded audio are checked the same way.</summary>
    sealed class FrameLoop(FlacStreamInfo info, string name, bool verifyMd5, FlacTrace? trace) : IDisposable
    {
        readonly FrameBuffers buffers = new(info.Channels);
        readonly IncrementalHash? md5 = verifyMd5 && info.HasMd5 ? IncrementalHash.CreateHash(HashAlgorithmName.MD5) : null;
        readonly float scale = 1f / (1L << (info.BitsPerSample - 1));
        byte[] md5Bytes = [];
        int blockSize;

        /// <summary>Sample frames decoded so far, times channels.</summary>
        public long Written { get; private set; }

        long Claimed => info.TotalSamples * info.Channels;

        /// <summary>Whether STREAMINFO gives the length (else the audio ends at a tag or the end of the file).</summary>
        public bool KnowsLength => info.TotalSamples > 0;

        /// <summary>Decodes the frame at data[position..] (data is the file from byte <paramref name="origin"/> on: all of
        /// the rest of it, or more than a frame); returns its block size, 0 when the audio has ended.</summary>
        public int Next(ReadOnlySpan<byte> data, long origin, ref int position)
        {
            if (position >= data.Length) return 0;
            if (info.TotalSamples > 0 && Written >= Claimed) return 0; // trailing bytes (tags, padding) after the last frame
            if (!IsSyncAt(data, position))
            {
                if (info.TotalSamples == 0 && IsTrailingTag(data[position..])) return 0;
                throw new AudioFormatException(name,
                    $"expected a frame sync code (FF F8/F9) at byte {origin + position}, found {Convert.ToHexString(data.Slice(position, Math.Min(2, data.Length - position)))}" +
                    $" after {Written / info.Channels} of {(info.TotalSamples > 0 ? info.TotalSamples.ToString() : "an unknown number of")} samples");
            }
            position = DecodeFrame(data, position, origin, info, buffers, name, trace, out blockSize);
            if (md5 is not null)
            {
                int bytesPerSample = (info.BitsPerSample + 7) / 8;
                var length = blockSize * info.Channels * bytesPerSample;
                if (md5Bytes.Length < length) md5Bytes = new byte[length];
                PackLittleEndian(buffers, blockSize, bytesPerSample, md5Bytes.AsSpan(0, length));
                md5.AppendData(md5Bytes.AsSpan(0, length));
            }
            Written += (long)blockSize * info.Channels;
            return blockSize;
        }

        /// <summary>The last frame decoded, interleaved (blockSize x channels).</summary>
        public void Interleave<T>(Span<T> output) where T : unmanaged => FlacDecoder.Interleave(buffers, blockSize, output, scale);

        /// <summary>The audio has ended: its length against STREAMINFO, and its MD5.</summary>
        public void Finish()
        {
            if (info.TotalSamples > 0 && Written != Claimed)
                throw new AudioFormatException(name, Written < Claimed
                    ? $"truncated: STREAMINFO says {info.TotalSamples} samples per channel, the frames hold {Written / info.Channels}"
                    : $"the frames hold {Written / info.Channels} samples per channel, STREAMINFO says {info.TotalSamples}");
            if (Written == 0) throw new AudioFormatException(name, "no audio frames after the metadata");
            if (md5 is not null)
            {
                Span<byte> digest = stackalloc byte[16];
                md5.GetHashAndReset(digest);
                if (!digest.SequenceEqual(info.Md5))
                    throw new AudioFormatException(name,
                        $"MD5 of the decoded audio is {Convert.ToHexString(digest)}, STREAMINFO says {Convert.ToHexString(info.Md5)}");
            }
        }

        public void Dispose() => md5?.Dispose();
    }

    static bool IsSyncAt(ReadOnlySpan<byte> data, int position) =>
        data.Length - position >= 2 && data[position] == 0xFF && (data[position + 1] & 0xFE) == 0xF8;

    /// <summary>Opens a FLAC stream (positioned at its start) for reading in chunks: the floats of <see cref="Decode"/>,
    /// holding a few megabytes of the file at a time.</summary>
    /// <param name="reserve">bytes held ahead of the next frame: more than the largest frame (tests use less)</param>
    internal static AudioStreamReader OpenStream(Stream stream, string name, int reserve = FlacStreamReader.DefaultReserve) =>
        new FlacStreamReader(stream, name, reserve);

    sealed class FlacStreamReader : AudioStreamReader
    {
        /// <summary>Bytes kept ahead of the next frame: more than the largest frame FLAC allows (65535 samples of 8
        /// channels of 32 bits, uncompressed: 2 MiB).</summary>
        public const int DefaultReserve = 4 << 20;
        /// <summary>Metadata (cover pictures...) up to this long is read before the audio.</summary>
        const int MaxHeaderBytes = 256 << 20;

        readonly Stream stream;
        readonly FrameLoop frames;
        readonly int reserve;
        byte[] data;
        int length, position;
        long origin;
        bool atEnd, finished;
        float[] pending = [];
        int pendingStart, pendingCount;

        public FlacStreamReader(Stream stream, string name, int reserve) : this(stream, name, reserve, ReadHeader(stream, name, reserve)) { }

        FlacStreamReader(Stream stream, string name, int reserve, (FlacStreamInfo Info, byte[] Data, int Length, int Position, bool AtEnd) header)
            : base(name, header.Info.SampleRate, header.Info.Channels, AudioContainer.Flac)
        {
            this.stream = stream;
            this.reserve = reserve;
            (data, length, position, atEnd) = (header.Data, header.Length, header.Position, header.AtEnd);
            frames = new FrameLoop(header.Info, name, verifyMd5: true, trace: null);
        }

        /// <summary>Reads until the metadata is complete (pictures can make it long).</summary>
        static (FlacStreamInfo, byte[], int, int, bool) ReadHeader(Stream stream, string name, int reserve)
        {
            var data = new byte[2 * reserve];
            var length = 0;
            while (true)
            {
                var read = stream.ReadAtLeast(data.AsSpan(length), data.Length - length, throwOnEndOfStream: false);
                length += read;
                var atEnd = length < data.Length;
                try { return (ReadMetadata(data.AsSpan(0, length), name, out var position), data, length, position, atEnd); }
                catch (AudioFormatException) when (!atEnd && data.Length < MaxHeaderBytes) { Array.Resize(ref data, 2 * data.Length); }
            }
        }

        public override int Read(Span<float> destination)
        {
            var written = 0;
            while (destination.Length - written >= Channels)
            {
                if (pendingCount > 0)
                {
                    var n = Math.Min(pendingCount, (destination.Length - written) / Channels * Channels);
                    pending.AsSpan(pendingStart, n).CopyTo(destination[written..]);
                    (pendingStart, pendingCount, written) = (pendingStart + n, pendingCount - n, written + n);
                    continue;
                }
                if (finished) break;
                Fill(reserve);
                // a stream of unknown length may end in a tag, told by the whole rest of the file
                if (!frames.KnowsLength && !IsSyncAt(data.AsSpan(0, length), position)) Fill(int.MaxValue);
                var blockSize = frames.Next(data.AsSpan(0, length), origin, ref position);
                if (blockSize == 0)
                {
                    frames.Finish();
                    finished = true;
                    break;
                }
                if (pending.Length < blockSize * Channels) pending = new float[blockSize * Channels];
                frames.Interleave(pending.AsSpan(0, blockSize * Channels));
                (pendingStart, pendingCount) = (0, blockSize * Channels);
            }
            return written;
        }

        /// <summary>Holds at least <paramref name="ahead"/> bytes past the position, or the rest of the file.</summary>
        void Fill(int ahead)
        {
            if (atEnd || length - position >= ahead) return;
            Array.Copy(data, position, data, 0, length - position);
            origin += position;
            length -= position;
            position = 0;
            while (!atEnd && length - position < ahead)
            {
                if (length == data.Length) Array.Resize(ref data, 2 * data.Length);
                var read = stream.Read(data, length, data.Length - length);
                if (read == 0) atEnd = true;
                length += read;
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (!disposing) return;
            frames.Dispose();
            stream.Dispose();
        }
    }

    /// <summary>"fLaC", then metadata blocks (§8): 1-bit last flag, 7-bit type, 24-bit length; STREAMINFO first.</summary>
    static FlacStreamInfo ReadMetadata(ReadOnlySpan<byte> data, string name, out int position)
    {
        position = AudioFile.SkipId3v2(data);
        if (data.Length - position < 4 || !data.Slice(position, 4).SequenceEqual("fLaC"u8))
            throw new AudioFormatException(name, $"not a FLAC file: expected \"fLaC\", found {AudioFile.DescribeMagic(data[position..])}");
        position += 4;
        FlacStreamInfo? info = null;
        for (bool last = false; !last;)
        {
            if (data.Length - position < 4)
                throw new AudioFormatException(name, $"truncated metadata: block header at byte {position} needs 4 bytes, {data.Length - position} left");
            last = (data[position] & 0x80) != 0;
            int type = data[position] & 0x7F;
            int length = (data[position + 1] << 16) | (data[position + 2] << 8) | data[position + 3];
            position += 4;
            if (length > data.Length - position)
                throw new AudioFormatException(name, $"truncated metadata: block of type {type} claims {length} bytes at byte {position}, only {data.Length - position} left");
            if (type == 127) throw new AudioFormatException(name, $"metadata block type 127 (forbidden) at byte {position - 4}");
            if (info is null)
            {
                if (type != 0) throw new AudioFormatException(name, $"first metadata block has type {type}, expected STREAMINFO (0)");
                info = ParseStreamInfo(data.Slice(position, length), name);
            }
            else if (type == 0) throw new AudioFormatException(name, $"second STREAMINFO block at byte {position - 4}");
            position += length;
        }
        return info!;
    }

    static FlacStreamInfo ParseStreamInfo(ReadOnlySpan<byte> block, string name)
    {
        if (block.Length != 34) throw new AudioFormatException(name, $"STREAMINFO is {block.Length} bytes, expected 34");
        int minBlock = BinaryPrimitives.ReadUInt16BigEndian(block);
        int maxBlock = BinaryPrimitives.ReadUInt16BigEndian(block[2..]);
        int minFrame = (block[4] << 16) | (block[5] << 8) | block[6];
        int maxFrame = (block[7] << 16) | (block[8] << 8) | block[9];
        ulong packed = BinaryPrimitives.ReadUInt64BigEndian(block[10..]);
        // 20 bits sample rate, 3 bits channels-1, 5 bits bits-per-sample-1, 36 bits total samples.
        int sampleRate = (int)(packed >> 44);
        int channels = (int)((packed >> 41) & 7) + 1;
        int bits = (int)((packed >> 36) & 31) + 1;
        long total = (long)(packed & 0xF_FFFF_FFFF);
        if (sampleRate == 0) throw new AudioFormatException(name, "STREAMINFO sample rate is 0 Hz");
        if (bits < 4) throw new AudioFormatException(name, $"STREAMINFO says {bits} bits per sample, expected 4 to 32");
        if (maxBlock != 0 && maxBlock < minBlock)
            throw new AudioFormatException(name, $"STREAMINFO maximum block size {maxBlock} is below the minimum {minBlock}");
        return new FlacStreamInfo(minBlock, maxBlock, minFrame, maxFrame, sampleRate, channels, bits, total, block.Slice(18, 16).ToArray());
    }

    /// <summary>Per-channel sample buffers of one frame; 64-bit so a 32-bit stream's 33-bit side channel fits.</summary>
    sealed class FrameBuffers(int channels)
    {
        public readonly long[][] Channel = Enumerable.Range(0, channels).Select(_ => new long[256]).ToArray();
        public readonly long[] Coefficients = new long[32];

        public Span<long> Get(int channel, int blockSize)
        {
            if (Channel[channel].Length < blockSize) Channel[channel] = new long[blockSize];
            return Channel[channel].AsSpan(0, blockSize);
        }
    }

    enum ChannelAssignment { Independent, LeftSide, SideRight, MidSide }

    /// <summary>Decodes the frame at <paramref name="start"/> into <paramref name="buffers"/>; returns the byte after it.</summary>
    static int DecodeFrame(ReadOnlySpan<byte> data, int start, long origin, FlacStreamInfo info, FrameBuffers buffers, string name, FlacTrace? trace, out int blockSize)
    {
        // Frame header (§9.1): sync(14) reserved(1) blocking(1) | blocksize(4) rate(4) | channels(4) depth(3) reserved(1) | coded number | extras | CRC-8.
        if (data.Length - start < 6) throw Truncated(name, origin + start, "frame header");
        if ((data[start + 1] & 0x02) != 0) throw Corrupt(name, origin + start, "reserved bit in the frame header is set");
        int blockCode = data[start + 2] >> 4;
        int rateCode = data[start + 2] & 0xF;
        int channelCode = data[start + 3] >> 4;
        int depthCode = (data[start + 3] >> 1) & 7;
        if ((data[start + 3] & 1) != 0) throw Corrupt(name, origin + start, "reserved bit after the sample size code is set");
        int pos = start + 4;

        // Coded frame/sample number: UTF-8-like, 1 to 7 bytes.
        int first = data[pos++];
        int extraBytes = first < 0x80 ? 0 : first < 0xC0 ? -1 : first < 0xE0 ? 1 : first < 0xF0 ? 2 : first < 0xF8 ? 3 : first < 0xFC ? 4 : first < 0xFE ? 5 : first == 0xFE ? 6 : -1;
        if (extraBytes < 0) throw Corrupt(name, origin + start, $"invalid first byte 0x{first:X2} of the coded frame number");
        if (data.Length - pos < extraBytes + 3) throw Truncated(name, origin + start, "frame header");
        for (int i = 0; i < extraBytes; i++)
            if ((data[pos++] & 0xC0) != 0x80) throw Corrupt(name, origin + start, "invalid continuation byte in the coded frame number");

        blockSize = blockCode switch
        {
            0 => throw Corrupt(name, origin + start, "block size code 0 is reserved"),
            1 => 192,
            >= 2 and <= 5 => 576 << (blockCode - 2),
            6 => data[pos++] + 1,
            7 => ((data[pos++] << 8) | data[pos++]) + 1,
            _ => 256 << (blockCode - 8),
        };
        if (data.Length - pos < 3) throw Truncated(name, origin + start, "frame header");
        switch (rateCode)
        {
            case 12: pos += 1; break;
            case 13 or 14: pos += 2; break;
            case 15: throw Corrupt(name, origin + start, "sample rate code 15 is invalid");
        }
        int bits = depthCode switch
        {
            0 => info.BitsPerSample,
            1 => 8, 2 => 12, 4 => 16, 5 => 20, 6 => 24, 7 => 32,
            _ => throw Corrupt(name, origin + start, "sample size code 3 is reserved"),
        };
        if (bits != info.BitsPerSample)
            throw Corrupt(name, origin + start, $"frame has {bits} bits per sample, STREAMINFO says {info.BitsPerSample}");
        int channels;
        ChannelAssignment assignment;
        if (channelCode < 8) { channels = channelCode + 1; assignment = ChannelAssignment.Independent; }
        else if (channelCode <= 10) { channels = 2; assignment = (ChannelAssignment)(channelCode - 7); }
        else throw Corrupt(name, origin + start, $"channel assignment {channelCode} is reserved");
        if (channels != info.Channels)
            throw Corrupt(name, origin + start, $"frame has {channels} channels, STREAMINFO says {info.Channels}");
        if (pos >= data.Length) throw Truncated(name, origin + start, "frame header");
        var headerCrc = FlacCrc.Crc8(data[start..pos]);
        if (headerCrc != data[pos])
            throw Corrupt(name, origin + start, $"frame header CRC-8 is 0x{data[pos]:X2}, computed 0x{headerCrc:X2}");
        pos++;
        if (trace is not null)
        {
            trace.Saw(assignment.ToString());
            trace.Saw((data[start + 1] & 1) != 0 ? "variable-blocksize" : "fixed-blocksize");
            trace.BlockSizes.Add(blockSize);
        }

        var reader = new FlacBitReader(data, (long)pos * 8);
        for (int c = 0; c < channels; c++)
        {
            // The side channel carries one extra bit (it is a difference of two channels).
            bool isSide = (assignment == ChannelAssignment.LeftSide && c == 1) || (assignment == ChannelAssignment.SideRight && c == 0)
                          || (assignment == ChannelAssignment.MidSide && c == 1);
            DecodeSubframe(ref reader, buffers.Get(c, blockSize), bits + (isSide ? 1 : 0), buffers.Coefficients, name, origin + start, c, trace);
        }
        reader.AlignToByte();
        int crcPos = reader.BytePosition;
        if (reader.IsPastEnd || data.Length - crcPos < 2) throw Truncated(name, origin + start, "frame");
        var frameCrc = FlacCrc.Crc16(data[start..crcPos]);
        var storedCrc = BinaryPrimitives.ReadUInt16BigEndian(data[crcPos..]);
        if (frameCrc != storedCrc)
            throw Corrupt(name, origin + start, $"frame CRC-16 is 0x{storedCrc:X4}, computed 0x{frameCrc:X4}");

        if (assignment != ChannelAssignment.Independent)
            Decorrelate(assignment, buffers.Get(0, blockSize), buffers.Get(1, blockSize));
        return crcPos + 2;
    }

    /// <summary>Stereo decorrelation (§9.3.2.1-3): right = left - side; left = side + right;
    /// mid/side: mid = 2·mid + (side &amp; 1), left = (mid + side) / 2, right = (mid - side) / 2.</summary>
    static void Decorrelate(ChannelAssignment assignment, Span<long> first, Span<long> second)
    {
        switch (assignment)
        {
            case ChannelAssignment.LeftSide:
                for (int i = 0; i < second.Length; i++) second[i] = first[i] - second[i];
                break;
            case ChannelAssignment.SideRight:
                for (int i = 0; i < first.Length; i++) first[i] += second[i];
                break;
            case ChannelAssignment.MidSide:
                for (int i = 0; i < first.Length; i++)
                {
                    long side = second[i];
                    long mid = (first[i] << 1) | (side & 1);
                    first[i] = (mid + side) >> 1;
                    second[i] = (mid - side) >> 1;
                }
                break;
        }
    }

    /// <summary>Subframe (§9.2): zero bit, 6-bit type, wasted-bits flag with unary count, then the body.</summary>
    static void DecodeSubframe(ref FlacBitReader reader, Span<long> output, int bits, long[] coefficients, string name, long frameStart, int channel, FlacTrace? trace)
    {
        if (reader.ReadBits(1) != 0) throw Corrupt(name, frameStart, $"subframe {channel} padding bit is set");
        int type = (int)reader.ReadBits(6);
        int wasted = 0;
        if (reader.ReadBits(1) == 1)
        {
            long zeros = reader.ReadUnary();
            if (zeros + 1 >= bits) throw Corrupt(name, frameStart, $"subframe {channel} has {zeros + 1} wasted bits of {bits}");
            wasted = (int)zeros + 1;
            trace?.Saw("wasted-bits");
        }
        trace?.Saw(type switch { 0 => "constant", 1 => "verbatim", >= 8 and <= 12 => "fixed", >= 32 => "lpc", _ => "reserved" });
        bits -= wasted;
        int blockSize = output.Length;

        if (type == 0)
        {
            output.Fill(reader.ReadSigned(bits));
        }
        else if (type == 1)
        {
            for (int i = 0; i < blockSize; i++) output[i] = reader.ReadSigned(bits);
        }
        else if (type is >= 8 and <= 12)
        {
            int order = type - 8;
            if (order > blockSize) throw Corrupt(name, frameStart, $"fixed predictor of order {order} in a block of {blockSize}");
            for (int i = 0; i < order; i++) output[i] = reader.ReadSigned(bits);
            DecodeResidual(ref reader, output, order, name, frameStart, channel, trace);
            RestoreFixed(output, order);
        }
        else if (type >= 32)
        {
            int order = type - 31;
            if (order > blockSize) throw Corrupt(name, frameStart, $"LPC of order {order} in a block of {blockSize}");
            for (int i = 0; i < order; i++) output[i] = reader.ReadSigned(bits);
            int precision = (int)reader.ReadBits(4) + 1;
            if (precision == 16) throw Corrupt(name, frameStart, $"subframe {channel}: coefficient precision code 15 is invalid");
            int shift = (int)reader.ReadSigned(5);
            if (shift < 0) throw Corrupt(name, frameStart, $"subframe {channel}: negative LPC shift {shift}");
            var coefs = coefficients.AsSpan(0, order);
            for (int i = 0; i < order; i++) coefs[i] = reader.ReadSigned(precision);
            DecodeResidual(ref reader, output, order, name, frameStart, channel, trace);
            RestoreLpc(output, coefs, shift);
        }
        else throw Corrupt(name, frameStart, $"subframe {channel} type {type} is reserved");

        if (reader.IsPastEnd) throw Truncated(name, frameStart, $"subframe {channel}");
        if (wasted > 0)
            for (int i = 0; i < blockSize; i++) output[i] <<= wasted;
    }

    /// <summary>Residual (§9.2.7): 2-bit coding method (4- or 5-bit Rice parameters), 4-bit partition order,
    /// then per partition a parameter or the escape code followed by a 5-bit raw width.</summary>
    static void DecodeResidual(ref FlacBitReader reader, Span<long> output, int order, string name, long frameStart, int channel, FlacTrace? trace)
    {
        int method = (int)reader.ReadBits(2);
        if (method > 1) throw Corrupt(name, frameStart, $"subframe {channel}: residual coding method {method} is reserved");
        int parameterBits = method == 0 ? 4 : 5;
        int escape = method == 0 ? 15 : 31;
        trace?.Saw(method == 0 ? "rice" : "rice2");
        int partitionOrder = (int)reader.ReadBits(4);
        int blockSize = output.Length;
        int partitionSize = blockSize >> partitionOrder;
        if ((partitionSize << partitionOrder) != blockSize || partitionSize < order)
            throw Corrupt(name, frameStart,
                $"subframe {channel}: partition order {partitionOrder} does not fit a block of {blockSize} with predictor order {order}");
        int index = order;
        for (int p = 0; p < 1 << partitionOrder; p++)
        {
            int count = p == 0 ? partitionSize - order : partitionSize;
            int parameter = (int)reader.ReadBits(parameterBits);
            var part = output.Slice(index, count);
            if (parameter == escape)
            {
                int rawBits = (int)reader.ReadBits(5);
                trace?.Saw("escape");
                for (int i = 0; i < count; i++) part[i] = reader.ReadSigned(rawBits);
            }
            else reader.ReadRice(part, parameter);
            if (reader.IsPastEnd) throw Truncated(name, frameStart, $"subframe {channel} residual");
            index += count;
        }
    }

    /// <summary>Fixed polynomial predictors (§9.2.5): the order-k prediction is the k-th order extrapolation
    /// of the previous k samples; the residual is added in place.</summary>
    static void RestoreFixed(Span<long> s, int order)
    {
        switch (order)
        {
            case 1: for (int i = 1; i < s.Length; i++) s[i] += s[i - 1]; break;
            case 2: for (int i = 2; i < s.Length; i++) s[i] += 2 * s[i - 1] - s[i - 2]; break;
            case 3: for (int i = 3; i < s.Length; i++) s[i] += 3 * s[i - 1] - 3 * s[i - 2] + s[i - 3]; break;
            case 4: for (int i = 4; i < s.Length; i++) s[i] += 4 * s[i - 1] - 6 * s[i - 2] + 4 * s[i - 3] - s[i - 4]; break;
        }
    }

    /// <summary>LPC (§9.2.6): s[i] = residual[i] + (Σ_j c[j]·s[i-1-j]) >> shift, summed in 64 bits.
    /// The hot loop of the decoder. Orders up to 12 (all that <c>flac -0</c> to <c>-8</c> write) run one kernel with
    /// 12 coefficients held in registers, the missing ones zero, once 12 samples of history exist; higher orders
    /// and the first samples take the plain loop. Pointers, so no bounds checks.</summary>
    static unsafe void RestoreLpc(Span<long> s, ReadOnlySpan<long> c, int shift)
    {
        const int KernelOrder = 12;
        int order = c.Length, n = s.Length;
        int plainEnd = order <= KernelOrder ? Math.Min(n, KernelOrder) : n;
        fixed (long* samples = s)
        fixed (long* coefficients = c)
        {
            for (long* p = samples + order, end = samples + plainEnd; p < end; p++)
            {
                long sum = 0;
                for (int j = 0; j < order; j++) sum += coefficients[j] * p[-1 - j];
                *p += sum >> shift;
            }
            if (plainEnd == n) return;
            Span<long> padded = stackalloc long[KernelOrder];
            c.CopyTo(padded);
            long c0 = padded[0], c1 = padded[1], c2 = padded[2], c3 = padded[3], c4 = padded[4], c5 = padded[5],
                 c6 = padded[6], c7 = padded[7], c8 = padded[8], c9 = padded[9], c10 = padded[10], c11 = padded[11];
            for (long* p = samples + KernelOrder, end = samples + n; p < end; p++)
            {
                long sum = c0 * p[-1] + c1 * p[-2] + c2 * p[-3] + c3 * p[-4] + c4 * p[-5] + c5 * p[-6]
                         + c6 * p[-7] + c7 * p[-8] + c8 * p[-9] + c9 * p[-10] + c10 * p[-11] + c11 * p[-12];
                *p += sum >> shift;
            }
        }
    }

    /// <summary>Channel buffers to interleaved output: ints as they are, or floats scaled by <paramref name="scale"/>
    /// (the type test is resolved when the method is compiled for each T).</summary>
    static void Interleave<T>(FrameBuffers buffers, int blockSize, Span<T> output, float scale) where T : unmanaged
    {
        int channels = buffers.Channel.Length;
        for (int c = 0; c < channels; c++)
        {
            var source = buffers.Channel[c].AsSpan(0, blockSize);
            if (typeof(T) == typeof(int))
            {
                var ints = MemoryMarshal.Cast<T, int>(output);
                for (int i = 0, o = c; i < source.Length; i++, o += channels) ints[o] = (int)source[i];
            }
            else
            {
                var floats = MemoryMarshal.Cast<T, float>(output);
                for (int i = 0, o = c; i < source.Length; i++, o += channels) floats[o] = (int)source[i] * scale;
            }
        }
    }

    /// <summary>The byte layout the MD5 covers: samples interleaved, each little-endian in ceil(bits/8) bytes.</summary>
    static void PackLittleEndian(FrameBuffers buffers, int blockSize, int bytesPerSample, Span<byte> output)
    {
        int channels = buffers.Channel.Length;
        for (int c = 0; c < channels; c++)
        {
            var source = buffers.Channel[c].AsSpan(0, blockSize);
            int stride = channels * bytesPerSample;
            switch (bytesPerSample)
            {
                case 1:
                    for (int i = 0, o = c; i < source.Length; i++, o += stride) output[o] = (byte)source[i];
                    break;
                case 2:
                    for (int i = 0, o = 2 * c; i < source.Length; i++, o += stride) BinaryPrimitives.WriteInt16LittleEndian(output[o..], (short)source[i]);
                    break;
                case 3:
                    for (int i = 0, o = 3 * c; i < source.Length; i++, o += stride)
                    {
                        output[o] = (byte)source[i]; output[o + 1] = (byte)(source[i] >> 8); output[o + 2] = (byte)(source[i] >> 16);
                    }
                    break;
                default:
                    for (int i = 0, o = 4 * c; i < source.Length; i++, o += stride) BinaryPrimitives.WriteInt32LittleEndian(output[o..], (int)source[i]);
                    break;
            }
        }
    }

    /// <summary>ID3v1 ("TAG", 128 bytes) or APE tags some tools append after the last frame.</summary>
    static bool IsTrailingTag(ReadOnlySpan<byte> rest) =>
        rest.StartsWith("TAG"u8) || rest.StartsWith("APETAGEX"u8) || rest.IndexOfAnyExcept((byte)0) < 0;

    static AudioFormatException Truncated(string name, long frameStart, string what) =>
        new(name, $"truncated: {what} of the frame at byte {frameStart} runs past the end of the file");

    static AudioFormatException Corrupt(string name, long frameStart, string reason) =>
        new(name, $"corrupt frame at byte {frameStart}: {reason}");
}

/// <summary>Which FLAC coding features a decode met (for tests that must prove a feature was exercised).</summary>
internal sealed class FlacTrace
{
    public HashSet<string> Features { get; } = [];
    public HashSet<int> BlockSizes { get; } = [];
    public void Saw(string feature) => Features.Add(feature);
}
