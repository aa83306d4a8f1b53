using System.Diagnostics;
using Sentire.Tensors;
using Sentire.Tensors.Kernels;

namespace Sentire.Bench;

/// <summary>
/// GFLOP/s of the managed GEMM against OpenBLAS on transformer-shaped products: 768^3 (a BERT-base
/// projection of 768 tokens) and 1024x4096x1024 (an MLP up-projection), C = A B^T as in Linear.
/// Medians over several runs after a warm-up. Args: [runs] (default 7).
/// </summary>
public sealed class GemmBench : IBenchmark
{
    public string Name => "gemm";
    public string Description => "GFLOP/s of managed vs OpenBLAS SGEMM (768^3, 1024x4096x1024)";

    public int Run(string[] args)
    {
        int runs = args.Length > 0 ? int.Parse(args[0]) : 7;
        Console.WriteLine($"active backend: {Gemm.BackendName}; managed kernel: {Gemm.Describe(GemmBackend.Managed)}; threads {Parallelism.MaxThreads}");
        foreach (var (m, n, k) in new[] { (768, 768, 768), (1024, 4096, 1024) })
            foreach (bool transB in new[] { true, false })
            {
                double managed = Measure(GemmBackend.Managed, m, n, k, transB, runs);
                string line = $"{m}x{n}x{k} B{(transB ? "^T" : " ")}: managed {managed,7:F1} GFLOP/s";
                if (Gemm.OpenBlasAvailable)
                {
                    double openBlas = Measure(GemmBackend.OpenBlas, m, n, k, transB, runs);
                    line += $", openblas {openBlas,7:F1} GFLOP/s, managed/openblas {managed / openBlas:F2}";
                }
                Console.WriteLine(line);
            }
        return 0;
    }

    static double Measure(GemmBackend backend, int m, int n, int k, bool transB, int runs)
    {
        var rng = new Generator(1);
        var a = Tensor.Uniform(rng, -1, 1, m, k).Data.ToArray();
        var b = Tensor.Uniform(rng, -1, 1, k, n).Data.ToArray();
        var c = new float[m * n];
        int ldb = transB ? k : n;
        Gemm.Sgemm(backend, false, transB, m, n, k, 1f, a, k, b, ldb, 0f, c, n); // warm-up (JIT, thread pool)
        var seconds = new double[runs];
        for (int r = 0; r < runs; r++)
        {
            var sw = Stopwatch.StartNew();
            Gemm.Sgemm(backend, false, transB, m, n, k, 1f, a, k, b, ldb, 0f, c, n);
            seconds[r] = sw.Elapsed.TotalSeconds;
        }
        Array.Sort(seconds);
        return 2.0 * m * n * k / seconds[runs / 2] / 1e9;
    }
}
