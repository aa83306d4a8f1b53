using System.Runtime.InteropServices;
using Sentire.Tensors.Serialization;

namespace Sentire.Tensors;

/// <summary>The 16-bit float formats a <see cref="HalfMatrix"/> can hold.</summary>
public enum HalfFormat
{
    /// <summary>bfloat16: float32's exponent with 7 mantissa bits (the dtype most LLM checkpoints ship in).</summary>
    BFloat16,
    /// <summary>IEEE 754 binary16.</summary>
    Float16,
}

/// <summary>
/// A constant (rows, cols) weight matrix kept in 16-bit floats: half the memory of a float32 <see cref="Tensor"/>
/// (a 7B-parameter decoder is 14 GB instead of 28 GB). It takes part in products only through
/// <see cref="Tensor.Linear(HalfMatrix, Tensor?)"/> and <see cref="Tensor.Embedding(HalfMatrix, int[], int[])"/>,
/// which widen blocks of rows to float32 inside the kernel; it never receives a gradient (inference, or a frozen
/// model that passes gradients through to its input).
/// </summary>
public sealed class HalfMatrix
{
    readonly ushort[] bits;

    public int Rows { get; }
    public int Cols { get; }
    public HalfFormat Format { get; }

    HalfMatrix(ushort[] bits, int rows, int cols, HalfFormat format)
    {
        this.bits = bits;
        Rows = rows;
        Cols = cols;
        Format = format;
    }

    /// <summary>Bytes held.</summary>
    public long Bytes => 2L * bits.Length;

    public string ShapeString => $"[{Rows}, {Cols}]";

    /// <summary>Rounds a 2-D float32 tensor to <paramref name="format"/> (nearest even; exact for values that came from that format).</summary>
    public static HalfMatrix FromTensor(Tensor weight, HalfFormat format)
    {
        if (weight.Rank != 2) throw new ArgumentException($"a half-precision matrix must be 2-D, found {weight.ShapeString}");
        var bits = GC.AllocateUninitializedArray<ushort>(weight.Length);
        SafeTensorsDTypes.FromSingle(DType(format), weight.Data, MemoryMarshal.AsBytes(bits.AsSpan()));
        return new HalfMatrix(bits, weight.Dim(0), weight.Dim(1), format);
    }

    /// <summary>Rows [<paramref name="first"/>, first + count) widened to float32 into <paramref name="destination"/> (count x Cols).</summary>
    public void RowsToSingle(int first, int count, Span<float> destination)
    {
        if (first < 0 || count < 0 || first + count > Rows)
            throw new ArgumentOutOfRangeException(nameof(first), $"rows {first}..{first + count - 1} are outside the {Rows} rows of {ShapeString}");
        var source = bits.AsSpan(first * Cols, count * Cols);
        SafeTensorsDTypes.ToSingle(DType(Format), MemoryMarshal.AsBytes(source), destination[..(count * Cols)]);
    }

    /// <summary>The whole matrix as a new float32 tensor.</summary>
    public Tensor ToTensor()
    {
        var t = Tensor.Empty(Rows, Cols);
        RowsToSingle(0, Rows, t.Data);
        return t;
    }

    static SafeTensorsDType DType(HalfFormat format) => format == HalfFormat.BFloat16 ? SafeTensorsDType.BF16 : SafeTensorsDType.F16;
}
