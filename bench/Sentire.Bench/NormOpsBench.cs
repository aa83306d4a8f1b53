using System.Diagnostics;
using Sentire.Tensors;
using Sentire.Tensors.Kernels;

namespace Sentire.Bench;

/// <summary>
/// Milliseconds for forward and backward of the hot fused ops (norms, softmax, GELU, cross-entropy, a mean
/// over time) on transformer-sized inputs; medians over several runs after five warm-up runs. The PyTorch side of the
/// comparison is tools/bench/norm_ops_torch.py (same shapes, torch.set_num_threads). Process CPU time is printed beside
/// wall time: on a shared machine it is the steadier number (it sums over threads). Args: [runs] (default 7).
/// </summary>
public sealed class NormOpsBench : IBenchmark
{
    public string Name => "norm-ops";
    public string Description => "ms forward/backward of LayerNorm, RmsNorm, GroupNorm, Softmax, Gelu, CrossEntropy, Mean";

    public int Run(string[] args)
    {
        int runs = args.Length > 0 ? int.Parse(args[0]) : 7;
        var rng = new Generator(1);
        Tensor R(params int[] shape) => Tensor.Normal(rng, 0, 1, shape);
        Console.WriteLine($"threads {Parallelism.MaxThreads}");
        var w768 = R(768); var b768 = R(768); var w512 = R(512); var b512 = R(512);
        var targets = new int[512];
        for (int i = 0; i < targets.Length; i++) targets[i] = (i * 7919) % 32000;
        var cases = new (string Name, Tensor[] Inputs, Func<Tensor[], Tensor> Op)[]
        {
            ("layer_norm (4096, 768)", [R(4096, 768), w768, b768], t => t[0].LayerNorm([768], t[1], t[2])),
            ("rms_norm (4096, 768)", [R(4096, 768), w768], t => t[0].RmsNorm(t[1], 1e-6f)),
            ("group_norm (2, 512, 8000) g=512", [R(2, 512, 8000), w512, b512], t => t[0].GroupNorm(512, t[1], t[2])),
            ("softmax (4096, 512) dim -1", [R(4096, 512)], t => t[0].Softmax(-1)),
            ("log_softmax (4096, 512) dim -1", [R(4096, 512)], t => t[0].LogSoftmax(-1)),
            ("gelu (4096, 3072)", [R(4096, 3072)], t => t[0].Gelu()),
            ("cross_entropy (512, 32000) ls=0.1", [R(512, 32000)], t => Loss.CrossEntropy(t[0], targets, labelSmoothing: 0.1f)),
            ("mean (8, 512, 768) dim 1", [R(8, 512, 768)], t => t[0].Mean(1)),
        };
        foreach (var (name, inputs, op) in cases)
        {
            foreach (var x in inputs) x.RequiresGrad = true;
            var forward = new double[runs];
            var backward = new double[runs];
            var forwardCpu = new double[runs];
            var backwardCpu = new double[runs];
            using var process = Process.GetCurrentProcess();
            const int WarmUp = 5; // lets tiered JIT finish promoting the kernels, as in a long training run
            for (int r = -WarmUp; r < runs; r++)
            {
                foreach (var x in inputs) x.ZeroGrad();
                process.Refresh();
                var cpu0 = process.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                var y = op(inputs);
                double f = sw.Elapsed.TotalMilliseconds;
                process.Refresh();
                var cpu1 = process.TotalProcessorTime;
                var g = Tensor.Ones(y.ShapeArray());
                process.Refresh();
                var cpu2 = process.TotalProcessorTime;
                sw.Restart();
                y.Backward(g);
                double b = sw.Elapsed.TotalMilliseconds;
                process.Refresh();
                if (r < 0) continue;
                forward[r] = f;
                backward[r] = b;
                forwardCpu[r] = (cpu1 - cpu0).TotalMilliseconds;
                backwardCpu[r] = (process.TotalProcessorTime - cpu2).TotalMilliseconds;
            }
            Console.WriteLine($"{name,-36} forward {Median(forward),8:F2} ms (cpu {Median(forwardCpu),8:F2})  backward {Median(backward),8:F2} ms (cpu {Median(backwardCpu),8:F2})");
        }
        return 0;
    }

    static double Median(double[] values)
    {
        Array.Sort(values);
        return values[values.Length / 2];
    }
}
