namespace Sentire.Tensors.Kernels;

/// <summary>The implementation behind <see cref="Gemm.Sgemm"/>.</summary>
public enum GemmBackend
{
    /// <summary>OpenBLAS's cblas_sgemm (libopenblas.so.0), loaded at run time.</summary>
    OpenBlas,
    /// <summary>The engine's own packed, cache-blocked SIMD kernel (<c>ManagedGemm</c>).</summary>
    Managed,
}

/// <summary>
/// Single-precision GEMM, row-major: C = alpha * op(A) * op(B) + beta * C, with op(A) of shape (m, k)
/// and op(B) of shape (k, n). When <c>transA</c> is set, A is stored as (k, m); when
/// <c>transB</c> is set, B is stored as (n, k). lda/ldb/ldc are row strides in floats. With beta = 0,
/// C is write-only (it may hold garbage or NaN). Every matrix product of the engine goes through here.
/// Backend: <c>SENTIRE_BLAS=openblas|managed</c>; by default OpenBLAS when it loads, else managed.
/// </summary>
public static class Gemm
{
    /// <summary>Environment variable that picks the backend.</summary>
    public const string BackendVariable = "SENTIRE_BLAS";

    /// <summary>The backend <see cref="Sgemm"/> uses, chosen once.</summary>
    public static GemmBackend Backend { get; } = ChooseBackend();

    /// <summary>Whether OpenBLAS loaded (whichever backend is active).</summary>
    public static bool OpenBlasAvailable => OpenBlas.IsAvailable;

    /// <summary>Human-readable backend, e.g. "openblas (libopenblas.so.0, 2 threads)".</summary>
    public static string BackendName => Describe(Backend);

    /// <summary>Description of a backend with its details.</summary>
    public static string Describe(GemmBackend backend) => backend switch
    {
        GemmBackend.OpenBlas => $"openblas ({OpenBlas.LibraryName}, {Threads})",
        _ => $"managed ({ManagedGemm.Describe}, {Threads}"
             + (string.Equals(Environment.GetEnvironmentVariable(BackendVariable), "openblas", StringComparison.OrdinalIgnoreCase) && !OpenBlas.IsAvailable
                 ? "; openblas was requested but libopenblas.so.0 did not load)" : ")"),
    };

    static string Threads => Parallelism.MaxThreads == 1 ? "1 thread" : $"{Parallelism.MaxThreads} threads";

    static GemmBackend ChooseBackend()
    {
        var requested = Environment.GetEnvironmentVariable(BackendVariable);
        if (string.IsNullOrWhiteSpace(requested)) return OpenBlas.IsAvailable ? GemmBackend.OpenBlas : GemmBackend.Managed;
        return requested.Trim().ToLowerInvariant() switch
        {
            "openblas" => OpenBlas.IsAvailable ? GemmBackend.OpenBlas : GemmBackend.Managed,
            "managed" => GemmBackend.Managed,
            _ => throw new ArgumentException($"{BackendVariable} must be \"openblas\" or \"managed\", found \"{requested}\""),
        };
    }

    /// <summary>Products with fewer rows than this run on the managed kernel whatever the backend (see <see cref="Sgemm(GemmBackend, bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>).</summary>
    const int ThinRows = 4;

    /// <summary>C = alpha op(A) op(B) + beta C with the active backend, on up to <see cref="Parallelism.MaxThreads"/> threads.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => Sgemm(Backend, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>As <see cref="Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>
    /// with an explicit backend (tests, benchmarks). OpenBLAS falls back to managed when it is not loaded.</summary>
    public static void Sgemm(GemmBackend backend, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (Trivial(transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc)) return;
        // A few rows of A (a decoder's one-token step: x W^T with x of 1..3 rows) go to the managed kernel's direct path,
        // which reads B once as dot products; OpenBLAS packs all of B first, and took twice the CPU time generating with a
        // 0.5B-parameter decoder (BENCHMARKS.md, decoder).
        if (backend == GemmBackend.OpenBlas && OpenBlas.IsAvailable && m >= ThinRows) OpenBlas.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        else ManagedGemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, Parallelism.MaxThreads);
    }

    /// <summary>
    /// The managed kernel on the calling thread only: for callers that already run one GEMM per thread
    /// (attention over batch x heads), where a multi-threaded GEMM would oversubscribe the cores.
    /// </summary>
    public static void SgemmSingleThreaded(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (Trivial(transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc)) return;
        ManagedGemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, maxThreads: 1);
    }

    /// <summary>Validates the arguments; handles the empty cases (m, n or k = 0) and reports whether nothing is left to do.</summary>
    static bool Trivial(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"GEMM sizes must be non-negative, found m={m}, n={n}, k={k}");
        if (m == 0 || n == 0) return true;
        CheckOperand("C", m, n, c.Length, ldc);
        if (k == 0)
        {
            // op(A) op(B) is empty: C = beta C (beta = 0 clears, as BLAS does)
            for (int i = 0; i < m; i++)
            {
                var row = c.Slice(i * ldc, n);
                if (beta == 0) row.Clear();
                else System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
            }
            return true;
        }
        CheckOperand("A", transA ? k : m, transA ? m : k, a.Length, lda);
        CheckOperand("B", transB ? n : k, transB ? k : n, b.Length, ldb);
        return false;
    }

    static void CheckOperand(string name, int rows, int cols, int length, int ld)
    {
        if (ld < cols) throw new ArgumentException($"GEMM: leading dimension of {name} is {ld} but its rows hold {cols} values");
        long needed = (long)(rows - 1) * ld + cols;
        if (length < needed) throw new ArgumentException($"GEMM: {name} ({rows} x {cols}, ld {ld}) needs {needed} floats, found {length}");
    }
}
