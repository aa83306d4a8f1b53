using System.Buffers.Binary;
using System.Security.Cryptography;
using Sentire.Audio.Decoding;

namespace Sentire.Audio.Tests.Decoding;

/// <summary>How a test frame codes its channels (RFC 9639 §9.1.3).</summary>
internal enum StereoMode { Independent, LeftSide, SideRight, MidSide }

/// <summary>How a test subframe is coded; <see cref="Fixed"/> and <see cref="Lpc"/> carry the residual options.</summary>
internal abstract record SubframeCoding
{
    public int WastedBits { get; init; }
    public sealed record Constant : SubframeCoding;
    public sealed record Verbatim : SubframeCoding;
    /// <param name="EscapeBits">When set, every partition is an escape with this raw width.</param>
    public sealed record Fixed(int Order, int PartitionOrder = 0, bool FiveBitParameters = false, int? EscapeBits = null) : SubframeCoding;
    public sealed record Lpc(int[] Coefficients, int Precision, int Shift, int PartitionOrder = 0, bool FiveBitParameters = false, int? EscapeBits = null) : SubframeCoding;
}

/// <summary>One frame to write: per-channel samples (left, right... as the listener gets them) and their coding.</summary>
internal sealed record TestFrame(int[][] Channels, StereoMode Mode, SubframeCoding[] Codings);

/// <summary>
/// A deliberately plain FLAC writer for tests: it writes exactly the subframe types, stereo modes, residual
/// methods, escapes, wasted bits and block sizes it is told to, so every decoder path can be reached with known
/// samples. Not an encoder worth using: it searches nothing.
/// </summary>
internal static class FlacTestEncoder
{
    public static byte[] Write(IReadOnlyList<TestFrame> frames, int sampleRate, int bitsPerSample, bool variableBlockSize = false, bool writeMd5 = true,
        bool writeTotal = true)
    {
        int channels = frames[0].Channels.Length;
        long total = frames.Sum(f => (long)f.Channels[0].Length);
        var body = new BitWriter();
        long sampleNumber = 0;
        for (int index = 0; index < frames.Count; index++)
        {
            WriteFrame(body, frames[index], sampleRate, bitsPerSample, variableBlockSize ? sampleNumber : index, variableBlockSize);
            sampleNumber += frames[index].Channels[0].Length;
        }

        var output = new List<byte>();
        output.AddRange("fLaC"u8.ToArray());
        output.AddRange([0x80, 0, 0, 34]); // last block, STREAMINFO, 34 bytes
        var info = new BitWriter();
        var sizes = frames.Select(f => f.Channels[0].Length).ToArray();
        info.Write((ulong)(variableBlockSize ? sizes.Min() : sizes[0]), 16);
        info.Write((ulong)sizes.Max(), 16);
        info.Write(0, 24);
        info.Write(0, 24);
        info.Write((ulong)sampleRate, 20);
        info.Write((ulong)(channels - 1), 3);
        info.Write((ulong)(bitsPerSample - 1), 5);
        info.Write(writeTotal ? (ulong)total : 0, 36); // 0: unknown, as a streaming encoder leaves it
        output.AddRange(info.ToArray());
        output.AddRange(writeMd5 ? Md5(frames, bitsPerSample) : new byte[16]);
        output.AddRange(body.ToArray());
        return output.ToArray();
    }

    /// <summary>MD5 of the samples, interleaved, little-endian in ceil(bits/8) bytes (what libFLAC hashes).</summary>
    public static byte[] Md5(IReadOnlyList<TestFrame> frames, int bitsPerSample)
    {
        int width = (bitsPerSample + 7) / 8;
        var bytes = new List<byte>();
        Span<byte> sample = stackalloc byte[4];
        foreach (var frame in frames)
            for (int t = 0; t < frame.Channels[0].Length; t++)
                foreach (var channel in frame.Channels)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(sample, channel[t]);
                    bytes.AddRange(sample[..width].ToArray());
                }
        return MD5.HashData(bytes.ToArray());
    }

    static void WriteFrame(BitWriter stream, TestFrame frame, int sampleRate, int bits, long number, bool variable)
    {
        var header = new BitWriter();
        int blockSize = frame.Channels[0].Length;
        header.Write(0b11111111111110, 14);
        header.Write(0, 1);
        header.Write(variable ? 1u : 0u, 1);
        int blockCode = blockSize switch
        {
            192 => 1,
            576 or 1152 or 2304 or 4608 => 2 + (int)Math.Log2(blockSize / 576),
            256 or 512 or 1024 or 2048 or 4096 or 8192 or 16384 or 32768 => 8 + (int)Math.Log2(blockSize / 256),
            <= 256 => 6,
            _ => 7,
        };
        header.Write((ulong)blockCode, 4);
        int rateCode = sampleRate switch { 16000 => 5, 44100 => 9, 48000 => 10, _ => 0 };
        header.Write((ulong)rateCode, 4);
        int channelCode = frame.Mode switch
        {
            StereoMode.LeftSide => 8, StereoMode.SideRight => 9, StereoMode.MidSide => 10, _ => frame.Channels.Length - 1,
        };
        header.Write((ulong)channelCode, 4);
        int depthCode = bits switch { 8 => 1, 12 => 2, 16 => 4, 20 => 5, 24 => 6, 32 => 7, _ => 0 };
        header.Write((ulong)depthCode, 3);
        header.Write(0, 1);
        WriteCodedNumber(header, number);
        if (blockCode == 6) header.Write((ulong)(blockSize - 1), 8);
        if (blockCode == 7) header.Write((ulong)(blockSize - 1), 16);
        var headerBytes = header.ToArray();

        var frameBits = new BitWriter();
        foreach (var b in headerBytes) frameBits.Write(b, 8);
        frameBits.Write(FlacCrc.Crc8(headerBytes), 8);

        var coded = ToCodedChannels(frame);
        for (int c = 0; c < coded.Length; c++)
        {
            bool side = (frame.Mode == StereoMode.LeftSide && c == 1) || (frame.Mode == StereoMode.SideRight && c == 0) || (frame.Mode == StereoMode.MidSide && c == 1);
            WriteSubframe(frameBits, coded[c], bits + (side ? 1 : 0), frame.Codings[c]);
        }
        frameBits.AlignToByte();
        var frameBytes = frameBits.ToArray();
        foreach (var b in frameBytes) stream.Write(b, 8);
        stream.Write(FlacCrc.Crc16(frameBytes), 16);
    }

    static long[][] ToCodedChannels(TestFrame frame)
    {
        var channels = frame.Channels.Select(c => c.Select(s => (long)s).ToArray()).ToArray();
        if (frame.Mode == StereoMode.Independent) return channels;
        var (left, right) = (channels[0], channels[1]);
        var side = left.Zip(right, (l, r) => l - r).ToArray();
        return frame.Mode switch
        {
            StereoMode.LeftSide => [left, side],
            StereoMode.SideRight => [side, right],
            _ => [left.Zip(right, (l, r) => (l + r) >> 1).ToArray(), side],
        };
    }

    static void WriteSubframe(BitWriter w, long[] samples, int bits, SubframeCoding coding)
    {
        int wasted = coding.WastedBits;
        if (wasted > 0)
        {
            if (samples.Any(s => (s & ((1L << wasted) - 1)) != 0)) throw new ArgumentException("samples are not multiples of 2^wasted");
            samples = samples.Select(s => s >> wasted).ToArray();
            bits -= wasted;
        }
        w.Write(0, 1);
        int type = coding switch
        {
            SubframeCoding.Constant => 0,
            SubframeCoding.Verbatim => 1,
            SubframeCoding.Fixed f => 8 + f.Order,
            SubframeCoding.Lpc l => 31 + l.Coefficients.Length,
            _ => throw new ArgumentException(coding.ToString()),
        };
        w.Write((ulong)type, 6);
        if (wasted > 0) { w.Write(1, 1); w.Write(0, wasted - 1); w.Write(1, 1); }
        else w.Write(0, 1);

        switch (coding)
        {
            case SubframeCoding.Constant:
                if (samples.Distinct().Count() != 1) throw new ArgumentException("constant subframe of varying samples");
                w.WriteSigned(samples[0], bits);
                break;
            case SubframeCoding.Verbatim:
                foreach (var s in samples) w.WriteSigned(s, bits);
                break;
            case SubframeCoding.Fixed f:
            {
                for (int i = 0; i < f.Order; i++) w.WriteSigned(samples[i], bits);
                long[][] weights = [[], [1], [2, -1], [3, -3, 1], [4, -6, 4, -1]];
                var residual = Residual(samples, weights[f.Order], 0);
                WriteResidual(w, residual, f.Order, f.PartitionOrder, f.FiveBitParameters, f.EscapeBits);
                break;
            }
            case SubframeCoding.Lpc l:
            {
                int order = l.Coefficients.Length;
                for (int i = 0; i < order; i++) w.WriteSigned(samples[i], bits);
                w.Write((ulong)(l.Precision - 1), 4);
                w.WriteSigned(l.Shift, 5);
                foreach (var c in l.Coefficients) w.WriteSigned(c, l.Precision);
                var residual = Residual(samples, l.Coefficients.Select(c => (long)c).ToArray(), l.Shift);
                WriteResidual(w, residual, order, l.PartitionOrder, l.FiveBitParameters, l.EscapeBits);
                break;
            }
        }
    }

    /// <summary>residual[i] = s[i] - (Σ_j weights[j]·s[i-1-j]) >> shift for i ≥ order.</summary>
    static long[] Residual(long[] s, long[] weights, int shift)
    {
        int order = weights.Length;
        var residual = new long[s.Length];
        for (int i = order; i < s.Length; i++)
        {
            long prediction = 0;
            for (int j = 0; j < order; j++) prediction += weights[j] * s[i - 1 - j];
            residual[i] = s[i] - (prediction >> shift);
        }
        return residual;
    }

    static void WriteResidual(BitWriter w, long[] residual, int order, int partitionOrder, bool fiveBit, int? escapeBits)
    {
        w.Write(fiveBit ? 1u : 0u, 2);
        w.Write((ulong)partitionOrder, 4);
        int partitionSize = residual.Length >> partitionOrder;
        int maxParameter = fiveBit ? 30 : 14;
        for (int p = 0; p < 1 << partitionOrder; p++)
        {
            int start = p == 0 ? order : p * partitionSize;
            var part = residual[start..((p + 1) * partitionSize)];
            if (escapeBits is int raw)
            {
                w.Write(fiveBit ? 31u : 15u, fiveBit ? 5 : 4);
                w.Write((ulong)raw, 5);
                foreach (var r in part) w.WriteSigned(r, raw);
                continue;
            }
            var folded = part.Select(r => (ulong)(r >= 0 ? 2 * r : -2 * r - 1)).ToArray();
            double mean = folded.Length == 0 ? 0 : folded.Average(u => (double)u);
            int k = Math.Clamp(mean < 1 ? 0 : (int)Math.Log2(mean), 0, maxParameter);
            w.Write((ulong)k, fiveBit ? 5 : 4);
            foreach (var u in folded)
            {
                for (ulong q = u >> k; q > 0; q--) w.Write(0, 1);
                w.Write(1, 1);
                w.Write(u & ((1UL << k) - 1), k);
            }
        }
    }

    /// <summary>Frame or sample number in FLAC's UTF-8-like code (up to 36 bits in 7 bytes).</summary>
    static void WriteCodedNumber(BitWriter w, long value)
    {
        if (value < 0x80) { w.Write((ulong)value, 8); return; }
        int continuation = value < 0x800 ? 1 : value < 0x10000 ? 2 : value < 0x200000 ? 3 : value < 0x4000000 ? 4 : value < 0x80000000 ? 5 : 6;
        ulong lead = continuation == 6 ? 0xFE : (0xFFu << (7 - continuation)) & 0xFF;
        w.Write(lead | (ulong)(value >> (6 * continuation)), 8);
        for (int i = continuation - 1; i >= 0; i--) w.Write(0x80 | (ulong)((value >> (6 * i)) & 0x3F), 8);
    }

    sealed class BitWriter
    {
        readonly List<byte> bytes = [];
        ulong accumulator;
        int pending;

        public void Write(ulong value, int count)
        {
            for (int i = count - 1; i >= 0; i--)
            {
                accumulator = (accumulator << 1) | ((value >> i) & 1);
                if (++pending == 8) { bytes.Add((byte)accumulator); accumulator = 0; pending = 0; }
            }
        }

        public void WriteSigned(long value, int count) => Write((ulong)value & (count == 64 ? ulong.MaxValue : (1UL << count) - 1), count);

        public void AlignToByte() { while (pending != 0) Write(0, 1); }

        public byte[] ToArray() { if (pending != 0) throw new InvalidOperationException("not byte-aligned"); return bytes.ToArray(); }
    }
}
