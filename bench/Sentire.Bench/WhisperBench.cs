using System.Diagnostics;
using System.Text.Json;
using Sentire.Models.HuggingFace.Speech;
using Sentire.Tensors;
using Sentire.Tensors.Kernels;
using Sentire.Tensors.Serialization;

namespace Sentire.Bench;

/// <summary>
/// A Whisper-base-sized encoder (80 mel bins, d_model 512, 6 pre-norm layers, 8 heads, FF 2048; 20.6 M parameters) on
/// one 30 s window: Whisper's log-mel front end and the encoder, ours against the torch modules of
/// tools/golden/whisper_fixtures.py in the same run. tools/bench/whisper_torch.py builds the encoder with seeded random
/// weights, writes it as a Hugging Face WhisperModel folder (which we load with <see cref="WhisperEncoder.Load"/>, so both
/// sides hold the same weights) with the input and its last hidden state, and times itself; this bench checks our last
/// hidden state against torch's and times ours (median wall and CPU time of front end + forward, grad mode off), and
/// reports each process's resident set once loaded and its peak while the timed runs go (/proc/self/statm, 5 ms).
/// Args: [--iters 5] [--warmup 1] [--dir DIR] (default: a temporary folder, deleted afterwards)
/// </summary>
public sealed class WhisperBench : IBenchmark
{
    public string Name => "whisper";
    public string Description => "Whisper-base-sized encoder (log-mel + 6 layers) on 30 s vs torch";

    public int Run(string[] args)
    {
        int iters = 5, warmup = 1;
        string? dirArg = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--iters": iters = BenchKit.IntAfter(args, ref i); break;
                case "--warmup": warmup = BenchKit.IntAfter(args, ref i); break;
                case "--dir": dirArg = BenchKit.ValueAfter(args, ref i); break;
                default: throw new ArgumentException($"unknown argument {args[i]}");
            }
        }
        var dir = dirArg ?? Directory.CreateTempSubdirectory("sentire-whisper-bench").FullName;
        try
        {
            Console.WriteLine($"whisper-base-sized encoder on a 30 s window; engine: gemm {Gemm.BackendName}, {Parallelism.MaxThreads} threads, {Environment.ProcessorCount} cores");
            var torch = RunTorch(dir, iters, warmup);
            if (torch is null) return 1;

            var encoder = WhisperEncoder.Load(dir);
            var extractor = new WhisperFeatureExtractor(encoder.Config.NumMelBins);
            var io = SafeTensors.Read(Path.Combine(dir, "input.safetensors"));
            var input = io["input"].Data.ToArray();
            GC.Collect();
            double loadedMb = BenchKit.RssMb();
            Console.WriteLine($"model: {encoder.ParameterCount() / 1e6:F1} M parameters (config formula {encoder.Config.ParameterCount() / 1e6:F1} M)");

            Tensor Forward()
            {
                using var _ = Autograd.NoGrad();
                var features = extractor.Compute(input);
                return encoder.Forward(features.Reshape(1, features.Dim(0), features.Dim(1)))[^1];
            }
            var last = Forward();
            double worst = 0, scale = 0;
            var expected = io["last_hidden"].Data;
            for (int i = 0; i < expected.Length; i++)
            {
                worst = Math.Max(worst, Math.Abs(last.Data[i] - expected[i]));
                scale = Math.Max(scale, Math.Abs(expected[i]));
            }
            Console.WriteLine($"check: max |ours - torch| over the last hidden state {worst:G3} (max |value| {scale:G3})");

            var sampler = new BenchKit.RssSampler();
            for (int i = 0; i < warmup; i++) Forward();
            var (ms, cpu) = BenchKit.Time(iters, () => Forward());
            double peakMb = sampler.MaxMb;
            double median = BenchKit.Median(ms), cpuMedian = BenchKit.Median(cpu);
            Console.WriteLine($"ours   median {median,8:F0} ms (cpu {cpuMedian:F0}; runs {string.Join(", ", ms.Select(r => r.ToString("F0")))})");
            Console.WriteLine($"torch  median {torch.Value.Median,8:F0} ms (cpu {torch.Value.Cpu:F0}; runs {string.Join(", ", torch.Value.Runs.Select(r => r.ToString("F0")))})");
            Console.WriteLine($"ratio ours/torch, wall: {median / torch.Value.Median:F2}; cpu: {cpuMedian / torch.Value.Cpu:F2}; real-time factor ours {30_000 / median:F1}x");
            Console.WriteLine($"RSS: ours loaded {loadedMb:F0} MB, peak while timed {peakMb:F0} MB; torch loaded {torch.Value.LoadedMb:F0} MB, peak while timed {torch.Value.PeakMb:F0} MB");
            return 0;
        }
        finally
        {
            if (dirArg is null) Directory.Delete(dir, recursive: true);
        }
    }

    static (double Median, double Cpu, double[] Runs, double LoadedMb, double PeakMb)? RunTorch(string dir, int iters, int warmup)
    {
        const string python = "/usr/bin/python3";
        string? script = BenchKit.FindScript("whisper_torch.py");
        if (!File.Exists(python) || script is null)
        {
            Console.Error.WriteLine("whisper: needs /usr/bin/python3 with torch and tools/bench/whisper_torch.py (it writes the shared weights)");
            return null;
        }
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { script, dir, "--iters", $"{iters}", "--warmup", $"{warmup}", "--threads", $"{Parallelism.MaxThreads}" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            Console.Error.WriteLine($"whisper: {script} exited with {p.ExitCode}: {stderr.Result.Trim()}");
            return null;
        }
        using var json = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        var r = json.RootElement;
        return (r.GetProperty("median_ms").GetDouble(), r.GetProperty("cpu_ms").GetDouble(),
            r.GetProperty("runs_ms").EnumerateArray().Select(e => e.GetDouble()).ToArray(),
            r.GetProperty("rss_loaded_mb").GetDouble(), r.GetProperty("rss_peak_mb").GetDouble());
    }
}
