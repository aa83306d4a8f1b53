using System.Diagnostics;
using Sentire.Tensors;
using Sentire.Tensors.Kernels;

namespace Sentire.Bench;

/// <summary>
/// GFLOP/s of the managed GEMM against OpenBLAS on transformer-shaped products: 768^3 (a BERT-base
/// projection of 768 tokens) and 1024x4096x1024 (an MLP up-projection), C = A B^T as in Linear and
/// C = A B. Runs alternate between the backends so that load from other processes hits both alike;
/// medians over the runs after a warm-up. Args: [runs] (default 7).
/// "per CPU-s" divides by the process's CPU time instead of wall time, which stays meaningful when other
/// processes share the cores (OpenBLAS's spinning worker threads inflate its CPU time when threaded).
/// </summary>
public sealed class GemmBench : IBenchmark
{
    public string Name => "gemm";
    public string Description => "GFLOP/s of managed vs OpenBLAS SGEMM (768^3, 1024x4096x1024)";

    public int Run(string[] args)
    {
        int runs = args.Length > 0 ? int.Parse(args[0]) : 7;
        Console.WriteLine($"active backend: {Gemm.BackendName}; managed kernel: {Gemm.Describe(GemmBackend.Managed)}");
        var backends = Gemm.OpenBlasAvailable ? new[] { GemmBackend.Managed, GemmBackend.OpenBlas } : [GemmBackend.Managed];
        foreach (var (m, n, k) in new[] { (768, 768, 768), (1024, 4096, 1024) })
            foreach (bool transB in new[] { true, false })
            {
                var rates = Measure(backends, m, n, k, transB, runs);
                string line = $"{m}x{n}x{k} {(transB ? "A B^T" : "A B  ")}: managed {rates[0].Wall,6:F1} GFLOP/s ({rates[0].PerCpuSecond,6:F1} per CPU-s)";
                if (rates.Length > 1)
                    line += $", openblas {rates[1].Wall,6:F1} GFLOP/s ({rates[1].PerCpuSecond,6:F1} per CPU-s), managed/openblas {rates[0].Wall / rates[1].Wall:F2}";
                Console.WriteLine(line);
            }
        return 0;
    }

    static (double Wall, double PerCpuSecond)[] Measure(GemmBackend[] backends, int m, int n, int k, bool transB, int runs)
    {
        var rng = new Generator(1);
        var a = Tensor.Uniform(rng, -1, 1, m, k).Data.ToArray();
        var b = Tensor.Uniform(rng, -1, 1, k, n).Data.ToArray();
        var c = new float[m * n];
        int ldb = transB ? k : n;
        var seconds = new double[backends.Length][];
        var cpuSeconds = new double[backends.Length][];
        for (int i = 0; i < backends.Length; i++)
        {
            seconds[i] = new double[runs];
            cpuSeconds[i] = new double[runs];
            Gemm.Sgemm(backends[i], false, transB, m, n, k, 1f, a, k, b, ldb, 0f, c, n); // warm-up (JIT, thread pool)
        }
        var process = Process.GetCurrentProcess();
        for (int r = 0; r < runs; r++)
            for (int i = 0; i < backends.Length; i++)
            {
                process.Refresh();
                var cpu0 = process.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                Gemm.Sgemm(backends[i], false, transB, m, n, k, 1f, a, k, b, ldb, 0f, c, n);
                seconds[i][r] = sw.Elapsed.TotalSeconds;
                process.Refresh();
                cpuSeconds[i][r] = (process.TotalProcessorTime - cpu0).TotalSeconds;
            }
        double flop = 2.0 * m * n * k;
        return [.. Enumerable.Range(0, backends.Length).Select(i => (flop / Median(seconds[i]) / 1e9, flop / Median(cpuSeconds[i]) / 1e9))];
    }

    static double Median(double[] values)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }
}
