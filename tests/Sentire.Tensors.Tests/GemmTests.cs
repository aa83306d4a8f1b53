using Sentire.Tensors.Kernels;

namespace Sentire.Tensors.Tests;

/// <summary>Both GEMM backends against a double-precision triple loop, on odd sizes (direct and packed paths,
/// edge tiles, several k and n blocks; OpenBLAS's bands of rows, 65 x 33 x 129 and 150 x 70 x 300, and of columns,
/// 40 x 300 x 60), both transposes, alpha/beta, and sub-matrices (leading dimensions wider than the rows).</summary>
public sealed class GemmTests
{
    public static TheoryData<int, int, int> Sizes => new()
    {
        { 1, 1, 1 }, { 7, 13, 5 }, { 65, 33, 129 }, { 3, 70, 9 }, { 150, 70, 300 }, { 37, 200, 24 }, { 90, 5, 40 }, { 13, 1100, 7 }, { 40, 300, 60 },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void ManagedMatchesReferenceForAllLayouts(int m, int n, int k)
    {
        foreach (bool transA in new[] { false, true })
            foreach (bool transB in new[] { false, true })
                foreach (var (alpha, beta) in new[] { (1f, 0f), (-0.7f, 0.5f), (2f, 1f) })
                    foreach (int pad in new[] { 0, 3 })
                        Check(GemmKind.Managed, m, n, k, transA, transB, alpha, beta, pad);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void OpenBlasMatchesReferenceForAllLayouts(int m, int n, int k)
    {
        // Without libopenblas.so.0 the OpenBLAS backend falls back to managed; the check still holds.
        foreach (bool transA in new[] { false, true })
            foreach (bool transB in new[] { false, true })
                Check(GemmKind.OpenBlas, m, n, k, transA, transB, -0.7f, 0.5f, pad: 3);
    }

    [Fact]
    public unsafe void OpenBlasStartsNoThreadPoolOfItsOwn()
    {
        // OpenBLAS 0.3.21's idle workers can miss the wake-up of its exit handler, which then waits for them forever
        // (OpenBlas.cs); the engine loads it with OPENBLAS_NUM_THREADS=1, so its pool is the calling thread alone.
        Check(GemmKind.OpenBlas, 150, 70, 300, false, false, 1f, 0f, 0);   // loads the library, runs a banded product
        if (!Gemm.OpenBlasAvailable) return;
        Assert.True(System.Runtime.InteropServices.NativeLibrary.TryLoad("libopenblas.so.0", out var library));
        var poolSize = (int*)System.Runtime.InteropServices.NativeLibrary.GetExport(library, "blas_num_threads");
        Assert.Equal(1, *poolSize);
    }

    [Fact]
    public void SingleThreadedMatchesReference()
    {
        Check(GemmKind.SingleThreaded, 65, 33, 129, false, true, 1f, 0f, 0);
        Check(GemmKind.SingleThreaded, 65, 33, 129, true, false, 0.5f, 2f, 2);
    }

    [Fact]
    public void BetaZeroOverwritesGarbageAndEmptyKScalesC()
    {
        var a = new float[] { 1, 2, 3, 4 };                   // (2, 2)
        var b = new float[] { 5, 6, 7, 8 };                   // (2, 2)
        var c = new[] { float.NaN, float.NaN, float.NaN, float.NaN };
        Gemm.Sgemm(GemmBackend.Managed, false, false, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2);
        Assert.Equal([19f, 22, 43, 50], c);
        Gemm.Sgemm(GemmBackend.Managed, false, false, 2, 2, 0, 1f, [], 1, [], 2, 0.5f, c, 2);
        Assert.Equal([9.5f, 11, 21.5f, 25], c);
    }

    [Fact]
    public void TooShortOperandIsRejectedWithSizes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(GemmBackend.Managed, false, false, 2, 2, 3, 1f, new float[5], 3, new float[6], 2, 0f, new float[4], 2));
        Assert.Contains("needs 6 floats, found 5", ex.Message);
    }

    [Fact]
    public void ParallelismVisitsEveryIndexExactlyOnce()
    {
        // The GEMM's packing and task split rely on these: disjoint ranges / items covering the whole count.
        var hits = new int[1001];
        Parallelism.For(hits.Length, 1 << 20, (start, end) => { for (int i = start; i < end; i++) Interlocked.Increment(ref hits[i]); });
        Parallelism.ForEach(hits.Length, i => Interlocked.Increment(ref hits[i]));
        Parallelism.For(hits.Length, 1, (start, end) => { for (int i = start; i < end; i++) Interlocked.Increment(ref hits[i]); }, maxThreads: 1);
        Assert.All(hits, h => Assert.Equal(3, h));
        Assert.True(Parallelism.MaxThreads >= 1);
    }

    enum GemmKind { Managed, OpenBlas, SingleThreaded }

    static void Check(GemmKind kind, int m, int n, int k, bool transA, bool transB, float alpha, float beta, int pad)
    {
        var rng = new Generator(1234);
        int aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        var a = Tensor.Uniform(rng, -1, 1, aRows * lda).Data.ToArray();
        var b = Tensor.Uniform(rng, -1, 1, bRows * ldb).Data.ToArray();
        var c = Tensor.Uniform(rng, -1, 1, m * ldc).Data.ToArray();
        var expected = (float[])c.Clone();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (double)(transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                expected[i * ldc + j] = (float)(alpha * s + (beta == 0 ? 0 : beta * (double)c[i * ldc + j]));
            }
        switch (kind)
        {
            case GemmKind.Managed: Gemm.Sgemm(GemmBackend.Managed, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); break;
            case GemmKind.OpenBlas: Gemm.Sgemm(GemmBackend.OpenBlas, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); break;
            default: Gemm.SgemmSingleThreaded(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); break;
        }
        // Padding columns of C must be untouched; computed ones within float accumulation error of sqrt(k) ulps.
        float tol = 1e-5f * (k + 4);
        for (int i = 0; i < c.Length; i++)
            if (Math.Abs(c[i] - expected[i]) > tol)
                Assert.Fail($"{kind} m={m} n={n} k={k} transA={transA} transB={transB} alpha={alpha} beta={beta} pad={pad}: C[{i / ldc}, {i % ldc}] = {c[i]}, expected {expected[i]}");
    }
}
