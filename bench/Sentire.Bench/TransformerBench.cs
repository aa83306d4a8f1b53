using System.Diagnostics;
using System.Text.Json;
using Sentire.Tensors;
using Sentire.Tensors.Kernels;
using Sentire.Tensors.Nn;
using Sentire.Tensors.Optim;

namespace Sentire.Bench;

/// <summary>
/// The engine end to end against PyTorch: a post-norm transformer encoder (Vaswani et al. 2017; the layout of
/// torch.nn.TransformerEncoderLayer: x = LN(x + MHA(x)), x = LN(x + W2 GELU(W1 x))), 6 layers, d_model 384,
/// 6 heads, FF 1536, no dropout, on a batch of 8 sequences of 200 frames. Median wall time of one training
/// step (forward, MSE loss, backward, AdamW), on the ordinary heap and inside a <see cref="TensorArena.EnterTraining"/>
/// scope, and of one inference forward (grad mode off) on the ordinary heap, inside one <see cref="TensorArena"/>
/// scope, and with a nested scope per layer; with CPU time, GC counts, allocated bytes and retained heap.
/// Then runs tools/bench/transformer_bench.py (the same model in PyTorch, as many threads as the engine) with
/// /usr/bin/python3 when present and prints the ratios.
/// Args: [--layers 6] [--batch 8] [--time 200] [--iters 10] [--warmup 2] [--no-python]
/// </summary>
public sealed class TransformerBench : IBenchmark
{
    public string Name => "transformer";
    public string Description => "6-layer transformer encoder: train step and inference vs PyTorch";

    sealed record Options(int Layers, int Batch, int Time, int DModel, int Heads, int Ff, int Iters, int Warmup, bool Python);

    public int Run(string[] args)
    {
        var o = Parse(args);
        Console.WriteLine($"transformer encoder: {o.Layers} layers, d_model {o.DModel}, {o.Heads} heads, FF {o.Ff}, batch {o.Batch} x {o.Time} frames");
        Console.WriteLine($"engine: gemm {Gemm.BackendName}, {Parallelism.MaxThreads} threads, {Environment.ProcessorCount} cores");

        var rng = new Generator(0);
        var model = new Encoder(o.Layers, o.DModel, o.Heads, o.Ff, rng);
        var x = Tensor.Normal(rng, 0, 1, o.Batch, o.Time, o.DModel);
        var target = Tensor.Normal(rng, 0, 1, o.Batch, o.Time, o.DModel);
        var opt = new AdamW(model.NamedParameters(), learningRate: 1e-4, weightDecay: 0.01);

        model.Train();
        var train = Measure(o, () =>
        {
            opt.ZeroGrad();
            var loss = Loss.Mse(model.Forward(x), target);
            loss.Backward();
            opt.Step();
        });
        Console.WriteLine($"train step      median {train.MedianMs,8:F1} ms   {train}");

        var trainArena = new TensorArena();
        var trainPooled = Measure(o, () =>
        {
            using var scope = trainArena.EnterTraining();
            opt.ZeroGrad();
            var loss = Loss.Mse(model.Forward(x), target);
            loss.Backward();
            opt.Step();
        });
        Console.WriteLine($"train step arena median {trainPooled.MedianMs,8:F1} ms   {trainPooled}; arena holds {trainArena.FloatsHeld * 4 / (1 << 20)} MiB in {trainArena.ArraysCreated} arrays");

        model.Eval();
        var infer = Measure(o, () =>
        {
            using var _ = Autograd.NoGrad();
            model.Forward(x);
        });
        Console.WriteLine($"inference       median {infer.MedianMs,8:F1} ms   {infer}");

        var arena = new TensorArena();
        var pooled = Measure(o, () =>
        {
            using var scope = arena.Enter();
            scope.Keep(model.Forward(x));
        });
        Console.WriteLine($"inference arena median {pooled.MedianMs,8:F1} ms   {pooled}; arena holds {arena.FloatsHeld * 4 / (1 << 20)} MiB in {arena.ArraysCreated} arrays");

        var layered = new TensorArena();
        var perLayer = Measure(o, () =>
        {
            using var scope = layered.Enter();
            scope.Keep(model.ForwardLayerScoped(x, layered));
        });
        Console.WriteLine($"inference arena, one scope per layer: median {perLayer.MedianMs,8:F1} ms   {perLayer}; arena holds {layered.FloatsHeld * 4 / (1 << 20)} MiB in {layered.ArraysCreated} arrays");

        if (!o.Python) return 0;
        var torch = RunPyTorch(o);
        if (torch is null) return 0;
        var t = torch.Value;
        Console.WriteLine($"pytorch         train median {t.Train,8:F1} ms (cpu {t.TrainCpu:F1})   inference median {t.Infer,8:F1} ms (cpu {t.InferCpu:F1})");
        Console.WriteLine($"ratio ours/pytorch, wall: train {train.MedianMs / t.Train:F2}, train in arena {trainPooled.MedianMs / t.Train:F2}, inference {infer.MedianMs / t.Infer:F2}, inference in arena {pooled.MedianMs / t.Infer:F2}");
        Console.WriteLine($"ratio ours/pytorch, cpu:  train {train.CpuMs / t.TrainCpu:F2}, train in arena {trainPooled.CpuMs / t.TrainCpu:F2}, inference {infer.CpuMs / t.InferCpu:F2}, inference in arena {pooled.CpuMs / t.InferCpu:F2}");
        return 0;
    }

    static Options Parse(string[] args)
    {
        var o = new Options(6, 8, 200, 384, 6, 1536, 10, 2, true);
        for (int i = 0; i < args.Length; i++)
        {
            o = args[i] switch
            {
                "--layers" => o with { Layers = BenchKit.IntAfter(args, ref i) },
                "--batch" => o with { Batch = BenchKit.IntAfter(args, ref i) },
                "--time" => o with { Time = BenchKit.IntAfter(args, ref i) },
                "--iters" => o with { Iters = BenchKit.IntAfter(args, ref i) },
                "--warmup" => o with { Warmup = BenchKit.IntAfter(args, ref i) },
                "--no-python" => o with { Python = false },
                _ => throw new ArgumentException($"unknown argument {args[i]}"),
            };
        }
        return o;
    }

    /// <summary>Median time and memory behaviour of <paramref name="body"/> after warm-up.</summary>
    /// <summary>CpuMs is the median process CPU time (all threads) per iteration: less disturbed than wall time on a
    /// busy machine. HeapGrowthMiB is what stays on the managed heap after a full collection (pools included).</summary>
    sealed record Timing(double MedianMs, double MinMs, double MaxMs, double CpuMs, double AllocMiBPerIter, int Gen0, int Gen1, int Gen2, double HeapGrowthMiB)
    {
        public override string ToString() =>
            $"(min {MinMs:F1}, max {MaxMs:F1}, cpu {CpuMs:F1}; {AllocMiBPerIter:F1} MiB allocated/iter, GCs gen0/1/2 {Gen0}/{Gen1}/{Gen2}, retained {HeapGrowthMiB:F1} MiB)";
    }

    static Timing Measure(Options o, Action body)
    {
        for (int i = 0; i < o.Warmup; i++) body();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long heap0 = GC.GetTotalMemory(false);
        long alloc0 = GC.GetTotalAllocatedBytes(true);
        int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);
        var (ms, cpu) = BenchKit.Time(o.Iters, body);
        double alloc = (GC.GetTotalAllocatedBytes(true) - alloc0) / (double)o.Iters / (1 << 20);
        int gen0 = GC.CollectionCount(0) - g0, gen1 = GC.CollectionCount(1) - g1, gen2 = GC.CollectionCount(2) - g2;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return new Timing(BenchKit.Median(ms), ms.Min(), ms.Max(), BenchKit.Median(cpu), alloc, gen0, gen1, gen2,
            (GC.GetTotalMemory(false) - heap0) / (double)(1 << 20));
    }

    static (double Train, double Infer, double TrainCpu, double InferCpu)? RunPyTorch(Options o)
    {
        const string python = "/usr/bin/python3";
        string? script = BenchKit.FindScript("transformer_bench.py");
        if (!File.Exists(python) || script is null)
        {
            Console.WriteLine("pytorch: skipped (/usr/bin/python3 or tools/bench/transformer_bench.py not found)");
            return null;
        }
        var psi = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { script, "--layers", $"{o.Layers}", "--batch", $"{o.Batch}", "--time", $"{o.Time}",
                     "--iters", $"{o.Iters}", "--warmup", $"{o.Warmup}", "--threads", $"{Parallelism.MaxThreads}" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            Console.WriteLine($"pytorch: {script} exited with {p.ExitCode}: {stderr.Trim()}");
            return null;
        }
        using var json = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        var r = json.RootElement;
        return (r.GetProperty("train_ms").GetDouble(), r.GetProperty("infer_ms").GetDouble(),
            r.GetProperty("train_cpu_ms").GetDouble(), r.GetProperty("infer_cpu_ms").GetDouble());
    }

    /// <summary>torch.nn.TransformerEncoder of post-norm layers.</summary>
    sealed class Encoder : Module<Tensor, Tensor>
    {
        readonly ModuleList<EncoderLayer> layers;

        public Encoder(int count, int d, int heads, int ff, Generator rng)
        {
            layers = RegisterModule("layers", new ModuleList<EncoderLayer>());
            for (int i = 0; i < count; i++) layers.Add(new EncoderLayer(d, heads, ff, rng));
        }

        public override Tensor Forward(Tensor x)
        {
            foreach (var layer in layers) x = layer.Forward(x);
            return x;
        }

        /// <summary>Forward with a nested arena scope per layer: the arena holds one layer's intermediates.</summary>
        public Tensor ForwardLayerScoped(Tensor x, TensorArena arena)
        {
            foreach (var layer in layers)
                using (var scope = arena.Enter())
                    x = scope.Keep(layer.Forward(x));
            return x;
        }
    }

    /// <summary>x = LN1(x + OutProj(MHA(x))); x = LN2(x + Linear2(GELU(Linear1(x)))).</summary>
    sealed class EncoderLayer : Module<Tensor, Tensor>
    {
        readonly int heads;
        readonly Linear q, k, v, outProj, linear1, linear2;
        readonly LayerNorm norm1, norm2;

        public EncoderLayer(int d, int heads, int ff, Generator rng)
        {
            this.heads = heads;
            q = RegisterModule("q_proj", new Linear(d, d, rng));
            k = RegisterModule("k_proj", new Linear(d, d, rng));
            v = RegisterModule("v_proj", new Linear(d, d, rng));
            outProj = RegisterModule("out_proj", new Linear(d, d, rng));
            linear1 = RegisterModule("linear1", new Linear(d, ff, rng));
            linear2 = RegisterModule("linear2", new Linear(ff, d, rng));
            norm1 = RegisterModule("norm1", new LayerNorm(d));
            norm2 = RegisterModule("norm2", new LayerNorm(d));
        }

        public override Tensor Forward(Tensor x)
        {
            int b = x.Dim(0), t = x.Dim(1), d = x.Dim(2), hd = d / heads;
            Tensor Heads(Tensor y) => y.Reshape(b, t, heads, hd).Transpose(1, 2);
            var a = Attention.ScaledDotProduct(Heads(q.Forward(x)), Heads(k.Forward(x)), Heads(v.Forward(x)));
            x = norm1.Forward(x + outProj.Forward(a.Transpose(1, 2).Reshape(b, t, d)));
            return norm2.Forward(x + linear2.Forward(linear1.Forward(x).Gelu()));
        }
    }
}
