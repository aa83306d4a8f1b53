using System.Runtime.InteropServices;

namespace Sentire.Tensors.Kernels;

/// <summary>
/// OpenBLAS's <c>cblas_sgemm</c>, bound at run time from libopenblas.so.0 (Debian's libopenblas0-pthread)
/// with <see cref="NativeLibrary.TryLoad(string, out IntPtr)"/>, so a machine without it simply falls back to
/// the managed kernel. The library stays loaded for the life of the process (the handle is never freed:
/// the function pointers below must stay valid).
/// <para>
/// OpenBLAS runs single-threaded, and a large product is split into bands of C, one per engine thread
/// (<see cref="Parallelism"/>). OpenBLAS's own thread pool is never started because its workers can miss their
/// last wake-up: OpenBLAS 0.3.21 (Debian 12) checks its queue, then takes the lock and goes to sleep without checking
/// again, so a shutdown signal sent in between is lost, and its exit handler (<c>blas_thread_shutdown_</c>) waits for
/// that worker forever. Seen here: <c>sentire serve</c>, stopped with SIGTERM while its model was still warming up,
/// hung at exit in 3 of 60 runs on a loaded machine (gdb: the main thread in <c>pthread_join</c> from
/// <c>gotoblas_quit</c>, the worker in <c>pthread_cond_wait</c>). Without the pool the engine's threads and
/// OpenBLAS's never compete for the cores either (the server runs several requests at once).
/// </para>
/// </summary>
internal static unsafe class OpenBlas
{
    const int RowMajor = 101, NoTrans = 111, Trans = 112;

    static readonly string[] candidates = ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib", "libopenblas.dll", "openblas"];

    // cblas_sgemm(order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
    static readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> sgemm;

    /// <summary>The file name that loaded, or null when none did.</summary>
    public static string? LibraryName { get; }

    /// <summary>Whether the library was found and exports cblas_sgemm.</summary>
    public static bool IsAvailable => sgemm != null;

    /// <summary>Multiply-adds below which a product runs on one thread: OpenBLAS's own threshold for threading a GEMM
    /// (interface/gemm.c: 65536 x GEMM_MULTITHREAD_THRESHOLD 4).</summary>
    const long ParallelWork = 1L << 18;

    static OpenBlas()
    {
        SingleThreaded();
        foreach (var name in candidates)
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) continue;
            if (!NativeLibrary.TryGetExport(handle, "cblas_sgemm", out var fn)) { NativeLibrary.Free(handle); continue; }
            if (NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out var setThreads))
                ((delegate* unmanaged<int, void>)setThreads)(1);
            sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)fn;
            LibraryName = name;
            return;
        }
    }

    /// <summary>
    /// OPENBLAS_NUM_THREADS=1 in the C environment before the library loads: it starts its worker threads from its
    /// load-time constructor, which reads the variable with getenv (Environment.SetEnvironmentVariable does not reach
    /// getenv on Unix, so libc's setenv is called). It overrides the user's value: the engine does the threading.
    /// </summary>
    static void SingleThreaded()
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())) return;
        if (!NativeLibrary.TryLoad(OperatingSystem.IsLinux() ? "libc.so.6" : "libSystem.dylib", out var libc)) return;
        if (NativeLibrary.TryGetExport(libc, "setenv", out var setenv))
        {
            var name = "OPENBLAS_NUM_THREADS\0"u8;
            var value = "1\0"u8;
            fixed (byte* pn = name, pv = value)
                ((delegate* unmanaged<byte*, byte*, int, int>)setenv)(pn, pv, 1);
        }
    }

    /// <summary>C = alpha op(A) op(B) + beta C, row-major; arguments as <see cref="Gemm.Sgemm"/>, already validated.
    /// A product of at least <see cref="ParallelWork"/> multiply-adds is cut into bands of C's rows (or of its columns,
    /// when it has more columns than rows), one single-threaded call per band on up to <see cref="Parallelism.MaxThreads"/> threads.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (sgemm == null) throw new InvalidOperationException("OpenBLAS (libopenblas.so.0) is not loaded");
        bool byRows = m >= n;
        int bands = (long)m * n * k < ParallelWork ? 1 : Math.Min(Parallelism.MaxThreads, byRows ? m : n);
        fixed (float* pa = a, pb = b, pc = c)
        {
            if (bands <= 1) { Call(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc); return; }
            nint A = (nint)pa, B = (nint)pb, C = (nint)pc;
            Parallelism.ForEach(bands, band =>
            {
                int count = byRows ? m : n;
                int start = (int)((long)count * band / bands), end = (int)((long)count * (band + 1) / bands);
                if (byRows)   // rows [start, end) of C = rows of op(A) times op(B); op(A)'s rows are A's columns when transposed
                    Call(transA, transB, end - start, n, k, alpha, (float*)A + (transA ? start : (long)start * lda), lda,
                        (float*)B, ldb, beta, (float*)C + (long)start * ldc, ldc);
                else          // columns [start, end) of C = op(A) times columns of op(B); op(B)'s columns are B's rows when transposed
                    Call(transA, transB, m, end - start, k, alpha, (float*)A, lda,
                        (float*)B + (transB ? (long)start * ldb : start), ldb, beta, (float*)C + start, ldc);
            });
        }
    }

    static void Call(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
        => sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
