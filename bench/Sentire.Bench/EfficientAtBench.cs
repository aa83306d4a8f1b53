using System.Globalization;
using Sentire.Audio.Decoding;
using Sentire.Models.AudioTagging;
using Sentire.Tensors;
using Sentire.Tensors.Kernels;

namespace Sentire.Bench;

/// <summary>
/// The EfficientAT mn04_as teacher on a clip of the demo samples tiled to --seconds (default 10): milliseconds of the
/// front end (32 kHz samples to log-mel) and of the network, per run and per second of audio, medians after warm-up, and
/// the bytes allocated per network pass inside its arena (steady state). Then the hot ops of the network alone, forward
/// and backward. Process CPU time is printed beside wall time: on a busy machine it is the steadier figure. PyTorch side:
/// tools/bench/efficientat_torch.py (same audio length, same network and front end).
/// usage: efficientat [--weights PATH (../shared/teachers/efficientat-mn04/mn04_as_mAP_432.pt)] [--seconds S] [--runs R (7)]
/// </summary>
public sealed class EfficientAtBench : IBenchmark
{
    public string Name => "efficientat";
    public string Description => "EfficientAT mn04_as teacher: ms per second of audio (front end, network) and its conv ops";

    public int Run(string[] args)
    {
        string? weights = null;
        double seconds = 10;
        int runs = 7;
        for (int i = 0; i < args.Length; i++)
            switch (args[i])
            {
                case "--weights": weights = BenchKit.ValueAfter(args, ref i); break;
                case "--seconds": seconds = double.Parse(BenchKit.ValueAfter(args, ref i), CultureInfo.InvariantCulture); break;
                case "--runs": runs = BenchKit.IntAfter(args, ref i); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Sentire.slnx"))) root = Path.GetDirectoryName(root.TrimEnd('/'))!;
        weights ??= Path.Combine(root, "..", "shared", "teachers", "efficientat-mn04", "mn04_as_mAP_432.pt");
        var tagger = EfficientAtTagger.Load(weights);

        // audio: the demo clips at 32 kHz, tiled to the requested length
        var pieces = Directory.GetFiles(Path.Combine(root, "samples"), "*.flac").Order(StringComparer.Ordinal)
            .Select(p => tagger.FrontEnd.Condition(AudioFile.Read(p))).ToArray();
        var audio = new float[(int)(seconds * 32000)];
        for (int at = 0, k = 0; at < audio.Length; k++)
        {
            var p = pieces[k % pieces.Length];
            int n = Math.Min(p.Length, audio.Length - at);
            p.AsSpan(0, n).CopyTo(audio.AsSpan(at));
            at += n;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"threads {Parallelism.MaxThreads}, {seconds} s of audio, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC"));

        Tensor mel = tagger.FrontEnd.LogMel(audio);
        for (int w = 0; w < 3; w++) { mel = tagger.FrontEnd.LogMel(audio); tagger.Run(mel); }
        var (frontMs, frontCpu) = BenchKit.Time(runs, () => mel = tagger.FrontEnd.LogMel(audio));
        var (netMs, netCpu) = BenchKit.Time(runs, () => tagger.Run(mel));
        long before = GC.GetAllocatedBytesForCurrentThread();
        tagger.Run(mel);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        double f = BenchKit.Median(frontMs), n2 = BenchKit.Median(netMs);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"front end {f:F1} ms (cpu {BenchKit.Median(frontCpu):F1}), network {n2:F1} ms (cpu {BenchKit.Median(netCpu):F1}), " +
            $"total {(f + n2) / seconds:F2} ms per second of audio ({seconds * 1000 / (f + n2):F0}x real time); {allocated / 1024.0:F0} KiB allocated on this thread per network pass"));

        // the network's ops at the shapes of 10 s of audio (input (1, 1, 128, 1001))
        var rng = new Generator(1);
        Tensor R(params int[] shape) => Tensor.Normal(rng, 0, 1, shape);
        var rm = Tensor.Zeros(384); var rv = Tensor.Ones(384);
        var cases = new (string Name, Tensor[] Inputs, Func<Tensor[], Tensor> Op)[]
        {
            ("conv2d stem 3x3/2 (1,1,128,1001)->8", [R(1, 1, 128, 1001), R(8, 1, 3, 3)], t => t[0].Conv2d(t[1], null, 2, 1)),
            ("conv2d 1x1 (1,16,32,251)->48", [R(1, 16, 32, 251), R(48, 16, 1, 1)], t => t[0].Conv2d(t[1])),
            ("depthwise 3x3 (1,24,64,501)/2", [R(1, 24, 64, 501), R(24, 1, 3, 3)], t => t[0].Conv2d(t[1], null, 2, 1, 1, 24)),
            ("depthwise 5x5 (1,384,4,32)", [R(1, 384, 4, 32), R(384, 1, 5, 5)], t => t[0].Conv2d(t[1], null, 1, 2, 1, 384)),
            ("batch_norm eval (1,48,32,251)", [R(1, 48, 32, 251), R(48), R(48)], t => t[0].BatchNorm(rm.Narrow(0, 0, 48).Clone(), rv.Narrow(0, 0, 48).Clone(), t[1], t[2], false)),
            ("hardswish (1,96,16,126)", [R(1, 96, 16, 126)], t => t[0].HardSwish()),
        };
        foreach (var (name, inputs, op) in cases)
        {
            foreach (var x in inputs) x.RequiresGrad = true;
            Tensor? y = null;
            for (int w = 0; w < 3; w++) { y = op(inputs); y.Backward(Tensor.Ones(y.ShapeArray())); }
            var (fw, fwCpu) = BenchKit.Time(runs, () => y = op(inputs));
            var g = Tensor.Ones(y!.ShapeArray());
            var bw = new double[runs];
            var bwCpu = new double[runs];
            for (int r = 0; r < runs; r++)
            {
                var yy = op(inputs);
                var (wall, cpu) = BenchKit.Time(1, () => yy.Backward(g));
                (bw[r], bwCpu[r]) = (wall[0], cpu[0]);
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-40} forward {BenchKit.Median(fw),8:F3} ms (cpu {BenchKit.Median(fwCpu),7:F2})  backward {BenchKit.Median(bw),8:F3} ms (cpu {BenchKit.Median(bwCpu),7:F2})"));
        }
        return 0;
    }
}
