using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Sentire.Audio.Decoding;

/// <summary>
/// MSB-first bit reader for FLAC: every read peeks one big-endian 64-bit word at the current byte and shifts
/// out the bits already used, so any read of up to 57 bits is one load. Past the end of the data it reads zeros;
/// callers check <see cref="IsPastEnd"/> after each bounded step (subframe, partition) and fail there.
/// </summary>
internal ref struct FlacBitReader
{
    readonly ReadOnlySpan<byte> data;

    public FlacBitReader(ReadOnlySpan<byte> data, long bitPosition)
    {
        this.data = data;
        BitPosition = bitPosition;
    }

    public long BitPosition;

    public readonly bool IsPastEnd => BitPosition > (long)data.Length * 8;

    public readonly int BytePosition => (int)(BitPosition >> 3);

    /// <summary>The next bits, left-aligned; at least the top 57 are valid.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly ulong Peek64()
    {
        long byteIndex = BitPosition >> 3;
        ulong word = byteIndex <= data.Length - 8
            ? BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref MemoryMarshal.GetReference(data), (nint)byteIndex)))
            : PeekTail(byteIndex);
        return word << (int)(BitPosition & 7);
    }

    readonly ulong PeekTail(long byteIndex)
    {
        ulong word = 0;
        for (long i = byteIndex; i < byteIndex + 8; i++)
            word = (word << 8) | (i < data.Length ? data[(int)i] : 0u);
        return word;
    }

    /// <summary>An unsigned value of <paramref name="bits"/> (0..32) bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadBits(int bits)
    {
        if (bits == 0) return 0;
        var value = (uint)(Peek64() >> (64 - bits));
        BitPosition += bits;
        return value;
    }

    /// <summary>A two's-complement value of <paramref name="bits"/> (0..57) bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long ReadSigned(int bits)
    {
        if (bits == 0) return 0;
        var value = (long)Peek64() >> (64 - bits);
        BitPosition += bits;
        return value;
    }

    /// <summary>Counts zero bits up to and including the terminating one (a unary code), returning the zeros.
    /// Stops with a huge count rather than loop when the data ends.</summary>
    public long ReadUnary()
    {
        long zeros = 0;
        while (true)
        {
            var word = Peek64();
            if (word != 0)
            {
                int leading = BitOperations.LeadingZeroCount(word);
                BitPosition += leading + 1;
                return zeros + leading;
            }
            zeros += 56;
            BitPosition += 56;
            if (IsPastEnd) return zeros;
        }
    }

    public void AlignToByte() => BitPosition = (BitPosition + 7) & ~7L;

    /// <summary>
    /// Rice-decodes <paramref name="output"/>.Length residuals with parameter <paramref name="k"/> (RFC 9639 §9.2.7.2):
    /// quotient q in unary, then k low bits; u = q·2^k + low, and the zigzag fold back is (u >> 1) ^ -(u &amp; 1).
    /// </summary>
    public void ReadRice(Span<long> output, int k)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        long fastLimit = data.Length - 8;
        long position = BitPosition;
        for (int i = 0; i < output.Length; i++)
        {
            long byteIndex = position >> 3;
            if (byteIndex > fastLimit) { BitPosition = position; output[i] = ReadRiceSlow(k); position = BitPosition; continue; }
            ulong word = BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, (nint)byteIndex)))
                         << (int)(position & 7);
            int quotient = BitOperations.LeadingZeroCount(word);
            if (quotient + k >= 56) { BitPosition = position; output[i] = ReadRiceSlow(k); position = BitPosition; continue; }
            // (word << q << 1) drops the unary code; >> (63-k) >> 1 keeps k bits and gives 0 when k = 0.
            uint folded = ((uint)quotient << k) | (uint)((word << quotient << 1) >> (63 - k) >> 1);
            position += quotient + 1 + k;
            output[i] = (int)(folded >> 1) ^ -(int)(folded & 1);
        }
        BitPosition = position;
    }

    long ReadRiceSlow(int k)
    {
        var quotient = (ulong)ReadUnary();
        var folded = (uint)((quotient << k) | ReadBits(k));
        return (int)(folded >> 1) ^ -(int)(folded & 1);
    }
}
