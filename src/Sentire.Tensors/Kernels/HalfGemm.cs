using System.Buffers;

namespace Sentire.Tensors.Kernels;

/// <summary>
/// Products with a <see cref="HalfMatrix"/> weight W (out, in): the weight is widened to float32 one block of
/// rows at a time into a small buffer and multiplied there with <see cref="Gemm"/>, so the float32 copy of W never
/// exists. A block is <see cref="BlockFloats"/> floats (256 KiB: it stays in L2 while the GEMM reads it).
/// <code>
/// forward          y[:, o0:o1]  = x W[o0:o1, :]^T      (rows, in) x (in, block) -> (rows, block)
/// input gradient   dx          += g[:, o0:o1] W[o0:o1, :]  (rows, block) x (block, in) -> (rows, in)
/// </code>
/// Few rows (decoding a token) hand independent blocks to the threads, each widening and multiplying on its own:
/// the work is then bound by reading W, and reading 16-bit weights halves that traffic against float32.
/// Many rows (a prompt) run block after block with the threaded GEMM.
/// </summary>
internal static class HalfGemm
{
    const int BlockFloats = 1 << 16;

    /// <summary>Up to this many rows of x, blocks of W run in parallel with single-threaded GEMMs.</summary>
    const int FewRows = 16;

    static int BlockRows(HalfMatrix w) => Math.Clamp(BlockFloats / Math.Max(1, w.Cols), 1, w.Rows);

    /// <summary>y (rows, out) = x (rows, in) W^T, plus y's prior content when <paramref name="accumulate"/> (a bias written first).</summary>
    public static void Forward(ReadOnlySpan<float> x, int rows, HalfMatrix w, Span<float> y, bool accumulate)
    {
        int inF = w.Cols, outF = w.Rows, blockRows = BlockRows(w);
        int blocks = (outF + blockRows - 1) / blockRows;
        float beta = accumulate ? 1f : 0f;
        if (rows <= FewRows && Parallelism.MaxThreads > 1)
        {
            unsafe
            {
                fixed (float* px = x, py = y)
                {
                    float* xp = px, yp = py;
                    Parallelism.ForEach(blocks, block =>
                    {
                        int o0 = block * blockRows, count = Math.Min(blockRows, outF - o0);
                        var buffer = ArrayPool<float>.Shared.Rent(count * inF);
                        try
                        {
                            w.RowsToSingle(o0, count, buffer);
                            Gemm.SgemmSingleThreaded(false, true, rows, count, inF, 1f, new ReadOnlySpan<float>(xp, rows * inF), inF,
                                buffer.AsSpan(0, count * inF), inF, beta, new Span<float>(yp + o0, (rows - 1) * outF + count), outF);
                        }
                        finally { ArrayPool<float>.Shared.Return(buffer); }
                    });
                }
            }
            return;
        }
        var block = ArrayPool<float>.Shared.Rent(blockRows * inF);
        try
        {
            for (int o0 = 0; o0 < outF; o0 += blockRows)
            {
                int count = Math.Min(blockRows, outF - o0);
                w.RowsToSingle(o0, count, block);
                Gemm.Sgemm(false, true, rows, count, inF, 1f, x, inF, block.AsSpan(0, count * inF), inF, beta, y[o0..], outF);
            }
        }
        finally { ArrayPool<float>.Shared.Return(block); }
    }

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
                w.RowsToSingle(o0, count, block);
                Gemm.Sgemm(false, false, rows, inF, count, 1f, g[o0..], outF, block.AsSpan(0, count * inF), inF, o0 == 0 ? 0f : 1f, dx, inF);
            }
        }
        finally { ArrayPool<float>.Shared.Return(block); }
    }
}
