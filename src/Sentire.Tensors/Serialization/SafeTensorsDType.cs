using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Sentire.Tensors.Serialization;

/// <summary>Element types of the safetensors format (the names are the header's "dtype" strings).</summary>
public enum SafeTensorsDType
{
    F32, F16, BF16, F64, I8, I16, I32, I64, U8, BOOL,
}

/// <summary>Sizes, header names and the conversions between stored elements and the engine's float32.</summary>
public static class SafeTensorsDTypes
{
    public static int ElementSize(this SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.F64 or SafeTensorsDType.I64 => 8,
        SafeTensorsDType.F32 or SafeTensorsDType.I32 => 4,
        SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.I16 => 2,
        SafeTensorsDType.I8 or SafeTensorsDType.U8 or SafeTensorsDType.BOOL => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>Parses a header "dtype" string; null for types the engine cannot read (e.g. U16, F8_E4M3).</summary>
    public static SafeTensorsDType? Parse(string name) =>
        Enum.TryParse<SafeTensorsDType>(name, ignoreCase: false, out var d) && Enum.IsDefined(d) && name == d.ToString() ? d : null;

    /// <summary>Converts little-endian stored elements to float32 (integers exactly up to 2^24, BOOL as 0/1).</summary>
    public static void ToSingle(SafeTensorsDType dtype, ReadOnlySpan<byte> source, Span<float> destination)
    {
        if (source.Length != destination.Length * dtype.ElementSize())
            throw new ArgumentException($"{source.Length} bytes of {dtype} do not make {destination.Length} elements");
        switch (dtype)
        {
            case SafeTensorsDType.F32: MemoryMarshal.Cast<byte, float>(source).CopyTo(destination); break;
            case SafeTensorsDType.F16: TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(source), destination); break;
            case SafeTensorsDType.BF16: BFloat16ToSingle(MemoryMarshal.Cast<byte, ushort>(source), destination); break;
            case SafeTensorsDType.F64: TensorPrimitives.ConvertTruncating(MemoryMarshal.Cast<byte, double>(source), destination); break;
            case SafeTensorsDType.I8: TensorPrimitives.ConvertTruncating(MemoryMarshal.Cast<byte, sbyte>(source), destination); break;
            case SafeTensorsDType.I16: TensorPrimitives.ConvertTruncating(MemoryMarshal.Cast<byte, short>(source), destination); break;
            case SafeTensorsDType.I32: TensorPrimitives.ConvertTruncating(MemoryMarshal.Cast<byte, int>(source), destination); break;
            case SafeTensorsDType.I64: TensorPrimitives.ConvertTruncating(MemoryMarshal.Cast<byte, long>(source), destination); break;
            case SafeTensorsDType.U8: TensorPrimitives.ConvertTruncating(source, destination); break;
            case SafeTensorsDType.BOOL:
                for (int i = 0; i < source.Length; i++) destination[i] = source[i] != 0 ? 1f : 0f;
                break;
            default: throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null);
        }
    }

    /// <summary>Converts float32 to the stored little-endian form of F32, F16 or BF16 (round to nearest even).</summary>
    public static void FromSingle(SafeTensorsDType dtype, ReadOnlySpan<float> source, Span<byte> destination)
    {
        if (destination.Length != source.Length * dtype.ElementSize())
            throw new ArgumentException($"{destination.Length} bytes do not hold {source.Length} elements of {dtype}");
        switch (dtype)
        {
            case SafeTensorsDType.F32: source.CopyTo(MemoryMarshal.Cast<byte, float>(destination)); break;
            case SafeTensorsDType.F16: TensorPrimitives.ConvertToHalf(source, MemoryMarshal.Cast<byte, Half>(destination)); break;
            case SafeTensorsDType.BF16:
                var bits = MemoryMarshal.Cast<byte, ushort>(destination);
                for (int i = 0; i < source.Length; i++) bits[i] = SingleToBFloat16(source[i]);
                break;
            default: throw new NotSupportedException($"writing {dtype} is not supported (F32, F16 and BF16 are)");
        }
    }

    /// <summary>bfloat16 is the upper half of a float32: widening is a 16-bit shift.</summary>
    public static float BFloat16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>Keeps the upper 16 bits rounded to nearest even (as torch's float->bfloat16); NaN stays a quiet NaN.</summary>
    public static ushort SingleToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        uint roundingBias = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }

    // bfloat16 is the checkpoint dtype of most large models, so its widening is vectorised.
    static void BFloat16ToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        var wide = MemoryMarshal.Cast<float, uint>(destination);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= source.Length - Vector<ushort>.Count; i += Vector<ushort>.Count)
            {
                Vector.Widen(new Vector<ushort>(source[i..]), out var low, out var high);
                (low << 16).CopyTo(wide[i..]);
                (high << 16).CopyTo(wide[(i + Vector<uint>.Count)..]);
            }
        for (; i < source.Length; i++) wide[i] = (uint)source[i] << 16;
    }

    internal static void EnsureLittleEndianHost()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors stores little-endian data; this host is big-endian");
    }
}
