using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sentire.Tensors.Kernels;

/// <summary>
/// Products with a <see cref="HalfMatrix"/> weight W (out, in): the weight is widened to float32 one block of
/// rows at a time into a small buffer and multiplied there with <see cref="Gemm"/>, so the float32 copy of W never
/// exists. A block is <see cref="BlockFloats"/> floats (256 KiB: it stays in L2 while the GEMM reads it).
/// <code>
/// forward          y[:, o0:o1]  = x W[o0:o1, :]^T      (rows, in) x (in, block) -> (rows, block)
/// input gradient   dx          += g[:, o0:o1] W[o0:o1, :]  (rows, block) x (block, in) -> (rows, in)
/// </code>
/// Few rows (decoding a token) read each weight row once and widen it inside the dot products (<see cref="FewRowsForward"/>):
/// the work is then bound by reading W, and reading 16-bit weights halves that traffic against float32.
/// More rows (a prompt, an utterance's frames) widen blocks of W, one run of blocks per thread, each multiplied with the
/// packed GEMM. Widening is vectorised for both formats on AVX2 (<see cref="WidenRows"/>).
/// </summary>
internal static class HalfGemm
{
    const int BlockFloats = 1 << 16;

    /// <summary>Up to this many rows of x, weight rows are widened inside dot products (<see cref="FewRowsForward"/>); more
    /// rows (a prompt) amortise a widened block over a register-blocked GEMM, which dot products cannot match.</summary>
    const int FewRows = 4;

    static int BlockRows(HalfMatrix w) => Math.Clamp(BlockFloats / Math.Max(1, w.Cols), 1, w.Rows);

    /// <summary>y (rows, out) = x (rows, in) W^T, plus y's prior content when <paramref name="accumulate"/> (a bias written first).</summary>
    public static void Forward(ReadOnlySpan<float> x, int rows, HalfMatrix w, Span<float> y, bool accumulate)
    {
        int inF = w.Cols, outF = w.Rows, blockRows = BlockRows(w);
        int blocks = (outF + blockRows - 1) / blockRows;
        float beta = accumulate ? 1f : 0f;
        if (rows <= FewRows)
        {
            unsafe
            {
                fixed (float* px = x, py = y)
                    FewRowsForward(px, rows, w, py, accumulate);
            }
            return;
        }
        unsafe
        {
            fixed (float* px = x, py = y)
            {
                float* xp = px, yp = py;
                // Each thread widens its own run of blocks and multiplies them with the single-threaded packed GEMM: no
                // hand-off per block, and no threaded GEMM on a block too small to split.
                Parallelism.For(blocks, (long)blockRows * inF * rows, (first, end) =>
                {
                    var buffer = ArrayPool<float>.Shared.Rent(blockRows * inF);
                    try
                    {
                        for (int block = first; block < end; block++)
                        {
                            int o0 = block * blockRows, count = Math.Min(blockRows, outF - o0);
                            WidenRows(w, o0, count, buffer);
                            Gemm.SgemmSingleThreaded(false, true, rows, count, inF, 1f, new ReadOnlySpan<float>(xp, rows * inF), inF,
                                buffer.AsSpan(0, count * inF), inF, beta, new Span<float>(yp + o0, (rows - 1) * outF + count), outF);
                        }
                    }
                    finally { ArrayPool<float>.Shared.Return(buffer); }
                });
            }
        }
    }

    /// <summary>
    /// y[i, j] (+)= x_i . W_j for a few rows x_i: every weight row is read once, widened and dotted with each x_i while it
    /// is in L1; threads take ranges of weight rows. bfloat16 on AVX2 widens inside the dot product (a zero-extending load
    /// and a 16-bit shift per 8 weights), so no float32 copy is written at all.
    /// </summary>
    static unsafe void FewRowsForward(float* x, int rows, HalfMatrix w, float* y, bool accumulate)
    {
        int inF = w.Cols, outF = w.Rows;
        bool fused = w.Format == HalfFormat.BFloat16 && Avx2.IsSupported && Fma.IsSupported;
        var bits = w.Bits;
        Parallelism.For(outF, (long)inF * rows, (j0, j1) =>
        {
            var row = fused ? null : ArrayPool<float>.Shared.Rent(inF);
            try
            {
                fixed (ushort* wp = bits)
                fixed (float* rp = row)
                {
                    for (int j = j0; j < j1; j++)
                    {
                        ushort* wr = wp + (long)j * inF;
                        if (!fused) WidenRows(w, j, 1, row!);
                        for (int i = 0; i < rows; i++)
                        {
                            float* xi = x + (long)i * inF;
                            float dot = fused ? DotBFloat16(xi, wr, inF) : TensorPrimitives.Dot(new ReadOnlySpan<float>(xi, inF), new ReadOnlySpan<float>(rp, inF));
                            ref float target = ref y[(long)i * outF + j];
                            target = accumulate ? target + dot : dot;
                        }
                    }
                }
            }
            finally { if (row is not null) ArrayPool<float>.Shared.Return(row); }
        });
    }

    /// <summary>Rows [first, first + count) of W as float32 into <paramref name="destination"/>, exactly; on AVX2 eight at a
    /// time (bfloat16: <see cref="Widen"/>, float16: <see cref="WidenFloat16"/>), since the general conversions are several
    /// times slower and would dominate a product with many rows.</summary>
    internal static unsafe void WidenRows(HalfMatrix w, int first, int count, float[] destination)
    {
        if (!Avx2.IsSupported)
        {
            w.RowsToSingle(first, count, destination);
            return;
        }
        int n = count * w.Cols, i = 0;
        bool bfloat = w.Format == HalfFormat.BFloat16;
        fixed (ushort* source = &w.Bits[(long)first * w.Cols])
        fixed (float* d = destination)
        {
            if (bfloat)
            {
                for (; i <= n - 8; i += 8) Avx.Store(d + i, Widen(source + i));
                for (; i < n; i++) d[i] = BitConverter.Int32BitsToSingle(source[i] << 16);
            }
            else
            {
                for (; i <= n - 8; i += 8) Avx.Store(d + i, WidenFloat16(source + i));
                for (; i < n; i++) d[i] = (float)BitConverter.UInt16BitsToHalf(source[i]);
            }
        }
    }

    /// <summary>
    /// Eight IEEE binary16 values (sign, 5-bit exponent biased by 15, 10-bit mantissa) as float32, exactly:
    /// normal numbers move exponent and mantissa up 13 bits and rebias the exponent by 127 - 15 = 112; zeros and
    /// subnormals are mantissa x 2^-24 (an exact float product); infinities and NaNs (exponent 31) get exponent 255 and
    /// keep their mantissa. The sign moves up 16 bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<float> WidenFloat16(ushort* h)
    {
        var bits = Avx2.ConvertToVector256Int32(h);                                    // zero-extended
        var magnitude = bits & Vector256.Create(0x7fff);
        var exponent = bits & Vector256.Create(0x7c00);
        var shifted = Vector256.ShiftLeft(magnitude, 13);
        var normal = shifted + Vector256.Create(112 << 23);
        var special = shifted + Vector256.Create(224 << 23);
        var subnormal = (Vector256.ConvertToSingle(magnitude) * Vector256.Create(1f / 16777216)).AsInt32();
        var value = Vector256.ConditionalSelect(Vector256.Equals(exponent, Vector256<int>.Zero), subnormal,
            Vector256.ConditionalSelect(Vector256.Equals(exponent, Vector256.Create(0x7c00)), special, normal));
        return (value | Vector256.ShiftLeft(bits & Vector256.Create(0x8000), 16)).AsSingle();
    }

    /// <summary>x . widen(w) over n elements, w in bfloat16 (a float32 is its 16 bits shifted up); AVX2 + FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe float DotBFloat16(float* x, ushort* w, int n)
    {
        var acc0 = Vector256<float>.Zero; var acc1 = Vector256<float>.Zero;
        var acc2 = Vector256<float>.Zero; var acc3 = Vector256<float>.Zero;
        int i = 0;
        for (; i <= n - 32; i += 32)
        {
            acc0 = Fma.MultiplyAdd(Avx.LoadVector256(x + i), Widen(w + i), acc0);
            acc1 = Fma.MultiplyAdd(Avx.LoadVector256(x + i + 8), Widen(w + i + 8), acc1);
            acc2 = Fma.MultiplyAdd(Avx.LoadVector256(x + i + 16), Widen(w + i + 16), acc2);
            acc3 = Fma.MultiplyAdd(Avx.LoadVector256(x + i + 24), Widen(w + i + 24), acc3);
        }
        for (; i <= n - 8; i += 8) acc0 = Fma.MultiplyAdd(Avx.LoadVector256(x + i), Widen(w + i), acc0);
        float sum = Vector256.Sum((acc0 + acc1) + (acc2 + acc3));
        for (; i < n; i++) sum += x[i] * BitConverter.Int32BitsToSingle(w[i] << 16);
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<float> Widen(ushort* w) => Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(w), 16).AsSingle();

    /// <summary>dx (rows, in) = g (rows, out) W, overwriting dx.</summary>
    public static void InputGradient(ReadOnlySpan<float> g, int rows, HalfMatrix w, Span<float> dx)
    {
        int inF = w.Cols, outF = w.Rows, blockRows = BlockRows(w);
        var block = ArrayPool<float>.Shared.Rent(blockRows * inF);
        try
        {
            for (int o0 = 0; o0 < outF; o0 += blockRows)
            {
                int count = Math.Min(blockRows, outF - o0);
                WidenRows(w, o0, count, block);
                Gemm.Sgemm(false, false, rows, inF, count, 1f, g[o0..], outF, block.AsSpan(0, count * inF), inF, o0 == 0 ? 0f : 1f, dx, inF);
            }
        }
        finally { ArrayPool<float>.Shared.Return(block); }
    }
}
