using System.Runtime.InteropServices;

namespace Sentire.Tensors.Kernels;

/// <summary>
/// OpenBLAS's <c>cblas_sgemm</c>, bound at run time from libopenblas.so.0 (Debian's libopenblas0-pthread)
/// with <see cref="NativeLibrary.TryLoad(string, out IntPtr)"/>, so a machine without it simply falls back to
/// the managed kernel. The library stays loaded for the life of the process (the handle is never freed:
/// the function pointers below must stay valid), and its thread pool is sized once to <see cref="Parallelism.MaxThreads"/>.
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

    /// <summary>Cycles (as a power of two) an idle OpenBLAS worker spins before it sleeps.</summary>
    const string ThreadTimeoutVariable = "OPENBLAS_THREAD_TIMEOUT", ThreadTimeoutLog2 = "16";

    static OpenBlas()
    {
        LimitIdleSpinning();
        foreach (var name in candidates)
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) continue;
            if (!NativeLibrary.TryGetExport(handle, "cblas_sgemm", out var fn)) { NativeLibrary.Free(handle); continue; }
            if (NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out var setThreads))
                ((delegate* unmanaged<int, void>)setThreads)(Parallelism.MaxThreads);
            sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)fn;
            LibraryName = name;
            return;
        }
    }

    /// <summary>
    /// After each call OpenBLAS's idle workers spin for 2^28 cycles (about 0.1 s) by default, taking a core away from
    /// the engine's own parallel loops that run between GEMMs (measured here: 13-27 ms of CPU burnt per call on a
    /// loaded 2-core machine, none with the limit). 2^16 cycles (~25 us) still bridges back-to-back calls. The
    /// library reads the limit from the C environment when it loads (Environment.SetEnvironmentVariable does not
    /// reach getenv on Unix), so it is set through libc's setenv first, unless the user has set it.
    /// </summary>
    static void LimitIdleSpinning()
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) || Environment.GetEnvironmentVariable(ThreadTimeoutVariable) is not null) return;
        if (!NativeLibrary.TryLoad(OperatingSystem.IsLinux() ? "libc.so.6" : "libSystem.dylib", out var libc)) return;
        if (NativeLibrary.TryGetExport(libc, "setenv", out var setenv))
        {
            var name = System.Text.Encoding.UTF8.GetBytes(ThreadTimeoutVariable + "\0");
            var value = System.Text.Encoding.UTF8.GetBytes(ThreadTimeoutLog2 + "\0");
            fixed (byte* pn = name, pv = value)
                ((delegate* unmanaged<byte*, byte*, int, int>)setenv)(pn, pv, 0);
        }
    }

    /// <summary>C = alpha op(A) op(B) + beta C, row-major; arguments as <see cref="Gemm.Sgemm"/>, already validated.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (sgemm == null) throw new InvalidOperationException("OpenBLAS (libopenblas.so.0) is not loaded");
        fixed (float* pa = a, pb = b, pc = c)
            sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }
}
