using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sentire.Tensors.Kernels;

/// <summary>
/// Managed single-precision GEMM, C = alpha op(A) op(B) + beta C (row-major), blocked as in GotoBLAS/BLIS
/// (Goto and van de Geijn, "Anatomy of High-Performance Matrix Multiplication", TOMS 2008; Van Zee and
/// van de Geijn, "BLIS", TOMS 2015). Five loops around a register-blocked micro-kernel:
/// <code>
/// for jc in n by NC:                 B block (KC x NC, 1 MiB) stays in L2 while all of A streams past it
///   for pc in k by KC:               pack B(pc.., jc..) into NR-wide column panels
///     for ic in m by MC (parallel):  pack A(ic.., pc..) into MR-tall row panels
///       for ir in mc by MR:          one A panel (MR x KC, 12 KiB) stays in L1
///         for jr in nc by NR:        micro-kernel: MR x NR accumulators in registers
/// </code>
/// The two inner loops are those of BLIS with the roles of A and B swapped: in row-major order the micro-kernel
/// broadcasts A and loads vectors of B, so the broadcast operand is the one held in L1 and B streams from L2.
/// Packing makes every operand layout (transposed or not, any leading dimension) look the same to the
/// micro-kernel, and pads edges with zeros so it always runs full tiles; edge tiles are written through a
/// small buffer. The micro-kernel broadcasts one A element per row and multiplies it into NR/lanes vectors
/// of B with fused multiply-adds: 12x32 on AVX-512 (24 of the 32 zmm registers accumulate), 6x16 on AVX2.
/// Work is split over (ic block, group of jr panels) pairs so that both a tall and a wide C keep every core busy.
/// Thin products (few rows, or tiny in total) skip packing and run as dot products or row updates.
/// </summary>
internal static unsafe class ManagedGemm
{
    /// <summary>Micro-tile rows (A broadcasts) and columns (B vector lanes).</summary>
    static readonly int MR = Vector512.IsHardwareAccelerated ? 12 : 6;
    static readonly int NR = Vector512.IsHardwareAccelerated ? 32 : 16;

    /// <summary>Cache blocking for a 48 KiB L1 and 2 MiB L2 (Sapphire Rapids; also sane for smaller AVX2 parts):
    /// an A panel (MR x KC) plus the B panel in flight (KC x NR) fit L1, the B block (KC x NC) fits L2.</summary>
    const int KC = 256, MC = 144, NC = 1024;

    /// <summary>Below this many multiply-adds, packing costs more than it saves.</summary>
    const long DirectThreshold = 16 * 16 * 16;

    /// <summary>Which micro-kernel runs, for <c>sentire version</c> and benchmarks.</summary>
    public static string Describe => Vector512.IsHardwareAccelerated ? "Vector512 12x32" : "Vector256 6x16";

    /// <summary>C = alpha op(A) op(B) + beta C on up to <paramref name="maxThreads"/> threads; arguments validated by the caller.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, int maxThreads)
    {
        // Direct when packing cannot pay: tiny products, a handful of rows (decoding one token), or a few
        // output columns read as contiguous rows of B (a classifier head: x W^T with W of 2..7 rows).
        if (m < 4 || (transB && n < 8) || (long)m * n * k <= DirectThreshold)
        {
            fixed (float* pa = a, pb = b, pc = c)
                Direct(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, maxThreads);
            return;
        }
        fixed (float* pa = a, pb = b, pc = c)
            Blocked(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, maxThreads);
    }

    // ---- blocked path -------------------------------------------------------------------------

    static void Blocked(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int maxThreads)
    {
        int mr = MR, nr = NR;
        // Even MC blocks, rounded up to whole micro-panels, so no thread gets a sliver.
        int icBlocks = (m + MC - 1) / MC;
        int mc = RoundUp((m + icBlocks - 1) / icBlocks, mr);
        icBlocks = (m + mc - 1) / mc;
        int ncMax = Math.Min(NC, RoundUp(n, nr));
        int kcMax = Math.Min(KC, k);
        var packedB = ArrayPool<float>.Shared.Rent(kcMax * ncMax + AlignFloats);
        try
        {
            fixed (float* bpRaw = packedB)
            {
                float* bp = AlignUp(bpRaw);
                for (int jc = 0; jc < n; jc += NC)
                {
                    int nc = Math.Min(NC, n - jc);
                    int panels = (nc + nr - 1) / nr;
                    for (int pc = 0; pc < k; pc += KC)
                    {
                        int kc = Math.Min(KC, k - pc);
                        // The first k block applies the caller's beta; later ones add to what is there.
                        float betaHere = pc == 0 ? beta : 1f;

                        // 1) pack B(pc..pc+kc, jc..jc+nc) into NR-wide panels, shared by all threads
                        float* bpLocal = bp;
                        RunRanges(panels, (long)kc * nr, maxThreads, (p0, p1) =>
                        {
                            for (int panel = p0; panel < p1; panel++)
                                PackB(transB, b, ldb, pc, jc + panel * nr, kc, Math.Min(nr, nc - panel * nr), bpLocal + (long)panel * kc * nr, nr);
                        });

                        // 2) cut C's block row into (ic block) x (group of jr panels) tasks, a few per thread so that a
                        //    busy core does not hold the others up; each task packs its own A block (cheap next to its FMAs)
                        int threads = Math.Max(1, Math.Min(maxThreads, (int)Math.Min(int.MaxValue, (long)m * nc * kc / (1 << 18))));
                        int groups = threads == 1 ? 1 : Math.Clamp((4 * threads + icBlocks - 1) / icBlocks, 1, panels);
                        Parallelism.ForEach(icBlocks * groups, task =>
                        {
                            int block = task / groups, group = task % groups;
                            int ic = block * mc, mcHere = Math.Min(mc, m - ic);
                            int firstPanel = (int)((long)panels * group / groups), endPanel = (int)((long)panels * (group + 1) / groups);
                            var packedA = ArrayPool<float>.Shared.Rent(mc * kc + AlignFloats);
                            try
                            {
                                fixed (float* apRaw = packedA)
                                {
                                    float* ap = AlignUp(apRaw);
                                    PackA(transA, a, lda, ic, pc, mcHere, kc, ap, mr);
                                    MacroKernel(ap, bpLocal, mcHere, nc, kc, firstPanel, endPanel, alpha, betaHere, c + (long)ic * ldc + jc, ldc, mr, nr);
                                }
                            }
                            finally { ArrayPool<float>.Shared.Return(packedA); }
                        }, threads);
                    }
                }
            }
        }
        finally { ArrayPool<float>.Shared.Return(packedB); }
    }

    /// <summary>Runs the micro-kernel over B panels [firstPanel, endPanel) against every A panel of the block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void MacroKernel(float* ap, float* bp, int mc, int nc, int kc, int firstPanel, int endPanel,
        float alpha, float beta, float* c, int ldc, int mr, int nr)
    {
        float* edge = stackalloc float[mr * nr];
        for (int ir = 0; ir < mc; ir += mr)
        {
            int mrHere = Math.Min(mr, mc - ir);
            float* aPanel = ap + (long)ir * kc;
            for (int panel = firstPanel; panel < endPanel; panel++)
            {
                int jr = panel * nr, nrHere = Math.Min(nr, nc - jr);
                float* bPanel = bp + (long)panel * kc * nr;
                float* cTile = c + (long)ir * ldc + jr;
                if (mrHere == mr && nrHere == nr) MicroKernel(kc, aPanel, bPanel, cTile, ldc, alpha, beta);
                else
                {
                    // Edge tile: full tile into a buffer, then only the valid part into C.
                    MicroKernel(kc, aPanel, bPanel, edge, nr, 1f, 0f);
                    for (int r = 0; r < mrHere; r++)
                    {
                        float* cr = cTile + (long)r * ldc, er = edge + r * nr;
                        if (beta == 0) for (int j = 0; j < nrHere; j++) cr[j] = alpha * er[j];
                        else for (int j = 0; j < nrHere; j++) cr[j] = alpha * er[j] + beta * cr[j];
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void MicroKernel(int kc, float* ap, float* bp, float* c, int ldc, float alpha, float beta)
    {
        if (Vector512.IsHardwareAccelerated) Kernel12x32(kc, ap, bp, c, ldc, alpha, beta);
        else Kernel6x16(kc, ap, bp, c, ldc, alpha, beta);
    }

    /// <summary>Packs rows [row0, row0+rows) x columns [col0, col0+kc) of op(A) into MR-tall panels laid out
    /// [panel][p][r], zero-padding the last panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void PackA(bool transA, float* a, int lda, int row0, int col0, int rows, int kc, float* dst, int mr)
    {
        for (int ir = 0; ir < rows; ir += mr)
        {
            int mrHere = Math.Min(mr, rows - ir);
            float* panel = dst + (long)ir * kc;
            if (!transA)
            {
                // op(A)(i, p) = a[i * lda + p]: each row is contiguous in p, written with stride MR
                for (int r = 0; r < mrHere; r++)
                {
                    float* src = a + (long)(row0 + ir + r) * lda + col0;
                    for (int p = 0; p < kc; p++) panel[p * mr + r] = src[p];
                }
            }
            else
            {
                // op(A)(i, p) = a[p * lda + i]: each step p is MR contiguous values
                for (int p = 0; p < kc; p++)
                {
                    float* src = a + (long)(col0 + p) * lda + row0 + ir;
                    for (int r = 0; r < mrHere; r++) panel[p * mr + r] = src[r];
                }
            }
            if (mrHere < mr)
                for (int p = 0; p < kc; p++)
                    for (int r = mrHere; r < mr; r++) panel[p * mr + r] = 0;
        }
    }

    /// <summary>Packs op(B) rows [row0, row0+kc) x columns [col0, col0+cols) (cols &lt;= NR) into one panel laid out [p][j].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void PackB(bool transB, float* b, int ldb, int row0, int col0, int kc, int cols, float* dst, int nr)
    {
        if (!transB)
        {
            // op(B)(p, j) = b[p * ldb + j]: a panel row is a contiguous copy
            for (int p = 0; p < kc; p++)
            {
                float* src = b + (long)(row0 + p) * ldb + col0;
                var row = new Span<float>(dst + (long)p * nr, nr);
                new ReadOnlySpan<float>(src, cols).CopyTo(row);
                if (cols < nr) row[cols..].Clear();
            }
        }
        else
        {
            // op(B)(p, j) = b[j * ldb + p]: each column j is contiguous in p
            for (int j = 0; j < cols; j++)
            {
                float* src = b + (long)(col0 + j) * ldb + row0;
                for (int p = 0; p < kc; p++) dst[(long)p * nr + j] = src[p];
            }
            if (cols < nr)
                for (int p = 0; p < kc; p++) new Span<float>(dst + (long)p * nr + cols, nr - cols).Clear();
        }
    }

    // ---- direct path: thin or tiny products ------------------------------------------------------

    /// <summary>No packing: each row of C is either dot products (B transposed: rows of B are contiguous)
    /// or a sum of scaled rows of B. The longer side of C is split over threads.</summary>
    static void Direct(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int maxThreads)
    {
        if (m >= n) RunRanges(m, (long)n * k, maxThreads, (i0, i1) => DirectBlock(transA, transB, i0, i1, 0, n, k, alpha, a, lda, b, ldb, beta, c, ldc));
        else RunRanges(n, (long)m * k, maxThreads, (j0, j1) => DirectBlock(transA, transB, 0, m, j0, j1, k, alpha, a, lda, b, ldb, beta, c, ldc));
    }

    /// <summary>C[i0..i1, j0..j1] of <see cref="Direct"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void DirectBlock(bool transA, bool transB, int i0, int i1, int j0, int j1, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        var rowBuffer = transA ? ArrayPool<float>.Shared.Rent(k) : null;
        try
        {
            for (int i = i0; i < i1; i++)
            {
                // A's row i, gathered when A is stored transposed
                ReadOnlySpan<float> aRow;
                if (!transA) aRow = new ReadOnlySpan<float>(a + (long)i * lda, k);
                else
                {
                    for (int p = 0; p < k; p++) rowBuffer![p] = a[(long)p * lda + i];
                    aRow = rowBuffer.AsSpan(0, k);
                }
                var cRow = new Span<float>(c + (long)i * ldc + j0, j1 - j0);
                if (transB)
                {
                    for (int j = j0; j < j1; j++)
                    {
                        float dot = TensorPrimitives.Dot(aRow, new ReadOnlySpan<float>(b + (long)j * ldb, k));
                        cRow[j - j0] = beta == 0 ? alpha * dot : alpha * dot + beta * cRow[j - j0];
                    }
                }
                else
                {
                    if (beta == 0) cRow.Clear();
                    else if (beta != 1) TensorPrimitives.Multiply(cRow, beta, cRow);
                    for (int p = 0; p < k; p++)
                        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(b + (long)p * ldb + j0, j1 - j0), alpha * aRow[p], cRow, cRow);
                }
            }
        }
        finally { if (rowBuffer is not null) ArrayPool<float>.Shared.Return(rowBuffer); }
    }

    /// <summary><see cref="Parallelism.For"/> limited to <paramref name="maxThreads"/> (1 = stay on this thread).</summary>
    static void RunRanges(int count, long workPerItem, int maxThreads, Action<int, int> body)
    {
        if (maxThreads <= 1 || count <= 1) { if (count > 0) body(0, count); return; }
        Parallelism.For(count, workPerItem, body, maxThreads);
    }

    static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    /// <summary>Packed panels start on a cache line, so no 64-byte vector load straddles two lines.</summary>
    const int AlignFloats = 16;

    static float* AlignUp(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    // ---- micro-kernels ----------------------------------------------------------------------------

    /// <summary>12x32 micro-kernel on Vector512: C[0..12, 0..32] = alpha * (Ap Bp) + beta * C over kc packed steps;
    /// 24 accumulators, 2 loads of B and 12 broadcasts of A per step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Kernel12x32(int kc, float* ap, float* bp, float* c, int ldc, float alpha, float beta)
    {
        var c0_0 = Vector512<float>.Zero; var c0_1 = Vector512<float>.Zero;
        var c1_0 = Vector512<float>.Zero; var c1_1 = Vector512<float>.Zero;
        var c2_0 = Vector512<float>.Zero; var c2_1 = Vector512<float>.Zero;
        var c3_0 = Vector512<float>.Zero; var c3_1 = Vector512<float>.Zero;
        var c4_0 = Vector512<float>.Zero; var c4_1 = Vector512<float>.Zero;
        var c5_0 = Vector512<float>.Zero; var c5_1 = Vector512<float>.Zero;
        var c6_0 = Vector512<float>.Zero; var c6_1 = Vector512<float>.Zero;
        var c7_0 = Vector512<float>.Zero; var c7_1 = Vector512<float>.Zero;
        var c8_0 = Vector512<float>.Zero; var c8_1 = Vector512<float>.Zero;
        var c9_0 = Vector512<float>.Zero; var c9_1 = Vector512<float>.Zero;
        var c10_0 = Vector512<float>.Zero; var c10_1 = Vector512<float>.Zero;
        var c11_0 = Vector512<float>.Zero; var c11_1 = Vector512<float>.Zero;
        for (int p = 0; p < kc; p++, ap += 12, bp += 32)
        {
            var b0 = Vector512.Load(bp); var b1 = Vector512.Load(bp + 16);
            var a0 = Vector512.Create(ap[0]); c0_0 = Vector512.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(a0, b1, c0_1);
            var a1 = Vector512.Create(ap[1]); c1_0 = Vector512.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Vector512.FusedMultiplyAdd(a1, b1, c1_1);
            var a2 = Vector512.Create(ap[2]); c2_0 = Vector512.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Vector512.FusedMultiplyAdd(a2, b1, c2_1);
            var a3 = Vector512.Create(ap[3]); c3_0 = Vector512.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Vector512.FusedMultiplyAdd(a3, b1, c3_1);
            var a4 = Vector512.Create(ap[4]); c4_0 = Vector512.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Vector512.FusedMultiplyAdd(a4, b1, c4_1);
            var a5 = Vector512.Create(ap[5]); c5_0 = Vector512.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Vector512.FusedMultiplyAdd(a5, b1, c5_1);
            var a6 = Vector512.Create(ap[6]); c6_0 = Vector512.FusedMultiplyAdd(a6, b0, c6_0); c6_1 = Vector512.FusedMultiplyAdd(a6, b1, c6_1);
            var a7 = Vector512.Create(ap[7]); c7_0 = Vector512.FusedMultiplyAdd(a7, b0, c7_0); c7_1 = Vector512.FusedMultiplyAdd(a7, b1, c7_1);
            var a8 = Vector512.Create(ap[8]); c8_0 = Vector512.FusedMultiplyAdd(a8, b0, c8_0); c8_1 = Vector512.FusedMultiplyAdd(a8, b1, c8_1);
            var a9 = Vector512.Create(ap[9]); c9_0 = Vector512.FusedMultiplyAdd(a9, b0, c9_0); c9_1 = Vector512.FusedMultiplyAdd(a9, b1, c9_1);
            var a10 = Vector512.Create(ap[10]); c10_0 = Vector512.FusedMultiplyAdd(a10, b0, c10_0); c10_1 = Vector512.FusedMultiplyAdd(a10, b1, c10_1);
            var a11 = Vector512.Create(ap[11]); c11_0 = Vector512.FusedMultiplyAdd(a11, b0, c11_0); c11_1 = Vector512.FusedMultiplyAdd(a11, b1, c11_1);
        }
        var va = Vector512.Create(alpha);
        if (beta == 0)
        {
            (va * c0_0).Store(c + 0 * ldc); (va * c0_1).Store(c + 0 * ldc + 16);
            (va * c1_0).Store(c + 1 * ldc); (va * c1_1).Store(c + 1 * ldc + 16);
            (va * c2_0).Store(c + 2 * ldc); (va * c2_1).Store(c + 2 * ldc + 16);
            (va * c3_0).Store(c + 3 * ldc); (va * c3_1).Store(c + 3 * ldc + 16);
            (va * c4_0).Store(c + 4 * ldc); (va * c4_1).Store(c + 4 * ldc + 16);
            (va * c5_0).Store(c + 5 * ldc); (va * c5_1).Store(c + 5 * ldc + 16);
            (va * c6_0).Store(c + 6 * ldc); (va * c6_1).Store(c + 6 * ldc + 16);
            (va * c7_0).Store(c + 7 * ldc); (va * c7_1).Store(c + 7 * ldc + 16);
            (va * c8_0).Store(c + 8 * ldc); (va * c8_1).Store(c + 8 * ldc + 16);
            (va * c9_0).Store(c + 9 * ldc); (va * c9_1).Store(c + 9 * ldc + 16);
            (va * c10_0).Store(c + 10 * ldc); (va * c10_1).Store(c + 10 * ldc + 16);
            (va * c11_0).Store(c + 11 * ldc); (va * c11_1).Store(c + 11 * ldc + 16);
        }
        else
        {
            var vb = Vector512.Create(beta);
            (va * c0_0 + vb * Vector512.Load(c + 0 * ldc)).Store(c + 0 * ldc); (va * c0_1 + vb * Vector512.Load(c + 0 * ldc + 16)).Store(c + 0 * ldc + 16);
            (va * c1_0 + vb * Vector512.Load(c + 1 * ldc)).Store(c + 1 * ldc); (va * c1_1 + vb * Vector512.Load(c + 1 * ldc + 16)).Store(c + 1 * ldc + 16);
            (va * c2_0 + vb * Vector512.Load(c + 2 * ldc)).Store(c + 2 * ldc); (va * c2_1 + vb * Vector512.Load(c + 2 * ldc + 16)).Store(c + 2 * ldc + 16);
            (va * c3_0 + vb * Vector512.Load(c + 3 * ldc)).Store(c + 3 * ldc); (va * c3_1 + vb * Vector512.Load(c + 3 * ldc + 16)).Store(c + 3 * ldc + 16);
            (va * c4_0 + vb * Vector512.Load(c + 4 * ldc)).Store(c + 4 * ldc); (va * c4_1 + vb * Vector512.Load(c + 4 * ldc + 16)).Store(c + 4 * ldc + 16);
            (va * c5_0 + vb * Vector512.Load(c + 5 * ldc)).Store(c + 5 * ldc); (va * c5_1 + vb * Vector512.Load(c + 5 * ldc + 16)).Store(c + 5 * ldc + 16);
            (va * c6_0 + vb * Vector512.Load(c + 6 * ldc)).Store(c + 6 * ldc); (va * c6_1 + vb * Vector512.Load(c + 6 * ldc + 16)).Store(c + 6 * ldc + 16);
            (va * c7_0 + vb * Vector512.Load(c + 7 * ldc)).Store(c + 7 * ldc); (va * c7_1 + vb * Vector512.Load(c + 7 * ldc + 16)).Store(c + 7 * ldc + 16);
            (va * c8_0 + vb * Vector512.Load(c + 8 * ldc)).Store(c + 8 * ldc); (va * c8_1 + vb * Vector512.Load(c + 8 * ldc + 16)).Store(c + 8 * ldc + 16);
            (va * c9_0 + vb * Vector512.Load(c + 9 * ldc)).Store(c + 9 * ldc); (va * c9_1 + vb * Vector512.Load(c + 9 * ldc + 16)).Store(c + 9 * ldc + 16);
            (va * c10_0 + vb * Vector512.Load(c + 10 * ldc)).Store(c + 10 * ldc); (va * c10_1 + vb * Vector512.Load(c + 10 * ldc + 16)).Store(c + 10 * ldc + 16);
            (va * c11_0 + vb * Vector512.Load(c + 11 * ldc)).Store(c + 11 * ldc); (va * c11_1 + vb * Vector512.Load(c + 11 * ldc + 16)).Store(c + 11 * ldc + 16);
        }
    }

    /// <summary>6x16 micro-kernel on Vector256: C[0..6, 0..16] = alpha * (Ap Bp) + beta * C over kc packed steps;
    /// 12 accumulators, 2 loads of B and 6 broadcasts of A per step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Kernel6x16(int kc, float* ap, float* bp, float* c, int ldc, float alpha, float beta)
    {
        var c0_0 = Vector256<float>.Zero; var c0_1 = Vector256<float>.Zero;
        var c1_0 = Vector256<float>.Zero; var c1_1 = Vector256<float>.Zero;
        var c2_0 = Vector256<float>.Zero; var c2_1 = Vector256<float>.Zero;
        var c3_0 = Vector256<float>.Zero; var c3_1 = Vector256<float>.Zero;
        var c4_0 = Vector256<float>.Zero; var c4_1 = Vector256<float>.Zero;
        var c5_0 = Vector256<float>.Zero; var c5_1 = Vector256<float>.Zero;
        for (int p = 0; p < kc; p++, ap += 6, bp += 16)
        {
            var b0 = Vector256.Load(bp); var b1 = Vector256.Load(bp + 8);
            var a0 = Vector256.Create(ap[0]); c0_0 = Vector256.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Vector256.FusedMultiplyAdd(a0, b1, c0_1);
            var a1 = Vector256.Create(ap[1]); c1_0 = Vector256.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Vector256.FusedMultiplyAdd(a1, b1, c1_1);
            var a2 = Vector256.Create(ap[2]); c2_0 = Vector256.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Vector256.FusedMultiplyAdd(a2, b1, c2_1);
            var a3 = Vector256.Create(ap[3]); c3_0 = Vector256.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Vector256.FusedMultiplyAdd(a3, b1, c3_1);
            var a4 = Vector256.Create(ap[4]); c4_0 = Vector256.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Vector256.FusedMultiplyAdd(a4, b1, c4_1);
            var a5 = Vector256.Create(ap[5]); c5_0 = Vector256.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Vector256.FusedMultiplyAdd(a5, b1, c5_1);
        }
        var va = Vector256.Create(alpha);
        if (beta == 0)
        {
            (va * c0_0).Store(c + 0 * ldc); (va * c0_1).Store(c + 0 * ldc + 8);
            (va * c1_0).Store(c + 1 * ldc); (va * c1_1).Store(c + 1 * ldc + 8);
            (va * c2_0).Store(c + 2 * ldc); (va * c2_1).Store(c + 2 * ldc + 8);
            (va * c3_0).Store(c + 3 * ldc); (va * c3_1).Store(c + 3 * ldc + 8);
            (va * c4_0).Store(c + 4 * ldc); (va * c4_1).Store(c + 4 * ldc + 8);
            (va * c5_0).Store(c + 5 * ldc); (va * c5_1).Store(c + 5 * ldc + 8);
        }
        else
        {
            var vb = Vector256.Create(beta);
            (va * c0_0 + vb * Vector256.Load(c + 0 * ldc)).Store(c + 0 * ldc); (va * c0_1 + vb * Vector256.Load(c + 0 * ldc + 8)).Store(c + 0 * ldc + 8);
            (va * c1_0 + vb * Vector256.Load(c + 1 * ldc)).Store(c + 1 * ldc); (va * c1_1 + vb * Vector256.Load(c + 1 * ldc + 8)).Store(c + 1 * ldc + 8);
            (va * c2_0 + vb * Vector256.Load(c + 2 * ldc)).Store(c + 2 * ldc); (va * c2_1 + vb * Vector256.Load(c + 2 * ldc + 8)).Store(c + 2 * ldc + 8);
            (va * c3_0 + vb * Vector256.Load(c + 3 * ldc)).Store(c + 3 * ldc); (va * c3_1 + vb * Vector256.Load(c + 3 * ldc + 8)).Store(c + 3 * ldc + 8);
            (va * c4_0 + vb * Vector256.Load(c + 4 * ldc)).Store(c + 4 * ldc); (va * c4_1 + vb * Vector256.Load(c + 4 * ldc + 8)).Store(c + 4 * ldc + 8);
            (va * c5_0 + vb * Vector256.Load(c + 5 * ldc)).Store(c + 5 * ldc); (va * c5_1 + vb * Vector256.Load(c + 5 * ldc + 8)).Store(c + 5 * ldc + 8);
        }
    }
}
